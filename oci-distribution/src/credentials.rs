//! Credentials where users already keep them: the auth files of podman, skopeo and
//! Docker, and Docker's credential helpers.
//!
//! Lookup order ([`find`]), the order of the container tools:
//!
//! 1. an auth file named by the caller (`--authfile`);
//! 2. `$REGISTRY_AUTH_FILE`;
//! 3. `$XDG_RUNTIME_DIR/containers/auth.json`;
//! 4. `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
//!
//! In each file, for the registry: a `credHelpers` entry, then an `auths` entry (base64
//! `auth`, `username`/`password`, or `identitytoken`), then `credsStore`. A helper is the
//! program `docker-credential-NAME`, asked with `get` and the registry on its standard
//! input (Docker's credential-helper protocol).
//!
//! # Security
//! Files are read up to [`MAX_AUTH_FILE`] bytes and a helper's answer up to
//! [`MAX_HELPER_ANSWER`], so that a named file such as `/dev/zero` cannot exhaust
//! memory. Secrets never appear in `Debug` output or error messages.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::auth::Credentials;
use crate::reference::DOCKER_HUB;

/// Largest auth file read.
pub const MAX_AUTH_FILE: u64 = 4 << 20;
/// Largest answer of a credential helper read.
pub const MAX_HELPER_ANSWER: u64 = 1 << 20;

/// Why credentials could not be looked up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// An auth file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An auth file larger than [`MAX_AUTH_FILE`].
    #[error("{path} is larger than {MAX_AUTH_FILE} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// An auth file that is not a Docker `config.json` / containers `auth.json`.
    #[error("{path} is not an auth file")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A credential helper that could not be run or answered nonsense.
    #[error("credential helper docker-credential-{helper} failed: {reason}")]
    Helper {
        /// The helper's name.
        helper: String,
        /// Why.
        reason: String,
    },
}

/// What an auth file holds for a registry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stored {
    /// Credentials written in the file.
    Credentials(Credentials),
    /// A credential helper to ask (`docker-credential-NAME`).
    Helper(String),
}

#[derive(Deserialize)]
struct AuthFile {
    #[serde(default)]
    auths: BTreeMap<String, Entry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// The host an auth-file key names: keys may be URLs (`https://index.docker.io/v1/` for
/// Docker Hub) or `host[:port][/path]`.
fn key_host(key: &str) -> &str {
    let host = key.trim_start_matches("https://").trim_start_matches("http://");
    host.split('/').next().unwrap_or(host)
}

/// Whether an auth-file key is for `registry` (Docker Hub under any of its names).
fn matches(key: &str, registry: &str) -> bool {
    let hub = |h: &str| matches!(h, DOCKER_HUB | "index.docker.io" | "registry-1.docker.io");
    let host = key_host(key);
    host == registry || (hub(host) && hub(registry))
}

/// What the auth file `config` holds for `registry`: a `credHelpers` entry, else an
/// `auths` entry, else `credsStore`.
///
/// # Errors
/// A [`serde_json::Error`] if the file does not parse.
pub fn lookup(config: &[u8], registry: &str) -> Result<Option<Stored>, serde_json::Error> {
    let file: AuthFile = serde_json::from_slice(config)?;
    if let Some((_, helper)) = file.cred_helpers.iter().find(|(k, _)| matches(k, registry)) {
        return Ok(Some(Stored::Helper(helper.clone())));
    }
    for (key, entry) in &file.auths {
        if !matches(key, registry) {
            continue;
        }
        if let Some(token) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
            let user = entry.username.clone().unwrap_or_else(|| "<token>".into());
            return Ok(Some(Stored::Credentials(Credentials::identity_token(user, token))));
        }
        if let Some(encoded) = &entry.auth
            && let Ok(data) = encoded.parse::<oci_image::EmbeddedData>()
            && let Some((u, p)) = String::from_utf8_lossy(&data.decode()).split_once(':')
        {
            return Ok(Some(Stored::Credentials(Credentials::new(u, p))));
        }
        if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
            return Ok(Some(Stored::Credentials(Credentials::new(u.clone(), p.clone()))));
        }
    }
    Ok(file.creds_store.filter(|s| !s.is_empty()).map(Stored::Helper))
}

