//! The archive importers on arbitrary bytes: the first byte picks `oci-archive` (even) or
//! `docker-archive` (odd), and, for the second, whether a `NAME:TAG` is asked for; the
//! rest is the archive. The oracle: nothing panics; nothing outside the target layout
//! changes (member names are never paths); and an import that succeeds has tagged an
//! image whose whole graph the layout holds, verified.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oci_image::content::{self, DEFAULT_MAX_DOCUMENT_SIZE, WalkControl};
use oci_layout::{Layout, archive};

/// Everything beneath `dir` but `skip`, with modes and contents.
fn snapshot(dir: &Path, skip: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p == skip {
            continue;
        }
        let m = std::fs::symlink_metadata(&p).unwrap();
        let content = if m.is_file() { std::fs::read(&p).unwrap() } else { Vec::new() };
        out.push(format!(
            "{} {:?} {:?}",
            p.display(),
            std::os::unix::fs::MetadataExt::mode(&m),
            content
        ));
        if m.is_dir() {
            snapshot(&p, skip, out);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else { return };
    let dir = tempfile::tempdir().unwrap();
    let target_dir = dir.path().join("layout");
    std::fs::create_dir_all(dir.path().join("sentinel/d")).unwrap();
    std::fs::write(dir.path().join("sentinel/f"), b"keep").unwrap();
    let target = Layout::create(&target_dir).unwrap();
    let mut before = Vec::new();
    snapshot(dir.path(), &target_dir, &mut before);

    let imported = if which % 2 == 0 {
        archive::import_oci(bytes, &target, None, "t")
    } else {
        let name = (which & 2 != 0).then_some("example/app:v1");
        archive::import_docker(bytes, &target, name, "t")
    };
    if let Ok(root) = imported {
        let tagged = target.resolve("t", None).unwrap();
        assert_eq!(tagged.digest, root.digest);
        content::walk(&target, &root, DEFAULT_MAX_DOCUMENT_SIZE, |node| {
            let d = node.descriptor;
            if node.document.is_none() && !d.is_external() {
                assert_eq!(target.blob_size(&d.digest).unwrap(), Some(d.size), "{d:?} is missing");
            }
            Ok(WalkControl::Continue)
        })
        .unwrap();
    }
    let mut after = Vec::new();
    snapshot(dir.path(), &target_dir, &mut after);
    assert_eq!(before, after, "something outside the layout changed");
});
