//! `oci copy` with registries: against the distribution registry (Debian's
//! `docker-registry`, started here on 127.0.0.1 and stopped at the end) and beside skopeo,
//! which must pull what we push identically and push what we then pull identically.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeSet;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use oci_image::{Digest, ImageConfiguration, MediaType, Platform};
use oci_layout::Layout;

struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tool(name: &str, package: &str) -> Command {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "`{name}` is missing: install it (apt-get install {package})");
    Command::new(name)
}

fn start(htpasswd: Option<&str>) -> Registry {
    start_tls(htpasswd, None)
}

/// A registry, over TLS with this certificate and key when given.
fn start_tls(htpasswd: Option<&str>, tls: Option<(&Path, &Path)>) -> Registry {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let mut config = format!(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
        dir.path().join("data").display()
    );
    if let Some((certificate, key)) = tls {
        config.push_str(&format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            certificate.display(),
            key.display()
        ));
    }
    if let Some(line) = htpasswd {
        let file = dir.path().join("htpasswd");
        std::fs::write(&file, line).unwrap();
        config
            .push_str(&format!("auth:\n  htpasswd:\n    realm: r\n    path: {}\n", file.display()));
    }
    std::fs::write(dir.path().join("config.yml"), config).unwrap();
    let child = tool("docker-registry", "docker-registry")
        .args(["serve", dir.path().join("config.yml").to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let registry = Registry { child, port, _dir: dir };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the registry did not start");
        std::thread::sleep(Duration::from_millis(25));
    }
    registry
}

