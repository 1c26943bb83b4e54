//! The `async_copy` example, as a user runs it, on the corpus of real images
//! (`scripts/make-corpus.sh`, `OCI_CORPUS` in CI): the `app` image pushed to the
//! distribution registry and pulled back, with the digests skopeo sees.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use oci_layout::Layout;

use crate::support::Registry;

/// The example's binary: built by `cargo test` beside this test, else built here.
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let path = profile_dir.join("examples").join("async_copy");
    if !path.exists() {
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let mut cargo = Command::new(env!("CARGO"));
        cargo.args([
            "build",
            "-q",
            "-p",
            "oci-distribution",
            "--features",
            "async-client",
            "--example",
            "async_copy",
        ]);
        if release {
            cargo.arg("--release");
        }
        assert!(cargo.status().unwrap().success(), "cannot build the async_copy example");
    }
    path
}

fn run(program: &Path, args: &[&str]) -> Output {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({e})", program.display()));
    assert!(
        out.status.success(),
        "{} {args:?} failed: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn skopeo(args: &[&str]) -> Output {
    let found = Command::new("sh")
        .args(["-c", "command -v skopeo"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "`skopeo` is missing: install it (apt-get install skopeo)");
    run(Path::new("skopeo"), args)
}

fn corpus() -> PathBuf {
    let dir = std::env::var_os("OCI_CORPUS").unwrap_or_else(|| {
        panic!("set OCI_CORPUS to a corpus built by scripts/make-corpus.sh (`.ci/run` does)")
    });
    PathBuf::from(dir).join("layout")
}

fn digest_of(layout: &Path, tag: &str) -> String {
    Layout::open(layout).unwrap().resolve(tag, None).unwrap().digest.to_string()
}

#[test]
fn async_copy_pushes_and_pulls_the_corpus_app_image_as_skopeo_sees_it() {
    let registry = Registry::start(None);
    let host = registry.host();
    let corpus = corpus();
    let work = tempfile::tempdir_in("/dev/shm").unwrap_or_else(|_| tempfile::tempdir().unwrap());
    let example = example();

    // Push with the example, and the same image with skopeo to another repository.
    let ours = format!("docker://{host}/ours/app:v1");
    let out = run(&example, &["--plain-http", &format!("oci:{}:app", corpus.display()), &ours]);
    let pushed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(pushed.trim(), digest_of(&corpus, "app"));
    skopeo(&[
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &format!("oci:{}:app", corpus.display()),
        &format!("docker://{host}/theirs/app:v1"),
    ]);
    let raw = |name: &str| {
        skopeo(&["inspect", "--raw", "--tls-verify=false", &format!("docker://{host}/{name}")])
            .stdout
    };
    assert_eq!(
        oci_image::Digest::sha256(&raw("ours/app:v1")),
        oci_image::Digest::sha256(&raw("theirs/app:v1")),
        "the registry holds the same manifest bytes from both pushes"
    );

    // Pull back with the example: the layout validates and holds the same image.
    let pulled = work.path().join("pulled");
    let out = run(&example, &["--plain-http", &ours, &format!("oci:{}:app", pulled.display())]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), digest_of(&corpus, "app"));
    let report = Layout::open(&pulled).unwrap().fsck().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(digest_of(&pulled, "app"), digest_of(&corpus, "app"));
    // skopeo pulls what the example pushed, identically.
    let theirs = work.path().join("skopeo");
    skopeo(&[
        "copy",
        "-q",
        "--src-tls-verify=false",
        &ours,
        &format!("oci:{}:app", theirs.display()),
    ]);
    assert_eq!(digest_of(&theirs, "app"), digest_of(&corpus, "app"));

    // Bad usage and failures: 2 and 1, with the reason on stderr.
    let status = |args: &[&str]| Command::new(&example).args(args).output().unwrap();
    let usage = status(&["only-one"]);
    assert_eq!(usage.status.code(), Some(2));
    let missing = status(&[
        "--plain-http",
        &format!("docker://{host}/nothing/here:v1"),
        &format!("oci:{}:x", work.path().join("x").display()),
    ]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("not found"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}

#[test]
fn async_copy_honours_proxies_from_the_environment() {
    use crate::proxy::{Fault, Proxy};
    let registry = Registry::start(None);
    let host = registry.host();
    let source = oci_image::content::MemoryStore::new();
    let root = crate::client::multi(&source, 100 << 10);
    let remote = oci_distribution::client::Client::new(crate::client::options())
        .repository(&crate::client::reference(&host, "proxied/app:v1"));
    oci_image::content::copy(&source, "multi", &remote, "v1", &Default::default()).unwrap();
    let proxy = Proxy::start(registry.port, None, |_| Fault::Pass);
    let work = tempfile::tempdir().unwrap();
    let example = example();
    let pull = |dir: &str, no_proxy: Option<&str>| {
        let mut command = Command::new(&example);
        command
            .args([
                "--plain-http",
                &format!("docker://{host}/proxied/app:v1"),
                &format!("oci:{}:v1", work.path().join(dir).display()),
            ])
            .env("HTTP_PROXY", format!("http://{}", proxy.host()))
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy");
        if let Some(no_proxy) = no_proxy {
            command.env("NO_PROXY", no_proxy);
        }
        let out = command.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(pull("via", None).trim(), root.digest.as_str());
    assert!(
        proxy.log.lock().unwrap().iter().any(|l| l.contains("/v2/proxied/app/manifests/v1")),
        "{:?}",
        proxy.log.lock().unwrap()
    );
    proxy.log.lock().unwrap().clear();
    assert_eq!(pull("direct", Some("127.0.0.1")).trim(), root.digest.as_str());
    assert!(proxy.log.lock().unwrap().is_empty(), "NO_PROXY: {:?}", proxy.log.lock().unwrap());
}
