//! `oci demo DIR`: the whole job on a sample image built here, with nothing to download.
//!
//! It generates a small root filesystem with a program that runs (a statically linked
//! busybox when this machine has one, else the `oci` program itself with the libraries it
//! links), packs it into an image in `DIR/layout`, checks the layout, makes a runtime
//! bundle of it in `DIR/bundle`, checks its `config.json`, runs it with runc when runc is
//! installed, and says what it did at each step.

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

/// Whether `path` is an executable that needs no dynamic loader (`ldd` says so).
fn is_static(path: &Path) -> bool {
    std::process::Command::new("ldd").arg(path).output().is_ok_and(|o| {
        !o.status.success() || String::from_utf8_lossy(&o.stdout).contains("not a dynamic")
    })
}

/// The shared libraries `ldd` lists for `exe`, by absolute path (the loader included).
fn libraries(exe: &Path) -> Result<Vec<PathBuf>, Failure> {
    let out = std::process::Command::new("ldd")
        .arg(exe)
        .output()
        .map_err(|e| format!("cannot run ldd to find what {} links: {e}", exe.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .filter_map(|line| {
            let path = match line.split_once("=>") {
                Some((_, after)) => after.split_whitespace().next()?,
                None => line.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect())
}

/// Copies `from` to the same absolute path beneath `root`, mode 0755.
fn copy_in(root: &Path, from: &Path, to: &str) -> std::io::Result<()> {
    let target = root.join(to.trim_start_matches('/'));
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(from, &target)?;
    std::fs::set_permissions(&target, std::os::unix::fs::PermissionsExt::from_mode(0o755))
}

/// Puts a program that runs into the sample tree and returns the command that runs it:
/// a static busybox (as `/bin/sh`, for the sample script) if there is one, else this
/// program with its libraries.
fn program(root: &Path, busyboxes: &[&str]) -> Result<(Vec<String>, String), Failure> {
    let busybox = busyboxes.iter().map(Path::new).find(|p| p.is_file() && is_static(p));
    if let Some(busybox) = busybox {
        copy_in(root, busybox, "/bin/busybox")?;
        std::os::unix::fs::symlink("busybox", root.join("bin/sh"))?;
        return Ok((
            vec!["/app/hello".into()],
            format!("a static busybox ({})", busybox.display()),
        ));
    }
    let exe = std::env::current_exe()?;
    copy_in(root, &exe, "/bin/oci")?;
    let libraries = libraries(&exe)?;
    for library in &libraries {
        copy_in(root, library, &library.to_string_lossy())?;
    }
    Ok((
        vec!["/bin/oci".into(), "--version".into()],
        format!("this program and the {} libraries it links", libraries.len()),
    ))
}

/// Runs the bundle with runc, if runc is installed; its output, or why it did not run.
fn run_with_runc(dir: &Path, bundle: &Path) -> Option<Result<String, String>> {
    let runc = std::env::var_os("PATH")?
        .to_string_lossy()
        .split(':')
        .map(|d| Path::new(d).join("runc"))
        .find(|p| p.is_file())?;
    let state = dir.join("runc-state");
    let id = format!("oci-demo-{}", std::process::id());
    let out = std::process::Command::new(runc)
        .arg("--root")
        .arg(&state)
        .args(["run", "--bundle"])
        .arg(bundle)
        .arg(&id)
        .stdin(std::process::Stdio::null())
        .output();
    let _ = std::fs::remove_dir_all(&state);
    Some(match out {
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).trim().to_owned()),
        Ok(o) => Err(String::from_utf8_lossy(&o.stderr).trim().to_owned()),
        Err(e) => Err(e.to_string()),
    })
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
    let (cmd, what) = program(&tree_dir, &["/bin/busybox", "/usr/bin/busybox"])?;
    println!("1. generated a sample root filesystem in {}, with {what}", tree_dir.display());

    let layout = Layout::create(dir.join("layout"))?;
    let mut options = CreateOptions::default();
    options.compression = Compression::Gzip;
    options.mtime = Some(1_700_000_000);
    options.owner = Some((0, 0));
    let layer = layout.put_layer(&tree_dir, None, &options)?;
    let host = Platform::host();
    let mut config = ImageConfiguration::new(host.os.as_str(), host.architecture.as_str());
    config.created = Some("2023-11-14T22:13:20Z".into());
    config.config.cmd = Some(cmd);
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
    let root = rustix::process::geteuid().is_root();
    match run_with_runc(dir, &bundle_dir) {
        Some(Ok(output)) => println!("6. ran it with runc: {}", crate::terminal::escape(&output)),
        // As root the bundle must run; rootless runc depends on this machine's setup.
        Some(Err(why)) if root => {
            return Err(format!("runc could not run the bundle: {why}").into());
        }
        Some(Err(why)) => println!(
            "6. runc could not run it here without privilege: {}",
            crate::terminal::escape(&why)
        ),
        None => println!(
            "6. runc is not installed: run it with `runc run --bundle {} demo`",
            bundle_dir.display()
        ),
    }
    println!("done");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without a static busybox, the image carries this program and every library it
    /// links, at the paths the loader looks for them.
    #[test]
    fn the_fallback_program_brings_its_libraries() {
        let dir = tempfile::tempdir().unwrap();
        let (cmd, _) = program(dir.path(), &[]).unwrap();
        assert_eq!(cmd, ["/bin/oci", "--version"]);
        assert!(dir.path().join("bin/oci").is_file());
        let exe = std::env::current_exe().unwrap();
        let libraries = libraries(&exe).unwrap();
        if !is_static(&exe) {
            assert!(
                libraries.iter().any(|l| l.to_string_lossy().contains("libc.so")),
                "{libraries:?}"
            );
        }
        for library in libraries {
            let inside = dir.path().join(library.strip_prefix("/").unwrap());
            assert!(inside.is_file(), "{} is missing", inside.display());
        }
    }
}