fn oci(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oci")).args(args).output().unwrap()
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn skopeo(args: &[&str]) {
    ok(tool("skopeo", "skopeo").args(args).output().unwrap());
}

/// A layout with a two-platform index tagged `multi` and this machine's image tagged
/// `v1`; each image has a layer large enough to be uploaded in chunks.
fn source(dir: &Path) -> Layout {
    let layout = Layout::create(dir).unwrap();
    let mut manifests = Vec::new();
    for arch in ["amd64", "arm64"] {
        let mut x = arch.bytes().map(u64::from).product::<u64>() | 1;
        let noise: Vec<u8> = (0..(3 << 20))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        // Real gzip (of a tar): skopeo checks compression and would rewrite a manifest
        // whose media type lies.
        let tar = {
            let mut b = tar::Builder::new(Vec::new());
            let mut h = tar::Header::new_gnu();
            h.set_size(noise.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, "noise", &noise[..]).unwrap();
            b.into_inner().unwrap()
        };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        let layer = layout.put_bytes(MediaType::ImageLayerGzip, &gz.finish().unwrap()).unwrap();
        let mut config = ImageConfiguration::new("linux", arch);
        config.rootfs.diff_ids.push(Digest::sha256(&tar));
        let mut image = layout.write_image(&config, vec![layer], Default::default()).unwrap();
        image.platform = Some(format!("linux/{arch}").parse().unwrap());
        if Platform::host().architecture == arch {
            layout.tag(&image, "v1").unwrap();
        }
        manifests.push(image);
    }
    let index = layout.write_index(manifests).unwrap();
    layout.tag(&index, "multi").unwrap();
    layout
}

fn digest_of(layout: &Path, tag: &str) -> String {
    Layout::open(layout).unwrap().resolve(tag, None).unwrap().digest.to_string()
}

fn blobs(layout: &Path) -> BTreeSet<String> {
    std::fs::read_dir(layout.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn copy_to_and_from_a_registry_beside_skopeo() {
    let registry = start(None);
    let host = format!("127.0.0.1:{}", registry.port);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    source(&src);
    let src_s = format!("oci:{}:multi", src.display());

    // We push every platform; skopeo pulls the same index, blob for blob.
    let dest = format!("docker://{host}/cli/app:v1");
    ok(oci(&["copy", "--plain-http", "--all-platforms", "--chunk-mib", "1", &src_s, &dest]));
    let pulled = work.path().join("skopeo-pulled");
    skopeo(&[
        "copy",
        "-q",
        "--all",
        "--src-tls-verify=false",
        &dest,
        &format!("oci:{}:v1", pulled.display()),
    ]);
    assert_eq!(digest_of(&pulled, "v1"), digest_of(&src, "multi"));
    assert_eq!(blobs(&pulled), blobs(&src));

    // skopeo pushes; we pull the same, every platform, then this machine's only.
    let pushed = format!("docker://{host}/skopeo/app:v2");
    skopeo(&["copy", "-q", "--all", "--dest-tls-verify=false", &src_s, &pushed]);
    let ours = work.path().join("ours");
    ok(oci(&[
        "copy",
        "--plain-http",
        "--all-platforms",
        &pushed,
        &format!("oci:{}:v2", ours.display()),
    ]));
    assert_eq!(digest_of(&ours, "v2"), digest_of(&src, "multi"));
    assert_eq!(blobs(&ours), blobs(&src));
    let one = work.path().join("one");
    ok(oci(&["copy", "--plain-http", &pushed, &format!("oci:{}", one.display())]));
    assert_eq!(digest_of(&one, "v2"), digest_of(&src, "v1"));
    let o = ok(oci(&["validate", &format!("oci:{}", one.display())]));
    assert!(o.status.success());

    // Registry to registry: the blobs are mounted, not sent again.
    let o = ok(oci(&[
        "copy",
        "--plain-http",
        "--json",
        "--all-platforms",
        &pushed,
        &format!("docker://{host}/skopeo/copy:v3"),
    ]));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["blobsCopied"], 3, "{report}");
    assert_eq!(report["blobsSkipped"], 4, "{report}");

    // By digest, into an archive.
    let by_digest = format!("docker://{host}/cli/app@{}", digest_of(&src, "v1"));
    let archive = work.path().join("app.tar");
    ok(oci(&[
        "copy",
        "--plain-http",
        &by_digest,
        &format!("oci-archive:{}:v1", archive.display()),
    ]));
    assert!(archive.metadata().unwrap().len() > 3 << 20);

    // Errors are clear: no such tag, no such registry.
    let o = oci(&["copy", "--plain-http", &format!("docker://{host}/cli/app:nope"), "oci:/tmp/x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not found"), "{o:?}");
}

#[test]
fn credentials_on_the_command_line_and_from_an_auth_file() {
    let line = tool("htpasswd", "apache2-utils").args(["-nbB", "carol", "pw"]).output().unwrap();
    let registry = start(Some(&String::from_utf8(line.stdout).unwrap()));
    let host = format!("127.0.0.1:{}", registry.port);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    source(&src);
    let src_s = format!("oci:{}:v1", src.display());
    let dest = format!("docker://{host}/private/app:v1");

    let o = oci(&["copy", "--plain-http", &src_s, &dest]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("credentials"), "{o:?}");
    ok(oci(&["copy", "--plain-http", "--dest-creds", "carol:pw", &src_s, &dest]));

    let auth = work.path().join("auth.json");
    std::fs::write(&auth, format!(r#"{{"auths":{{"{host}":{{"auth":"Y2Fyb2w6cHc="}}}}}}"#))
        .unwrap();
    let pulled = work.path().join("pulled");
    ok(oci(&[
        "copy",
        "--plain-http",
        "--authfile",
        auth.to_str().unwrap(),
        &dest,
        &format!("oci:{}:v1", pulled.display()),
    ]));
    assert_eq!(digest_of(&pulled, "v1"), digest_of(&src, "v1"));
}

#[test]
fn credentials_from_docker_config_helpers() {
    let line = tool("htpasswd", "apache2-utils").args(["-nbB", "erin", "pw2"]).output().unwrap();
    let registry = start(Some(&String::from_utf8(line.stdout).unwrap()));
    let host = format!("127.0.0.1:{}", registry.port);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    source(&src);
    let src_s = format!("oci:{}:v1", src.display());
    // A credential helper of the test's own, on PATH; it logs what it was asked.
    let bin = work.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = work.path().join("helper.log");
    let helper = bin.join("docker-credential-ocitest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\necho \"$1 $server\" >> {}\nif [ \"$server\" = {host} ]; then echo '{{\"ServerURL\":\"{host}\",\"Username\":\"erin\",\"Secret\":\"pw2\"}}'; else echo 'credentials not found in native keychain'; exit 1; fi\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let docker = work.path().join("docker");
    std::fs::create_dir(&docker).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_oci"))
            .args(args)
            .env("PATH", &path)
            .env("DOCKER_CONFIG", &docker)
            .env("HOME", work.path())
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("XDG_RUNTIME_DIR")
            .output()
            .unwrap()
    };
    // credsStore: every registry goes to the helper.
    std::fs::write(docker.join("config.json"), r#"{"credsStore":"ocitest"}"#).unwrap();
    ok(run(&["copy", "--plain-http", &src_s, &format!("docker://{host}/helped/app:v1")]));
    // credHelpers: this registry's own helper, ahead of an `auths` entry that is wrong.
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"ZXJpbjp3cm9uZw=="}}}},"credHelpers":{{"{host}":"ocitest"}}}}"#),
    )
    .unwrap();
    let pulled = work.path().join("pulled");
    ok(run(&[
        "copy",
        "--plain-http",
        &format!("docker://{host}/helped/app:v1"),
        &format!("oci:{}:v1", pulled.display()),
    ]));
    assert_eq!(digest_of(&pulled, "v1"), digest_of(&src, "v1"));
    let asked = std::fs::read_to_string(&log).unwrap();
    assert!(asked.lines().all(|l| l == format!("get {host}")), "{asked}");
    assert!(asked.lines().count() >= 2, "{asked}");
    // Only another registry's helper: no credentials, and the message says so.
    std::fs::write(
        docker.join("config.json"),
        r#"{"credHelpers":{"elsewhere.example":"ocitest"}}"#,
    )
    .unwrap();
    let other = format!("oci:{}:v1", work.path().join("other").display());
    let o = run(&["copy", "--plain-http", &format!("docker://{host}/helped/app:v1"), &other]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("credentials"), "{o:?}");
}

