//! Several processes writing one layout, and writers killed at arbitrary moments.
//!
//! The child processes are this test binary itself, re-run with `OCI_LAYOUT_CHILD` set,
//! so that they are real separate processes with their own locks.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use oci_layout::{GcOptions, Layout};

use crate::small_image;

const CHILD: &str = "OCI_LAYOUT_CHILD";

fn child(args: &str) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["--exact", "concurrency::child_writer", "--nocapture", "--test-threads=1"])
        .env(CHILD, args);
    c
}

/// Not a test of its own: the body of the child processes (does nothing unless
/// `OCI_LAYOUT_CHILD` is set). `tag:DIR:PREFIX:N` tags N new images; `loop:DIR:START`
/// writes and tags images forever, printing `committed TAG` after each.
#[test]
fn child_writer() {
    let Ok(spec) = std::env::var(CHILD) else { return };
    let parts: Vec<&str> = spec.split(':').collect();
    let layout = Layout::open(parts[1]).unwrap();
    match parts[0] {
        "tag" => {
            let n: usize = parts[3].parse().unwrap();
            for i in 0..n {
                let content = format!("{}-{i}", parts[2]);
                let image = small_image(&layout, "amd64", &[content.as_bytes()]);
                layout.tag(&image, &content).unwrap();
            }
        }
        "loop" => {
            let start: usize = parts[2].parse().unwrap();
            let mut out = std::io::stdout();
            for i in start.. {
                let tag = format!("t-{i}");
                let big = vec![i as u8; 64 * 1024 + i % 4096];
                let image = small_image(&layout, "amd64", &[tag.as_bytes(), &big]);
                layout.tag(&image, &tag).unwrap();
                writeln!(out, "committed {tag}").unwrap();
                out.flush().unwrap();
            }
        }
        other => panic!("unknown child mode {other}"),
    }
    assert!(layout.fsck().unwrap().is_ok());
}

#[test]
fn two_processes_tag_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let layout = Layout::create(path).unwrap();
    let mut children: Vec<_> =
        ["a", "b"].iter().map(|p| child(&format!("tag:{path}:{p}:100")).spawn().unwrap()).collect();
    for c in &mut children {
        assert!(c.wait().unwrap().success());
    }
    let tags = layout.tags().unwrap();
    assert_eq!(tags.len(), 200, "every tag of both writers survives");
    for prefix in ["a", "b"] {
        for i in 0..100 {
            layout.resolve(&format!("{prefix}-{i}"), None).unwrap();
        }
    }
    assert!(layout.fsck().unwrap().is_ok());
}

#[test]
fn killed_writers_leave_a_valid_layout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let layout = Layout::create(path).unwrap();
    let mut committed = Vec::new();
    let mut next = 0;
    for round in 0..25u64 {
        let mut c = child(&format!("loop:{path}:{next}")).stdout(Stdio::piped()).spawn().unwrap();
        // Kill at a different moment each round: early, mid-blob, mid-index-write.
        std::thread::sleep(Duration::from_millis(5 + (round * 37) % 120));
        c.kill().unwrap();
        c.wait().unwrap();
        for line in BufReader::new(c.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            if let Some(tag) = line.strip_prefix("committed ") {
                committed.push(tag.to_owned());
            }
        }
        next += 1000;
        let report = layout.fsck().unwrap();
        assert!(report.is_ok(), "round {round}: {:?}", report.problems);
        for tag in &committed {
            layout
                .resolve(tag, None)
                .unwrap_or_else(|e| panic!("round {round}: committed {tag} lost: {e}"));
        }
    }
    assert!(!committed.is_empty(), "the writers committed nothing: the test proved nothing");
    // Leftover temporary files of killed writers are collected.
    let report = layout.gc(&GcOptions::default()).unwrap();
    assert!(report.removed.is_empty(), "nothing reachable or young is removed");
    assert!(layout.fsck().unwrap().is_ok());
}
