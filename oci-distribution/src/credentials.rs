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

/// Where `oci login` writes: `explicit_file`, else `$REGISTRY_AUTH_FILE`, else
/// `$XDG_RUNTIME_DIR/containers/auth.json`, else `$DOCKER_CONFIG/config.json` or
/// `~/.docker/config.json` (the first of the lookup order that can be named).
pub fn login_file(explicit_file: Option<&Path>, environment: &Environment) -> Option<PathBuf> {
    explicit_file.map(Path::to_owned).or_else(|| environment.auth_files().into_iter().next())
}

/// Asks a credential helper to `store` or `erase` credentials for `registry`.
fn helper_command(
    name: &str,
    verb: &str,
    input: &[u8],
    environment: &Environment,
) -> Result<(), CredentialsError> {
    let fail = |reason: String| CredentialsError::Helper { helper: name.to_owned(), reason };
    if name.is_empty() || name.contains(['/', '\0']) {
        return Err(fail("not a helper name".into()));
    }
    let mut command = Command::new(format!("docker-credential-{name}"));
    if let Some(path) = &environment.path {
        command.env("PATH", path);
    }
    let mut child = command
        .arg(verb)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| fail(format!("cannot run it: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let status = child.wait().map_err(|e| fail(e.to_string()))?;
    if !status.success() {
        return Err(fail(format!("{verb} exited with {status}")));
    }
    Ok(())
}

/// The auth file at `path` as a JSON object (empty when it does not exist).
fn read_object(
    path: &Path,
) -> Result<serde_json::Map<String, serde_json::Value>, CredentialsError> {
    let Some(bytes) = read_auth_file(path)? else { return Ok(serde_json::Map::new()) };
    match serde_json::from_slice(&bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(CredentialsError::Parse {
            path: path.to_owned(),
            source: <serde_json::Error as serde::de::Error>::custom("not a JSON object"),
        }),
        Err(source) => Err(CredentialsError::Parse { path: path.to_owned(), source }),
    }
}

/// Replaces the auth file at `path` with `object`, atomically, readable by its owner only.
fn write_object(
    path: &Path,
    object: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), CredentialsError> {
    use std::os::unix::fs::OpenOptionsExt;
    let fail = |source| CredentialsError::Read { path: path.to_owned(), source };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let mut text = serde_json::to_vec_pretty(object).map_err(|e| fail(std::io::Error::other(e)))?;
    text.push(b'\n');
    let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(fail)?;
    let written = file.write_all(&text).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail(e));
    }
    Ok(())
}

/// The helper an auth file names for `registry` (`credHelpers`, then `credsStore`).
fn helper_for(
    object: &serde_json::Map<String, serde_json::Value>,
    registry: &str,
) -> Option<String> {
    let helpers = object.get("credHelpers").and_then(serde_json::Value::as_object);
    if let Some((_, helper)) = helpers.into_iter().flatten().find(|(k, _)| matches(k, registry)) {
        return helper.as_str().map(str::to_owned);
    }
    object
        .get("credsStore")
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Stores `credentials` for `registry` as `oci login` does: through the file's credential
/// helper for the registry when it names one, else as an `auths` entry of the file
/// (written atomically, mode 0600, everything else in it kept). Returns the file.
///
/// # Errors
/// [`CredentialsError`] for an unreadable or malformed file or a failing helper.
pub fn store(
    registry: &str,
    credentials: &Credentials,
    file: &Path,
    environment: &Environment,
) -> Result<(), CredentialsError> {
    let mut object = read_object(file)?;
    if let Some(helper) = helper_for(&object, registry) {
        let input = serde_json::json!({
            "ServerURL": registry,
            "Username": credentials.username,
            "Secret": credentials.password,
        });
        return helper_command(&helper, "store", input.to_string().as_bytes(), environment);
    }
    let auths = object.entry("auths").or_insert_with(|| serde_json::json!({}));
    if !auths.is_object() {
        *auths = serde_json::json!({});
    }
    let pair = format!("{}:{}", credentials.username, credentials.password);
    let entry = if credentials.identity_token {
        serde_json::json!({ "identitytoken": credentials.password })
    } else {
        serde_json::json!({ "auth": oci_image::EmbeddedData::encode(pair.as_bytes()).as_str() })
    };
    if let Some(map) = auths.as_object_mut() {
        map.retain(|k, _| !matches(k, registry));
        map.insert(registry.to_owned(), entry);
    }
    write_object(file, &object)
}

/// Removes what `oci login` stored for `registry` (`oci logout`): through its helper,
/// or its `auths` entries. Returns whether there was anything to remove.
///
/// # Errors
/// [`CredentialsError`].
pub fn erase(
    registry: &str,
    file: &Path,
    environment: &Environment,
) -> Result<bool, CredentialsError> {
    let mut object = read_object(file)?;
    if let Some(helper) = helper_for(&object, registry) {
        helper_command(&helper, "erase", registry.as_bytes(), environment)?;
        return Ok(true);
    }
    let Some(auths) = object.get_mut("auths").and_then(serde_json::Value::as_object_mut) else {
        return Ok(false);
    };
    let before = auths.len();
    auths.retain(|k, _| !matches(k, registry));
    if auths.len() == before {
        return Ok(false);
    }
    write_object(file, &object)?;
    Ok(true)
}

#[cfg(test)]
mod login_tests {
    use super::*;

    #[test]
    fn login_and_logout_keep_the_rest_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("containers/auth.json");
        let environment = Environment::default();
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(
            &file,
            r#"{"auths":{"other.example":{"auth":"eDp5"}},"experimental":"enabled"}"#,
        )
        .unwrap();
        store("reg.example:5000", &Credentials::new("u", "p:w"), &file, &environment).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("experimental") && text.contains("other.example"), "{text}");
        assert_eq!(
            lookup(text.as_bytes(), "reg.example:5000").unwrap(),
            Some(Stored::Credentials(Credentials::new("u", "p:w")))
        );
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(erase("reg.example:5000", &file, &environment).unwrap());
        assert!(!erase("reg.example:5000", &file, &environment).unwrap());
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(lookup(text.as_bytes(), "reg.example:5000").unwrap(), None);
        assert!(text.contains("other.example"));
        // A file that is not an auth file is left alone.
        std::fs::write(&file, "[1,2]").unwrap();
        assert!(store("reg.example", &Credentials::new("u", "p"), &file, &environment).is_err());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "[1,2]");
    }
}