#[test]
fn a_registry_behind_a_private_ca_with_cert_dirs() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let openssl = |args: &[&str]| {
        ok(tool("openssl", "openssl").current_dir(dir).args(args).output().unwrap())
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.crt",
    ]);
    let registry = start_tls(None, Some((&dir.join("server.crt"), &dir.join("server.key"))));
    let host = format!("127.0.0.1:{}", registry.port);
    let certs = dir.join("certs");
    std::fs::create_dir(&certs).unwrap();
    std::fs::copy(dir.join("ca.crt"), certs.join("ca.crt")).unwrap();
    let certs_s = certs.to_str().unwrap();
    let src = dir.join("src");
    source(&src);
    let src_s = format!("oci:{}:v1", src.display());
    let remote = format!("docker://{host}/tls/app:v1");

    // Without the CA: refused, with the host named; never a fallback to plain HTTP.
    let o = oci(&["copy", &src_s, &remote]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&host) && stderr.to_ascii_lowercase().contains("certificate"),
        "{stderr}"
    );
    // With it, both ways; skopeo sees the same image with the same CA.
    ok(oci(&["copy", "--dest-cert-dir", certs_s, &src_s, &remote]));
    let pulled = dir.join("pulled");
    ok(oci(&["copy", "--src-cert-dir", certs_s, &remote, &format!("oci:{}:v1", pulled.display())]));
    assert_eq!(digest_of(&pulled, "v1"), digest_of(&src, "v1"));
    let sk = dir.join("skopeo");
    skopeo(&[
        "copy",
        "-q",
        "--src-cert-dir",
        certs_s,
        &remote,
        &format!("oci:{}:v1", sk.display()),
    ]);
    assert_eq!(digest_of(&sk, "v1"), digest_of(&src, "v1"));
}