/// The environment credentials are looked up in: the variables that matter, so that a
/// caller (or a test) can give its own.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Environment {
    /// `$REGISTRY_AUTH_FILE`.
    pub registry_auth_file: Option<PathBuf>,
    /// `$XDG_RUNTIME_DIR`.
    pub xdg_runtime_dir: Option<PathBuf>,
    /// `$DOCKER_CONFIG`.
    pub docker_config: Option<PathBuf>,
    /// `$HOME`.
    pub home: Option<PathBuf>,
    /// `$PATH`, where helpers are found.
    pub path: Option<OsString>,
}

impl Environment {
    /// This process's environment.
    pub fn current() -> Self {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        Self {
            registry_auth_file: var("REGISTRY_AUTH_FILE").map(PathBuf::from),
            xdg_runtime_dir: var("XDG_RUNTIME_DIR").map(PathBuf::from),
            docker_config: var("DOCKER_CONFIG").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
            path: var("PATH"),
        }
    }

    /// The auth files to look in, in order (whether or not they exist).
    pub fn auth_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        files.extend(self.registry_auth_file.clone());
        files.extend(self.xdg_runtime_dir.as_ref().map(|d| d.join("containers/auth.json")));
        match (&self.docker_config, &self.home) {
            (Some(dir), _) => files.push(dir.join("config.json")),
            (None, Some(home)) => files.push(home.join(".docker/config.json")),
            (None, None) => {}
        }
        files
    }
}

/// Reads an auth file, bounded; `None` if it does not exist.
///
/// # Errors
/// [`CredentialsError`] for a file that cannot be read or is too large.
pub fn read_auth_file(path: &Path) -> Result<Option<Vec<u8>>, CredentialsError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(CredentialsError::Read { path: path.to_owned(), source }),
    };
    let mut bytes = Vec::new();
    file.take(MAX_AUTH_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| CredentialsError::Read { path: path.to_owned(), source })?;
    if bytes.len() as u64 > MAX_AUTH_FILE {
        return Err(CredentialsError::TooLarge { path: path.to_owned() });
    }
    Ok(Some(bytes))
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// Asks the credential helper `docker-credential-NAME` for `registry` (`get`, the
/// registry's name on standard input). `None` when it has nothing for it.
///
/// # Errors
/// [`CredentialsError::Helper`] when the helper cannot be run or answers nonsense.
pub fn ask_helper(
    name: &str,
    registry: &str,
    environment: &Environment,
) -> Result<Option<Credentials>, CredentialsError> {
    let fail = |reason: String| CredentialsError::Helper { helper: name.to_owned(), reason };
    if name.is_empty() || name.contains(['/', '\0']) {
        return Err(fail("not a helper name".into()));
    }
    let mut command = Command::new(format!("docker-credential-{name}"));
    if let Some(path) = &environment.path {
        command.env("PATH", path);
    }
    let mut child = command
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| fail(format!("cannot run it: {e}")))?;
    // Docker Hub's helper entries are keyed by its v1 URL.
    let server = if registry == DOCKER_HUB { "https://index.docker.io/v1/" } else { registry };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let mut answer = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        stdout
            .take(MAX_HELPER_ANSWER + 1)
            .read_to_end(&mut answer)
            .map_err(|e| fail(format!("cannot read its answer: {e}")))?;
    }
    let status = child.wait().map_err(|e| fail(format!("{e}")))?;
    if answer.len() as u64 > MAX_HELPER_ANSWER {
        return Err(fail("its answer is too large".into()));
    }
    if !status.success() {
        // The protocol's answer for an unknown server.
        if String::from_utf8_lossy(&answer).to_ascii_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        return Err(fail(format!("it exited with {status}")));
    }
    let answer: HelperAnswer =
        serde_json::from_slice(&answer).map_err(|e| fail(format!("malformed answer: {e}")))?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    // `<token>` as the user name marks an identity token.
    Ok(Some(if answer.username == "<token>" {
        Credentials::identity_token(answer.username, answer.secret)
    } else {
        Credentials::new(answer.username, answer.secret)
    }))
}

