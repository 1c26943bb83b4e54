//! `oci demo DIR`: the whole job on a sample image built here, with nothing to download.
//!
//! It generates a small root filesystem, packs it into an image in `DIR/layout`, checks
//! the layout, makes a runtime bundle of it in `DIR/bundle`, checks its `config.json`,
//! and says what it did at each step.

use std::path::{Path, PathBuf};

use oci_image::{Compression, History, ImageConfiguration, Platform};
use oci_layout::Layout;
use oci_layout::layer::{ApplyOptions, CreateOptions};

use crate::Failure;

/// Arguments of `oci demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to build: `DIR/tree`, `DIR/layout` and `DIR/bundle` (DIR new or empty).
    pub dir: PathBuf,
}

fn write(path: &Path, content: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, content)
}

/// The sample root filesystem: account files, a script, a link, a hard link, a directory.
fn tree(root: &Path) -> std::io::Result<()> {
    write(
        &root.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\ndemo:x:1000:1000:demo:/home/demo:/bin/sh\n",
    )?;
    write(&root.join("etc/group"), "root:x:0:\ndemo:x:1000:\nstaff:x:50:demo\n")?;
    write(&root.join("etc/os-release"), "NAME=\"oci demo\"\n")?;
    write(&root.join("app/hello.sh"), "#!/bin/sh\necho \"hello from an OCI image\"\n")?;
    std::fs::set_permissions(
        root.join("app/hello.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )?;
    std::os::unix::fs::symlink("hello.sh", root.join("app/hello"))?;
    std::fs::hard_link(root.join("etc/os-release"), root.join("app/os-release"))?;
    std::fs::create_dir_all(root.join("home/demo"))?;
    Ok(())
}

/// Runs `oci demo`.
///
/// # Errors
/// If any step fails; the message says which.
pub fn run(args: &Args) -> Result<(), Failure> {
    let dir = &args.dir;
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(format!("{} exists and is not empty", dir.display()).into());
    }
    let tree_dir = dir.join("tree");
    tree(&tree_dir).map_err(|e| format!("cannot write the sample tree: {e}"))?;
    println!("1. generated a sample root filesystem in {}", tree_dir.display());

    let layout = Layout::create(dir.join("layout"))?;
    let mut options = CreateOptions::default();
    options.compression = Compression::Gzip;
    options.mtime = Some(1_700_000_000);
    options.owner = Some((0, 0));
    let layer = layout.put_layer(&tree_dir, None, &options)?;
    let host = Platform::host();
    let mut config = ImageConfiguration::new(host.os.as_str(), host.architecture.as_str());
    config.created = Some("2023-11-14T22:13:20Z".into());
    config.config.cmd = Some(vec!["/app/hello".into()]);
    config.config.env = vec!["GREETING=hello".into()];
    config.config.user = Some("demo".into());
    config.config.working_dir = Some("/home/demo".into());
    config.config.labels.insert("org.opencontainers.image.title".into(), "oci demo".into());
    config.rootfs.diff_ids.push(layer.diff_id.clone());
    let mut history = History::default();
    history.created_by = Some("oci demo".into());
    config.history.push(history);
    let image = layout.write_image(&config, vec![layer.descriptor.clone()], Default::default())?;
    layout.tag(&image, "demo")?;
    println!(
        "2. packed it into {}:demo\n   manifest {}\n   layer    {} ({} bytes, diff_id {})",
        layout.path().display(),
        image.digest,
        layer.descriptor.digest,
        layer.descriptor.size,
        layer.diff_id
    );

    let report = layout.fsck()?;
    if !report.is_ok() {
        return Err(format!("the layout does not check: {:?}", report.problems).into());
    }
    println!(
        "3. checked the layout: {} blobs, {} bytes hashed, {} documents valid",
        report.blobs_checked, report.bytes_checked, report.documents_checked
    );

    let bundle_dir = dir.join("bundle");
    let mut apply = ApplyOptions::default();
    apply.rootless = !rustix::process::geteuid().is_root();
    let bundle = layout.bundle("demo", None, &bundle_dir, &apply)?;
    println!(
        "4. made a runtime bundle in {} ({} entries unpacked{})",
        bundle_dir.display(),
        bundle.unpack.layers.iter().map(|l| l.entries).sum::<u64>(),
        if apply.rootless { ", rootless" } else { "" }
    );

    let written = std::fs::read(bundle_dir.join("config.json"))?;
    let spec: oci_runtime_spec::Spec = oci_runtime_spec::from_slice(&written)?;
    let violations = spec.validate();
    if !violations.is_empty() {
        return Err(format!("config.json does not validate: {violations:?}").into());
    }
    let process = spec.process.as_ref().ok_or("config.json has no process")?;
    let user = process.user.clone().unwrap_or_default();
    println!(
        "5. checked config.json: args {:?}, user {}:{} (groups {:?}), cwd {}",
        process.args,
        user.uid.unwrap_or(0),
        user.gid.unwrap_or(0),
        user.additional_gids,
        process.cwd
    );
    let hello = std::fs::read_to_string(bundle_dir.join("rootfs/app/hello.sh"))?;
    if !hello.contains("hello from an OCI image") {
        return Err("the unpacked rootfs does not hold the sample files".into());
    }
    println!(
        "done: run it with `runc run --bundle {} demo` (root) once /bin/sh is in the image",
        bundle_dir.display()
    );
    Ok(())
}
