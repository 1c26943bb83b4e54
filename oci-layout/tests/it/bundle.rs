//! Bundles: config.json converted from the image; runc (root and rootless) and crun run
//! them.

use std::path::{Path, PathBuf};
use std::process::Command;

use oci_image::{ImageConfiguration, MediaType};
use oci_layout::layer::{ApplyOptions, CreateOptions};
use oci_layout::{Layout, bundle};
use oci_runtime_spec::Spec;

/// A rootfs with the account files the user resolution reads.
fn rootfs(dir: &Path) -> PathBuf {
    let root = dir.join("tree");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/passwd"),
        "root:x:0:0::/root:/bin/sh\napp:x:1001:1002::/home/app:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(
        root.join("etc/group"),
        "root:x:0:\napp:x:1002:\nwheel:x:10:app,other\naudio:x:29:app\n",
    )
    .unwrap();
    root
}

#[test]
fn conversion_follows_conversion_md() {
    let dir = tempfile::tempdir().unwrap();
    let root = rootfs(dir.path());
    let mut config = ImageConfiguration::new("linux", "amd64");
    config.config.entrypoint = Some(vec!["/bin/app".into()]);
    config.config.cmd = Some(vec!["--serve".into()]);
    config.config.env = vec!["PATH=/opt/bin".into(), "MODE=prod".into()];
    config.config.working_dir = Some("/srv".into());
    config.config.user = Some("app".into());
    config.config.stop_signal = Some("SIGQUIT".into());
    config.config.expose("8080/tcp");
    config.config.add_volume("/data");
    config.config.labels.insert("org.opencontainers.image.os".into(), "from-label".into());
    config.author = Some("someone".into());
    let spec = bundle::convert(&config, &root, Spec::default()).unwrap();
    let p = spec.process.as_ref().unwrap();
    assert_eq!(p.args, ["/bin/app", "--serve"]);
    assert_eq!(
        p.env,
        ["PATH=/opt/bin", "MODE=prod", "TERM=xterm"],
        "the image's PATH wins, defaults fill in"
    );
    assert_eq!(p.cwd, "/srv");
    let user = p.user.as_ref().unwrap();
    assert_eq!(
        (user.uid, user.gid, user.additional_gids.clone()),
        (Some(1001), Some(1002), vec![10, 29])
    );
    let a = &spec.annotations;
    assert_eq!(a["org.opencontainers.image.stopSignal"], "SIGQUIT");
    assert_eq!(a["org.opencontainers.image.exposedPorts"], "8080/tcp");
    assert_eq!(a["org.opencontainers.image.volumes"], "/data");
    assert_eq!(a["org.opencontainers.image.author"], "someone");
    assert_eq!(a["org.opencontainers.image.os"], "from-label", "labels take precedence");
    assert!(spec.validate().is_empty());

    for (user, expect) in
        [("1001", (1001, 1002)), ("app:wheel", (1001, 10)), ("5:7", (5, 7)), ("app:29", (1001, 29))]
    {
        config.config.user = Some(user.into());
        let u = bundle::convert(&config, &root, Spec::default())
            .unwrap()
            .process
            .unwrap()
            .user
            .unwrap();
        assert_eq!((u.uid, u.gid), (Some(expect.0), Some(expect.1)), "{user}");
        assert!(
            u.additional_gids.is_empty(),
            "{user}: no supplementary groups with a number or a group"
        );
    }
    config.config.user = Some("nobody-here".into());
    assert!(bundle::convert(&config, &root, Spec::default()).is_err());

    // /etc/passwd must be a regular file inside the rootfs: a link to the host's is refused.
    let linked = dir.path().join("linked");
    std::fs::create_dir_all(linked.join("etc")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", linked.join("etc/passwd")).unwrap();
    config.config.user = Some("root".into());
    assert!(bundle::convert(&config, &linked, Spec::default()).is_err());
}

fn user_of(root: &Path, user: &str) -> Result<(u32, u32, Vec<u32>), oci_layout::Error> {
    let mut config = ImageConfiguration::new("linux", "amd64");
    config.config.user = Some(user.into());
    let spec = bundle::convert(&config, root, Spec::default())?;
    let u = spec.process.unwrap().user.unwrap();
    Ok((u.uid.unwrap(), u.gid.unwrap(), u.additional_gids))
}

/// Issue 17, class 10: ids as runc takes them. `4294967295` is `(uid_t) -1` and `+0` is
/// no number; both used to be accepted as uids.
#[test]
fn issue17_user_ids_out_of_range_or_signed_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = rootfs(dir.path());
    for bad in
        ["4294967295", "2147483648", "+0", "-1", "0:+0", "0:4294967295", "app:-1", ":0", "0:"]
    {
        let err = user_of(&root, bad).unwrap_err();
        assert!(matches!(err, oci_layout::Error::User { .. }), "{bad:?}: {err}");
    }
    assert_eq!(user_of(&root, "2147483647:0").unwrap(), (2_147_483_647, 0, vec![]));
    assert_eq!(user_of(&root, "0").unwrap(), (0, 0, vec![]));
}