/// Credentials for `registry` as the container tools find them: `explicit_file` if
/// given, else the environment's auth files in order; in the first file that names the
/// registry, its helper or its entry. `None` when none does.
///
/// # Errors
/// [`CredentialsError`] for an unreadable or malformed file, or a failing helper.
pub fn find(
    registry: &str,
    explicit_file: Option<&Path>,
    environment: &Environment,
) -> Result<Option<Credentials>, CredentialsError> {
    let files = match explicit_file {
        Some(file) => vec![file.to_owned()],
        None => environment.auth_files(),
    };
    for path in files {
        let Some(bytes) = read_auth_file(&path)? else {
            if explicit_file.is_some() {
                return Err(CredentialsError::Read {
                    path,
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                });
            }
            continue;
        };
        match lookup(&bytes, registry).map_err(|source| CredentialsError::Parse { path, source })? {
            Some(Stored::Credentials(c)) => return Ok(Some(c)),
            Some(Stored::Helper(helper)) => return ask_helper(&helper, registry, environment),
            None => {}
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_order_in_one_file() {
        let file = br#"{
            "auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"}, "reg.example:5000": {"username": "u", "password": "p"}, "tok.example": {"identitytoken": "rt"}},
            "credHelpers": {"helped.example": "ecr-login"},
            "credsStore": "desktop"
        }"#;
        let creds = |r| match lookup(file, r).unwrap() {
            Some(Stored::Credentials(c)) => c,
            other => panic!("{other:?}"),
        };
        assert_eq!(creds("docker.io"), Credentials::new("user", "pass"));
        assert_eq!(creds("registry-1.docker.io"), Credentials::new("user", "pass"));
        assert_eq!(creds("reg.example:5000"), Credentials::new("u", "p"));
        assert!(creds("tok.example").identity_token);
        assert_eq!(
            lookup(file, "helped.example").unwrap(),
            Some(Stored::Helper("ecr-login".into()))
        );
        assert_eq!(lookup(file, "other.example").unwrap(), Some(Stored::Helper("desktop".into())));
        assert_eq!(lookup(br#"{"auths":{}}"#, "other.example").unwrap(), None);
        assert!(lookup(b"not json", "x").is_err());
    }

    #[test]
    fn files_in_order_helpers_and_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            p
        };
        write(
            "home/.docker/config.json",
            r#"{"auths":{"a.example":{"username":"docker","password":"1"}},"credHelpers":{"h.example":"test"}}"#,
        );
        write(
            "run/containers/auth.json",
            r#"{"auths":{"b.example":{"username":"podman","password":"2"}}}"#,
        );
        // A helper of the test's own, found on the environment's PATH.
        let helper = write(
            "bin/docker-credential-test",
            "#!/bin/sh\nread server\nif [ \"$server\" = h.example ]; then echo '{\"ServerURL\":\"h.example\",\"Username\":\"helped\",\"Secret\":\"s3\"}'; else echo 'credentials not found in native keychain'; exit 1; fi\n",
        );
        std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let environment = Environment {
            xdg_runtime_dir: Some(dir.path().join("run")),
            home: Some(dir.path().join("home")),
            path: Some(dir.path().join("bin").into_os_string()),
            ..Environment::default()
        };
        let found = |r| find(r, None, &environment).unwrap();
        assert_eq!(found("b.example"), Some(Credentials::new("podman", "2")));
        assert_eq!(found("a.example"), Some(Credentials::new("docker", "1")));
        assert_eq!(found("h.example"), Some(Credentials::new("helped", "s3")));
        assert_eq!(ask_helper("test", "nope.example", &environment).unwrap(), None);
        assert!(ask_helper("missing", "h.example", &environment).is_err());
        assert!(ask_helper("../evil", "h.example", &environment).is_err());
        assert_eq!(found("c.example"), None);
        // An explicit file that does not exist is an error, not a silent fallback.
        assert!(find("a.example", Some(&dir.path().join("nope.json")), &environment).is_err());
        // A named file that never ends is refused at the bound.
        assert!(matches!(
            read_auth_file(Path::new("/dev/zero")),
            Err(CredentialsError::TooLarge { .. })
        ));
    }
}