#[test]
fn login_and_logout() {
    let line = tool("htpasswd", "apache2-utils").args(["-nbB", "hal", "s3cret"]).output().unwrap();
    let registry = start(Some(&String::from_utf8(line.stdout).unwrap()));
    let host = format!("127.0.0.1:{}", registry.port);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    source(&src);
    let auth = work.path().join("run/containers/auth.json");
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oci"))
            .args(args)
            .env("XDG_RUNTIME_DIR", work.path().join("run"))
            .env("HOME", work.path())
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("DOCKER_CONFIG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    // A refused password stores nothing.
    let o = run(&["login", "--plain-http", "-u", "hal", "--password-stdin", &host], "wrong\n");
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(!auth.exists());
    ok(run(&["login", "--plain-http", "-u", "hal", "--password-stdin", &host], "s3cret\n"));
    assert!(std::fs::read_to_string(&auth).unwrap().contains(&host));
    // Later commands find the credentials there.
    let dest = format!("docker://{host}/login/app:v1");
    ok(run(&["copy", "-q", "--plain-http", &format!("oci:{}:v1", src.display()), &dest], ""));
    ok(run(&["logout", &host], ""));
    let o = run(
        &[
            "copy",
            "-q",
            "--plain-http",
            &dest,
            &format!("oci:{}:v1", work.path().join("p").display()),
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(run(&["logout", &host], "").status.code(), Some(1), "nothing left to remove");
    assert_eq!(run(&["login", "-u", "hal", &host], "").status.code(), Some(2), "no password given");
}

#[test]
fn pulls_try_mirrors_from_registries_conf_first() {
    let origin = start(None);
    let mirror = start(None);
    let (o, m) = (format!("127.0.0.1:{}", origin.port), format!("127.0.0.1:{}", mirror.port));
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    source(&src);
    let src_s = format!("oci:{}:v1", src.display());
    // The mirror has v1 under its own path; only the origin has v2.
    ok(oci(&["copy", "-q", "--plain-http", &src_s, &format!("docker://{m}/hub/team/app:v1")]));
    ok(oci(&["copy", "-q", "--plain-http", &src_s, &format!("docker://{o}/team/app:v2")]));
    let conf = work.path().join("registries.conf");
    std::fs::write(
        &conf,
        format!("[[registry]]\nlocation = \"{o}\"\n[[registry.mirror]]\nlocation = \"{m}/hub\"\ninsecure = true\n\n[[registry]]\nlocation = \"127.0.0.1:1\"\nblocked = true\n"),
    )
    .unwrap();
    let conf_s = conf.to_str().unwrap();
    let pull = |tag: &str| {
        let into = format!("oci:{}:{tag}", work.path().join(tag).display());
        oci(&[
            "copy",
            "--plain-http",
            "--registries-conf",
            conf_s,
            &format!("docker://{o}/team/app:{tag}"),
            &into,
        ])
    };
    let from_mirror = ok(pull("v1"));
    assert!(
        String::from_utf8_lossy(&from_mirror.stderr).contains("pulling from the mirror"),
        "{from_mirror:?}"
    );
    assert_eq!(digest_of(&work.path().join("v1"), "v1"), digest_of(&src, "v1"));
    let fallback = ok(pull("v2"));
    assert!(String::from_utf8_lossy(&fallback.stderr).contains("trying the next"), "{fallback:?}");
    assert_eq!(digest_of(&work.path().join("v2"), "v2"), digest_of(&src, "v1"));
    let blocked = oci(&[
        "copy",
        "--plain-http",
        "--registries-conf",
        conf_s,
        "docker://127.0.0.1:1/x:1",
        &format!("oci:{}:x", work.path().join("x").display()),
    ]);
    assert_eq!(blocked.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&blocked.stderr).contains("blocked"), "{blocked:?}");
}

/// An HTTP proxy of the test's own on 127.0.0.1 (absolute-form requests forwarded to
/// `upstream` as HTTP/1.0): the request lines it saw.
fn http_proxy(upstream: u16) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                log.lock().unwrap().push(line.trim().to_owned());
                let mut parts = line.split_whitespace();
                let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                if method == "CONNECT" {
                    // A tunnel: skip the head, answer, then copy both ways.
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                            break;
                        }
                    }
                    let Ok(up) = TcpStream::connect(("127.0.0.1", upstream)) else { return };
                    let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                    let (mut up_read, mut down_write) =
                        (up.try_clone().unwrap(), stream.try_clone().unwrap());
                    let back = std::thread::spawn(move || {
                        let _ = std::io::copy(&mut up_read, &mut down_write);
                        let _ = down_write.shutdown(std::net::Shutdown::Both);
                    });
                    let mut up_write = up;
                    let buffered = reader.buffer().to_vec();
                    let _ = up_write.write_all(&buffered);
                    let _ = std::io::copy(reader.get_mut(), &mut up_write);
                    let _ = up_write.shutdown(std::net::Shutdown::Both);
                    let _ = back.join();
                    return;
                }
                let mut head = format!("{method} {target} HTTP/1.0\r\n");
                let mut length = 0usize;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    let lower = h.to_ascii_lowercase();
                    if lower.starts_with("content-length:") {
                        length = h[15..].trim().parse().unwrap_or(0);
                    }
                    if !lower.starts_with("connection:") && !lower.starts_with("proxy-") {
                        head.push_str(&h);
                    }
                }
                head.push_str("\r\n");
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else { return };
                let _ = up.write_all(head.as_bytes());
                let _ = up.write_all(&body);
                let mut answer = Vec::new();
                let _ = up.read_to_end(&mut answer);
                let _ = stream.write_all(&answer);
            });
        }
    });
    (port, seen)
}