/// Issue 17, class 10: account files are bytes (runc compares them bytewise), and they
/// are read to their end, not cut at a size.
#[test]
fn issue17_passwd_with_non_utf8_fields_and_past_4_mib() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let mut passwd =
        b"root:x:0:0::/root:/bin/sh\nlatin:x:7:7:Jos\xe9:/home/\xe9:/bin/sh\n".to_vec();
    // 5 MiB of other users, then the one wanted.
    let filler = b"filler:x:100:100:a user nobody asked about:/nonexistent:/bin/false\n";
    while passwd.len() < 5 << 20 {
        passwd.extend_from_slice(filler);
    }
    passwd.extend_from_slice(b"last:x:4242:4343::/home/last:/bin/sh\n");
    std::fs::write(root.join("etc/passwd"), &passwd).unwrap();
    std::fs::write(root.join("etc/group"), b"g\xff:x:50:latin\nstaff:x:51:latin,last\n").unwrap();
    assert_eq!(user_of(&root, "latin").unwrap(), (7, 7, vec![50, 51]));
    assert_eq!(user_of(&root, "last").unwrap(), (4242, 4343, vec![51]));
    assert_eq!(user_of(&root, "4242").unwrap(), (4242, 4343, vec![]));

    // One line longer than anything an account file holds is refused, not read whole.
    let mut long = b"huge:x:1:1:".to_vec();
    long.resize(2 << 20, b'a');
    std::fs::write(root.join("etc/passwd"), &long).unwrap();
    assert!(user_of(&root, "huge").is_err());
}

/// An image whose rootfs is busybox, tagged `bb`.
fn busybox_image(dir: &Path) -> Layout {
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or_else(|| {
            panic!(
                "busybox is missing: install it (apt-get install busybox-static) to run this test"
            )
        });
    let tree = dir.join("bb");
    std::fs::create_dir_all(tree.join("bin")).unwrap();
    std::fs::copy(busybox, tree.join("bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", tree.join("bin/sh")).unwrap();
    let layout = Layout::create(dir.join("layout")).unwrap();
    let layer = layout.put_layer(&tree, None, &CreateOptions::default()).unwrap();
    let host = oci_image::Platform::host();
    let mut config = ImageConfiguration::new(host.os.as_str(), host.architecture.as_str());
    config.config.cmd = Some(vec!["/bin/sh".into(), "-c".into(), "echo ok".into()]);
    config.rootfs.diff_ids.push(layer.diff_id);
    let image = layout.write_image(&config, vec![layer.descriptor], Default::default()).unwrap();
    assert_eq!(image.media_type, MediaType::ImageManifest);
    layout.tag(&image, "bb").unwrap();
    layout
}

fn run_tool(cmd: &mut Command, name: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run `{name}` ({e}): install it (apt-get install {name})")
    });
    assert!(
        out.status.success(),
        "{name} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn set_oci_version(bundle: &Path, version: &str) {
    let path = bundle.join("config.json");
    let mut spec: Spec = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    spec.oci_version = version.into();
    std::fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();
}

#[test]
fn runc_and_crun_run_our_bundles() {
    if !rustix::process::geteuid().is_root() {
        panic!("this test runs runc as root and as an unprivileged user: run it as root");
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = busybox_image(dir.path());
    let id = format!("oci-rs-test-{}", std::process::id());

    let b = dir.path().join("bundle");
    layout.bundle("bb", None, &b, &ApplyOptions::default()).unwrap();
    let out =
        run_tool(Command::new("runc").args(["run", "--bundle", b.to_str().unwrap(), &id]), "runc");
    assert_eq!(out.trim(), "ok");

    // crun 1.8 knows runtime-spec up to 1.1; this machine's hybrid cgroups need a private
    // mount namespace without the unified hierarchy.
    set_oci_version(&b, "1.1.0");
    let script = format!(
        "umount /sys/fs/cgroup/unified 2>/dev/null; exec crun run --bundle {} {id}-crun",
        b.display()
    );
    let out = run_tool(Command::new("unshare").args(["-m", "sh", "-c", &script]), "crun");
    assert_eq!(out.trim(), "ok");

    // Rootless: a bundle for uid 65534, run by that user.
    let r = dir.path().join("rootless");
    let mut options = ApplyOptions::default();
    options.rootless = true;
    layout.bundle("bb", None, &r, &options).unwrap();
    let path = r.join("config.json");
    let mut spec: Spec = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let nobody = Spec::rootless_for(65534, 65534);
    spec.linux.as_mut().unwrap().uid_mappings = nobody.linux.as_ref().unwrap().uid_mappings.clone();
    spec.linux.as_mut().unwrap().gid_mappings = nobody.linux.as_ref().unwrap().gid_mappings.clone();
    std::fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();
    let state = dir.path().join("runc-state");
    std::fs::create_dir(&state).unwrap();
    for p in [dir.path().to_path_buf(), r.clone(), state.clone()] {
        run_tool(Command::new("chown").args(["-R", "65534:65534", p.to_str().unwrap()]), "chown");
    }
    let out = run_tool(
        Command::new("setpriv")
            .args([
                "--reuid",
                "65534",
                "--regid",
                "65534",
                "--clear-groups",
                "runc",
                "--root",
                state.to_str().unwrap(),
            ])
            .args(["run", "--bundle", r.to_str().unwrap(), &format!("{id}-rootless")])
            .env("XDG_RUNTIME_DIR", &state),
        "runc",
    );
    assert_eq!(out.trim(), "ok");
}
