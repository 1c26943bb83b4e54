//! The `oci` program as other tools call it: arguments, output and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::process::{Command, Output};

use oci_image::{Digest, ImageConfiguration, MediaType};
use oci_layout::Layout;

const CONFORMANCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../conformance");

fn oci(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oci")).args(args).output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn tar_with(name: &str, content: &[u8]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(content.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, name, content).unwrap();
    b.into_inner().unwrap()
}

/// A layout with one tagged single-layer image for this machine's platform.
fn layout(dir: &Path) -> Layout {
    let layout = Layout::create(dir).unwrap();
    let tar = tar_with("hello.txt", b"hello");
    let layer = layout.put_bytes(MediaType::ImageLayer, &tar).unwrap();
    let host = oci_image::Platform::host();
    let mut config = ImageConfiguration::new(host.os.as_str(), host.architecture.as_str());
    config.rootfs.diff_ids.push(Digest::sha256(&tar));
    let image = layout.write_image(&config, vec![layer], Default::default()).unwrap();
    layout.tag(&image, "v1").unwrap();
    layout
}

#[test]
fn validate_documents_exit_codes() {
    let valid = format!("{CONFORMANCE}/image-spec/examples/manifest-L116-manifest.json");
    let o = oci(&["validate", "--kind", "manifest", &valid]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let invalid = format!("{CONFORMANCE}/image-spec/cases/config/09-invalid-env-is-invalid.json");
    let o = oci(&["validate", "--kind", "config", &invalid, "--json"]);
    assert_eq!(code(&o), 1);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["violations"][0]["path"], "$.config.Env[0]");
    assert_eq!(code(&oci(&["validate", "--kind", "nonsense", &valid])), 2);
    assert_eq!(code(&oci(&["frobnicate"])), 2);
    let o = oci(&["validate", "--kind", "manifest", "/nonexistent/file"]);
    assert_eq!(code(&o), 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read"));
}

#[test]
fn layout_commands() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let layout = layout(&path);
    let l = format!("oci:{}", path.display());

    let o = oci(&["ls", &l, "--json"]);
    assert_eq!(code(&o), 0);
    let ls: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(ls[0]["ref"], "v1");

    let o = oci(&["inspect", &format!("{l}:v1")]);
    assert_eq!(code(&o), 0);
    let inspect: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        inspect["descriptor"]["digest"],
        layout.resolve("v1", None).unwrap().digest.as_str()
    );
    let raw = oci(&["inspect", &format!("{l}:v1"), "--raw"]);
    assert_eq!(Digest::sha256(&raw.stdout), layout.resolve("v1", None).unwrap().digest);

    assert_eq!(code(&oci(&["validate", &l])), 0);

    // Copies through every local transport, back to a layout, keep the image.
    let archive = dir.path().join("a.tar");
    let docker = dir.path().join("d.tar");
    for (from, to) in [
        (format!("{l}:v1"), format!("oci-archive:{}:v1", archive.display())),
        (
            format!("oci-archive:{}:v1", archive.display()),
            format!("oci:{}/b:v2", dir.path().display()),
        ),
        (format!("{l}:v1"), format!("docker-archive:{}:example/app:v1", docker.display())),
        (
            format!("docker-archive:{}", docker.display()),
            format!("oci:{}/c:v3", dir.path().display()),
        ),
    ] {
        let o = oci(&["copy", &from, &to]);
        assert_eq!(code(&o), 0, "{from} -> {to}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let b = Layout::open(dir.path().join("b")).unwrap();
    assert_eq!(b.resolve("v2", None).unwrap().digest, layout.resolve("v1", None).unwrap().digest);
    let c = Layout::open(dir.path().join("c")).unwrap();
    assert_eq!(c.image(&c.resolve("v3", None).unwrap()).unwrap().config.rootfs.diff_ids.len(), 1);

    // Unpack, all or nothing.
    let rootfs = dir.path().join("rootfs");
    let o = oci(&["unpack", &format!("{l}:v1"), rootfs.to_str().unwrap(), "--rootless"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(rootfs.join("hello.txt")).unwrap(), b"hello");
    let o = oci(&["unpack", &format!("{l}:v1"), rootfs.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "a non-empty destination is refused");

    // gc removes what no tag reaches; a damaged blob makes validate fail with exit 1.
    layout.put_bytes(MediaType::ImageLayer, b"stray").unwrap();
    let o = oci(&["gc", &l, "--json"]);
    assert_eq!(code(&o), 0);
    let gc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(gc["removed"].as_array().unwrap().len(), 1);
    let config = layout.image(&layout.resolve("v1", None).unwrap()).unwrap().manifest.config;
    std::fs::write(path.join("blobs/sha256").join(config.digest.encoded()), b"{}").unwrap();
    let o = oci(&["validate", &l]);
    assert_eq!(code(&o), 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains(config.digest.as_str()));

    assert_eq!(code(&oci(&["ls", "not-a-transport"])), 2);
    assert_eq!(code(&oci(&["ls", &format!("oci:{}/missing", dir.path().display())])), 1);
}

#[test]
fn spec_and_runtime_documents() {
    let o = oci(&["spec"]);
    assert_eq!(code(&o), 0);
    let ours: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let runc =
        Command::new("runc").arg("spec").current_dir(dir.path()).output().unwrap_or_else(|e| {
            panic!("cannot run `runc` ({e}): install it (apt-get install runc) to run this test")
        });
    assert!(runc.status.success());
    let mut theirs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("config.json")).unwrap()).unwrap();
    theirs["ociVersion"] = ours["ociVersion"].clone();
    assert_eq!(ours, theirs);
    let config = dir.path().join("config.json");
    std::fs::write(&config, &o.stdout).unwrap();
    assert_eq!(code(&oci(&["validate", "--kind", "runtime-config", config.to_str().unwrap()])), 0);
    let state = format!("{CONFORMANCE}/runtime-spec/schema/test/state/good/spec-example.json");
    assert_eq!(code(&oci(&["validate", "--kind", "state", &state])), 0);
    let bad =
        format!("{CONFORMANCE}/runtime-spec/schema/test/features/bad/missing-ociVersionMax.json");
    assert_eq!(code(&oci(&["validate", "--kind", "features", &bad])), 1);
}

/// Issue 17, class 5: an archive copied into a layout that names no tag gets the
/// archive's own name for the image, and never moves a tag the layout already has (the
/// temporary layout's `source` used to leak into the destination); a docker-archive
/// name that the archive does not hold is an error.
#[test]
fn issue17_archive_sources_keep_their_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let layout = layout(&path);
    let l = format!("oci:{}", path.display());
    let v1 = layout.resolve("v1", None).unwrap();
    let archive = dir.path().join("a.tar");
    let docker = dir.path().join("d.tar");
    for to in [
        format!("oci-archive:{}:named", archive.display()),
        format!("docker-archive:{}:example/app:v7", docker.display()),
    ] {
        let o = oci(&["copy", &format!("{l}:v1"), &to]);
        assert_eq!(code(&o), 0, "{to}: {}", String::from_utf8_lossy(&o.stderr));
    }
    // The destination already has a tag `source` for another image.
    let dest = dir.path().join("dest");
    let existing = Layout::create(&dest).unwrap();
    let other = existing.put_bytes(MediaType::ImageLayer, &tar_with("other", b"x")).unwrap();
    let host = oci_image::Platform::host();
    let mut config = ImageConfiguration::new(host.os.as_str(), host.architecture.as_str());
    config.rootfs.diff_ids.push(other.digest.clone());
    let other = existing.write_image(&config, vec![other], Default::default()).unwrap();
    existing.tag(&other, "source").unwrap();
    let d = format!("oci:{}", dest.display());
    for from in [
        format!("oci-archive:{}", archive.display()),
        format!("docker-archive:{}:example/app:v7", docker.display()),
    ] {
        let o = oci(&["copy", &from, &d]);
        assert_eq!(code(&o), 0, "{from}: {}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(existing.resolve("source", None).unwrap().digest, other.digest);
    assert_eq!(existing.resolve("latest", None).unwrap().digest, v1.digest);
    assert!(existing.resolve("v7", None).is_ok());

    let o = oci(&["copy", &format!("docker-archive:{}:example/other:v7", docker.display()), &d]);
    assert_eq!(code(&o), 1, "an unknown name is refused");
    assert!(String::from_utf8_lossy(&o.stderr).contains("example/other:v7"));
}

/// Issue 17, class 6: a named file is read up to a bound, not until memory runs out.
#[test]
fn issue17_validate_reads_a_bounded_prefix_of_endless_files() {
    let started = std::time::Instant::now();
    let o = oci(&["validate", "--kind", "manifest", "/dev/zero"]);
    assert_eq!(code(&o), 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains("larger than"), "{o:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// Issue 17, class 8: text from a layout (tags, problems, errors) reaches the terminal
/// with its control characters escaped.
#[test]
fn issue17_untrusted_text_is_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let layout = layout(&path);
    let image = layout.resolve("v1", None).unwrap();
    let evil = "x\u{1b}]0;owned\u{7}\u{1b}[2J";
    layout
        .update_index(|i| {
            let mut e = image.clone();
            e.annotations.insert(oci_image::annotations::REF_NAME.into(), evil.into());
            i.manifests.push(e);
            Ok(())
        })
        .unwrap();
    let l = format!("oci:{}", path.display());
    let outputs = [
        oci(&["ls", &l]),
        oci(&["validate", &l]),
        oci(&["inspect", &format!("{l}:{evil}")]),
        oci(&["unpack", &l, dir.path().join("r").to_str().unwrap()]),
    ];
    for o in &outputs {
        for stream in [&o.stdout, &o.stderr] {
            assert!(!stream.contains(&0x1b) && !stream.contains(&0x07), "{o:?}");
        }
    }
    assert!(String::from_utf8_lossy(&outputs[0].stdout).contains("x\\u{1b}]0;owned"));
}

/// Issue 17, class 10: a copy that fails into a destination that did not exist leaves
/// nothing there (it used to leave an empty layout); an existing layout keeps its tags.
#[test]
fn issue17_failed_copy_to_a_new_layout_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let layout = layout(&path);
    let l = format!("oci:{}", path.display());
    // The layer is damaged: the copy fails verification after the layout was made.
    let image = layout.image(&layout.resolve("v1", None).unwrap()).unwrap();
    let layer = &image.manifest.layers[0];
    std::fs::write(path.join("blobs/sha256").join(layer.digest.encoded()), b"damaged").unwrap();
    let new = dir.path().join("new/nested");
    let o = oci(&["copy", &format!("{l}:v1"), &format!("oci:{}:v1", new.display())]);
    assert_eq!(code(&o), 1, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!dir.path().join("new").exists(), "nothing is left where nothing was");
    let o = oci(&["copy", &format!("{l}:v1"), &l, "--all-platforms"]);
    assert_eq!(code(&o), 0, "into itself, nothing to copy: {}", String::from_utf8_lossy(&o.stderr));
    assert!(Layout::open(&path).unwrap().resolve("v1", None).is_ok());
}

/// `oci demo` ends with a bundle that runs: with runc installed and as root, it runs it
/// and shows what the image's program printed.
#[test]
fn demo_bundle_runs_with_runc() {
    let dir = tempfile::tempdir().unwrap();
    let o = oci(&["demo", dir.path().join("demo").to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 0, "{stdout}{}", String::from_utf8_lossy(&o.stderr));
    let has_runc = Command::new("runc").arg("--version").output().is_ok();
    if has_runc && rustix::process::geteuid().is_root() {
        assert!(
            stdout.contains("6. ran it with runc: hello from an OCI image")
                || stdout.contains("6. ran it with runc: oci "),
            "{stdout}"
        );
    } else {
        assert!(stdout.contains("6. "), "{stdout}");
    }
}

/// Issue 17, class 8: a name from a tar header that the applier refuses reaches stderr
/// with its control characters escaped.
#[test]
fn issue17_tar_entry_names_are_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let layout = Layout::create(&path).unwrap();
    let tar = tar_with("x", b"x");
    // The tar crate refuses such a name: write it into the header by hand.
    let mut tar = tar;
    let name = b"../\x1b]0;owned\x07\x1b[2J";
    tar[..100].fill(0);
    tar[..name.len()].copy_from_slice(name);
    tar[148..156].copy_from_slice(b"        ");
    let sum: u32 = tar[..512].iter().map(|&b| u32::from(b)).sum();
    tar[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let layer = layout.put_bytes(MediaType::ImageLayer, &tar).unwrap();
    let host = oci_image::Platform::host();
    let mut config = ImageConfiguration::new(host.os.as_str(), host.architecture.as_str());
    config.rootfs.diff_ids.push(Digest::sha256(&tar));
    let image = layout.write_image(&config, vec![layer], Default::default()).unwrap();
    layout.tag(&image, "v1").unwrap();
    let o = oci(&[
        "unpack",
        &format!("oci:{}:v1", path.display()),
        dir.path().join("r").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    assert!(!o.stderr.contains(&0x1b) && !o.stderr.contains(&0x07), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("\\u{1b}"), "{o:?}");
}

/// Issue 17, class 3, as it was found: an index that names its manifest's digest twice,
/// first as `application/octet-stream`, then as the manifest. `oci copy` skipped the
/// manifest's children yet tagged the image (exit 0; unpack then failed), and `validate`
/// passed a layout whose blobs were missing.
#[test]
fn issue17_index_naming_a_manifest_twice_copies_validates_and_unpacks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l");
    let layout = layout(&path);
    let mut manifest = layout.resolve("v1", None).unwrap();
    manifest.annotations.clear();
    manifest.platform = Some(oci_image::Platform::host());
    let as_blob = oci_image::Descriptor::new(
        MediaType::from("application/octet-stream"),
        manifest.size,
        manifest.digest.clone(),
    );
    let index = oci_image::ImageIndex::new(vec![as_blob, manifest]);
    let index = layout.put_json(MediaType::ImageIndex, &index).unwrap();
    layout.tag(&index, "twice").unwrap();
    let src = format!("oci:{}:twice", path.display());
    let dest = dir.path().join("dest");
    let o = oci(&["copy", "--all-platforms", &src, &format!("oci:{}:twice", dest.display())]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let o = oci(&["validate", &format!("oci:{}", dest.display())]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let rootfs = dir.path().join("rootfs");
    let o = oci(&[
        "unpack",
        &format!("oci:{}:twice", dest.display()),
        rootfs.to_str().unwrap(),
        "--rootless",
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(rootfs.join("hello.txt")).unwrap(), b"hello");

    // And a layout missing the manifest's layer does not validate, whichever edge is first.
    let image = layout.image(&layout.resolve("v1", None).unwrap()).unwrap();
    let layer = &image.manifest.layers[0];
    std::fs::remove_file(dest.join("blobs/sha256").join(layer.digest.encoded())).unwrap();
    let o = oci(&["validate", &format!("oci:{}", dest.display())]);
    assert_eq!(code(&o), 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains(layer.digest.as_str()));
}