#[test]
fn proxies_from_the_environment() {
    let registry = start(None);
    let host = format!("127.0.0.1:{}", registry.port);
    let (proxy, seen) = http_proxy(registry.port);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    source(&src);
    let run = |tag: &str, no_proxy: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_oci"));
        command
            .args([
                "copy",
                "-q",
                "--plain-http",
                &format!("oci:{}:v1", src.display()),
                &format!("docker://{host}/proxied/app:{tag}"),
            ])
            .env("HTTP_PROXY", format!("http://127.0.0.1:{proxy}"))
            .env_remove("http_proxy")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy");
        if let Some(no_proxy) = no_proxy {
            command.env("NO_PROXY", no_proxy);
        }
        ok(command.output().unwrap())
    };
    run("via", None);
    let through = seen.lock().unwrap().clone();
    // ureq tunnels (CONNECT) even plain HTTP through a proxy.
    assert!(
        through.iter().any(|l| l.starts_with(&format!("CONNECT {host}"))
            || l.contains(&format!("http://{host}/v2/"))),
        "{through:?}"
    );
    // NO_PROXY names the registry: nothing goes through the proxy.
    seen.lock().unwrap().clear();
    run("direct", Some("127.0.0.1"));
    assert!(seen.lock().unwrap().is_empty(), "{:?}", seen.lock().unwrap());
}

