//! The distribution registry (Debian's `docker-registry`) started by a test on 127.0.0.1
//! with its storage in a temporary directory, stopped when the test ends.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running registry.
pub(crate) struct Registry {
    child: Option<Child>,
    pub(crate) port: u16,
    config: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A free port on 127.0.0.1.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A bcrypt htpasswd line for `user` (the registry accepts only bcrypt).
fn htpasswd(user: &str, password: &str) -> String {
    let out =
        Command::new("htpasswd").args(["-nbB", user, password]).output().unwrap_or_else(|e| {
            panic!("cannot run `htpasswd` ({e}): install it (apt-get install apache2-utils)")
        });
    assert!(out.status.success(), "htpasswd failed");
    String::from_utf8(out.stdout).unwrap()
}

impl Registry {
    /// A registry with deletes enabled; with `basic`, it wants those credentials
    /// (htpasswd Basic authentication).
    pub(crate) fn start(basic: Option<(&str, &str)>) -> Self {
        Self::start_with(basic, None)
    }

    /// A registry over TLS with this certificate and key when given, with `auth` (a YAML
    /// `auth:` section) as its authentication.
    pub(crate) fn start_custom(tls: Option<(&Path, &Path)>, auth: &str) -> Self {
        Self::start_inner(None, tls, auth)
    }

    /// As [`Registry::start`], over TLS with this certificate and key (PEM files) when
    /// given.
    pub(crate) fn start_with(basic: Option<(&str, &str)>, tls: Option<(&Path, &Path)>) -> Self {
        Self::start_inner(basic, tls, "")
    }

    /// A registry whose `http:` section ends with `http_extra` (YAML, indented under
    /// `http:`), for TLS settings such as `clientcas`.
    pub(crate) fn start_custom_http(http_extra: &str) -> Self {
        Self::start_full(None, None, "", http_extra)
    }

    fn start_inner(basic: Option<(&str, &str)>, tls: Option<(&Path, &Path)>, auth: &str) -> Self {
        Self::start_full(basic, tls, auth, "")
    }

    fn start_full(
        basic: Option<(&str, &str)>,
        tls: Option<(&Path, &Path)>,
        auth: &str,
        http_extra: &str,
    ) -> Self {
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: a-fixed-secret-so-uploads-survive-a-restart\n",
            dir.path().join("data").display()
        );
        config.push_str(http_extra);
        if let Some((certificate, key)) = tls {
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                certificate.display(),
                key.display()
            ));
        }
        if let Some((user, password)) = basic {
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, htpasswd(user, password)).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: test-registry\n    path: {}\n",
                file.display()
            ));
        }
        config.push_str(auth);
        let path = dir.path().join("config.yml");
        std::fs::write(&path, config).unwrap();
        let mut registry = Self { child: None, port, config: path, _dir: dir };
        registry.restart();
        registry
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Kills the registry (as a crash would).
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again with the same storage and port; waits until it listens.
    pub(crate) fn restart(&mut self) {
        self.stop();
        let child = Command::new("docker-registry")
            .args(["serve", self.config.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run `docker-registry` ({e}): install it (apt-get install docker-registry)")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the registry did not start on 127.0.0.1:{}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

/// `skopeo inspect --raw` of `image` (plain HTTP allowed), with `extra` arguments: the
/// manifest bytes skopeo sees.
pub(crate) fn skopeo_raw(image: &str, extra: &[&str]) -> Vec<u8> {
    let out = Command::new("skopeo")
        .args(["inspect", "--raw"])
        .args(extra)
        .arg(image)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `skopeo` ({e}): install it (apt-get install skopeo)")
        });
    assert!(
        out.status.success(),
        "skopeo inspect {image}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