fn skopeo_out(args: &[&str]) -> Vec<u8> {
    let out = tool("skopeo", "skopeo").args(args).output().unwrap();
    assert!(out.status.success(), "skopeo {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn remote_inspect_ls_digest_delete_beside_skopeo() {
    let registry = start(None);
    let host = format!("127.0.0.1:{}", registry.port);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    source(&src);
    let src_s = format!("oci:{}:v1", src.display());
    ok(oci(&["copy", "-q", "--plain-http", &src_s, &format!("docker://{host}/remote/app:v1")]));
    let multi_s = format!("oci:{}:multi", src.display());
    let v2 = format!("docker://{host}/remote/app:v2");
    ok(oci(&["copy", "-q", "--plain-http", "--all-platforms", &multi_s, &v2]));
    let image = format!("docker://{host}/remote/app:v1");
    // --raw: the registry's bytes, as skopeo gets them.
    let raw = ok(oci(&["inspect", "--plain-http", "--raw", &image])).stdout;
    assert_eq!(raw, skopeo_out(&["inspect", "--raw", "--tls-verify=false", &image]));
    // The summary: skopeo's fields, skopeo's values.
    let ours: serde_json::Value =
        serde_json::from_slice(&ok(oci(&["inspect", "--plain-http", &image])).stdout).unwrap();
    let theirs: serde_json::Value =
        serde_json::from_slice(&skopeo_out(&["inspect", "--tls-verify=false", &image])).unwrap();
    for field in ["Name", "Digest", "Architecture", "Os", "Layers", "Env", "Created"] {
        assert_eq!(ours[field], theirs[field], "{field}: {ours} vs {theirs}");
    }
    let tags = |v: &serde_json::Value| {
        let mut t: Vec<String> = serde_json::from_value(v["RepoTags"].clone()).unwrap();
        t.sort();
        t
    };
    assert_eq!(tags(&ours), tags(&theirs));
    // --config: the image configuration.
    let config: serde_json::Value =
        serde_json::from_slice(&ok(oci(&["inspect", "--plain-http", "--config", &image])).stdout)
            .unwrap();
    let their_config: serde_json::Value =
        serde_json::from_slice(&skopeo_out(&["inspect", "--config", "--tls-verify=false", &image]))
            .unwrap();
    assert_eq!(config["architecture"], their_config["architecture"]);
    assert_eq!(config["rootfs"], their_config["rootfs"]);
    // ls and digest.
    let listed = ok(oci(&["ls", "--plain-http", &format!("docker://{host}/remote/app")])).stdout;
    assert_eq!(String::from_utf8(listed).unwrap().lines().collect::<Vec<_>>(), ["v1", "v2"]);
    let digest = ok(oci(&["digest", "--plain-http", &image])).stdout;
    assert_eq!(String::from_utf8(digest).unwrap().trim(), theirs["Digest"].as_str().unwrap());
    // delete: by tag (resolved to its digest); the image is gone.
    ok(oci(&["delete", "--plain-http", &format!("docker://{host}/remote/app:v2")]));
    let gone = oci(&["digest", "--plain-http", &format!("docker://{host}/remote/app:v2")]);
    assert_eq!(gone.status.code(), Some(1));
    // copy --referrers: a signature pushed beside v1 comes along, without it it does not.
    let layout = Layout::open(&src).unwrap();
    let subject = layout.resolve("v1", None).unwrap();
    let empty = layout.put_bytes(MediaType::Empty, b"{}").unwrap();
    let mut signature = oci_image::ImageManifest::new(empty, Vec::new());
    signature.artifact_type = Some(MediaType::from("application/vnd.example.signature"));
    signature.subject = Some(subject);
    let signature = layout
        .put_bytes(MediaType::ImageManifest, &oci_image::json::to_vec(&signature).unwrap())
        .unwrap();
    layout.tag(&signature, "sig").unwrap();
    ok(oci(&[
        "copy",
        "-q",
        "--plain-http",
        &format!("oci:{}:sig", src.display()),
        &format!("docker://{host}/remote/app:sig"),
    ]));
    for (flag, expect) in [(None, false), (Some("--referrers"), true)] {
        let into = work.path().join(format!("with-referrers-{expect}"));
        let destination = format!("oci:{}:v1", into.display());
        let mut args = vec!["copy", "-q", "--plain-http"];
        args.extend(flag);
        args.extend([image.as_str(), destination.as_str()]);
        ok(oci(&args));
        let has = Layout::open(&into).unwrap().has_blob(&signature.digest).unwrap();
        assert_eq!(has, expect, "{flag:?}");
    }
    // Malformed references are bad usage.
    for bad in ["docker://", "docker://UPPER/Case:tag", "oci:/not/remote"] {
        let o = oci(&["digest", "--plain-http", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {o:?}");
    }
}

/// The corpus of real images (`scripts/make-corpus.sh`): `OCI_CORPUS` when set (`.ci/run`
/// builds it once), else built here.
fn corpus(scratch: &Path) -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("OCI_CORPUS") {
        return std::path::PathBuf::from(dir).join("layout");
    }
    assert!(
        rustix::process::geteuid().is_root(),
        "building the corpus needs root (debootstrap, mknod): run as root or set OCI_CORPUS"
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/make-corpus.sh");
    let out = scratch.join("corpus");
    ok(Command::new("bash").args([script, out.to_str().unwrap()]).output().unwrap());
    out.join("layout")
}

#[test]
fn push_and_pull_every_corpus_image() {
    let registry = start(None);
    let host = format!("127.0.0.1:{}", registry.port);
    let work = tempfile::tempdir_in("/dev/shm").unwrap_or_else(|_| tempfile::tempdir().unwrap());
    let corpus = corpus(work.path());
    let layout = Layout::open(&corpus).unwrap();
    let tags = layout.tags().unwrap();
    assert!(tags.len() >= 5, "{tags:?}");
    let pulled = work.path().join("pulled");
    for (tag, _) in &tags {
        let remote = format!("docker://{host}/corpus/{tag}:v1");
        let from = format!("oci:{}:{tag}", corpus.display());
        ok(oci(&["copy", "-q", "--plain-http", "--all-platforms", &from, &remote]));
        ok(oci(&[
            "copy",
            "-q",
            "--plain-http",
            "--all-platforms",
            &remote,
            &format!("oci:{}:{tag}", pulled.display()),
        ]));
        assert_eq!(digest_of(&pulled, tag), digest_of(&corpus, tag), "{tag}");
    }
    // Every blob pulled verifies, and skopeo pulls what we pushed identically.
    ok(oci(&["validate", &format!("oci:{}", pulled.display())]));
    let sk = work.path().join("skopeo");
    skopeo(&[
        "copy",
        "-q",
        "--all",
        "--src-tls-verify=false",
        &format!("docker://{host}/corpus/app:v1"),
        &format!("oci:{}:app", sk.display()),
    ]);
    assert_eq!(digest_of(&sk, "app"), digest_of(&corpus, "app"));
}
