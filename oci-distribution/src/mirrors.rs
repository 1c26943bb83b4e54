//! Mirrors and registry settings where the container tools keep them:
//! `registries.conf` (containers-registries.conf(5), version 2: the `[[registry]]`
//! `prefix`, `location`, `insecure`, `blocked` and `[[registry.mirror]]` subset) and
//! containerd's `hosts.toml` (`server` and `[host."URL"]` with `capabilities`).
//!
//! Files read, in order, when present: the one given (`--registries-conf`),
//! `$CONTAINERS_REGISTRIES_CONF`, `/etc/containers/registries.conf`, each followed by the
//! `*.conf` drop-ins of the directory beside it (`registries.conf.d/`); and for each
//! registry `/etc/containerd/certs.d/HOST[:PORT]/hosts.toml`. A pull tries the mirrors
//! first, in order, then the registry itself ([`Endpoints::pull`]); pushes go to the
//! registry.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Reference;

/// Largest configuration file read.
pub const MAX_CONFIG_FILE: u64 = 1 << 20;

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MirrorsError {
    /// The file could not be read, or is too large.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not the TOML it should be.
    #[error("{path} is not a valid configuration")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: toml::de::Error,
    },
    /// The registry is blocked by the configuration.
    #[error("{0} is blocked by the registries configuration")]
    Blocked(String),
}

#[derive(Deserialize, Default)]
struct RegistriesConf {
    #[serde(default)]
    registry: Vec<RegistryEntry>,
}

#[derive(Deserialize)]
struct RegistryEntry {
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    blocked: bool,
    #[serde(default)]
    mirror: Vec<MirrorEntry>,
}

#[derive(Deserialize)]
struct MirrorEntry {
    location: String,
    #[serde(default)]
    insecure: bool,
}

#[derive(Deserialize, Default)]
struct HostsToml {
    #[serde(default)]
    server: Option<String>,
    #[serde(default)]
    host: BTreeMap<String, HostEntry>,
}

#[derive(Deserialize)]
struct HostEntry {
    #[serde(default)]
    capabilities: Vec<String>,
}

/// One place to ask for an image: a registry host, the repository there, and whether
/// plain HTTP is allowed (`insecure`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoint {
    /// The reference to use there (host and repository rewritten for a mirror).
    pub reference: Reference,
    /// Plain HTTP (or an unverified certificate) is allowed there.
    pub insecure: bool,
    /// This is a mirror, not the registry itself.
    pub mirror: bool,
}

/// The endpoints of one reference: mirrors first, the registry last.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Endpoints {
    /// In the order to try them for a pull.
    pub pull: Vec<Endpoint>,
}

/// Mirror settings read from the configuration files.
#[derive(Debug, Default)]
pub struct Mirrors {
    registries: Vec<RegistryEntry>,
    hosts_dirs: Vec<PathBuf>,
}

impl std::fmt::Debug for RegistryEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryEntry")
            .field("prefix", &self.prefix)
            .field("location", &self.location)
            .field("blocked", &self.blocked)
            .finish_non_exhaustive()
    }
}

fn read(path: &Path) -> Result<Option<String>, MirrorsError> {
    use std::io::Read;
    let fail = |source| MirrorsError::Read { path: path.to_owned(), source };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fail(e)),
    };
    let mut text = String::new();
    file.take(MAX_CONFIG_FILE + 1).read_to_string(&mut text).map_err(fail)?;
    if text.len() as u64 > MAX_CONFIG_FILE {
        return Err(fail(std::io::Error::other("larger than 1 MiB")));
    }
    Ok(Some(text))
}

/// An endpoint for `reference` at a `hosts.toml` URL (`http://` allows plain HTTP).
fn host_endpoint(url: &str, reference: &Reference, mirror: bool) -> Option<Endpoint> {
    let (insecure, location) = match url.split_once("://") {
        Some(("http", rest)) => (true, rest),
        Some((_, rest)) => (false, rest),
        None => (false, url),
    };
    let host = location.trim_end_matches('/');
    let reference =
        Reference::new(host, reference.repository(), reference.tag(), reference.digest().cloned())
            .ok()?;
    Some(Endpoint { reference, insecure, mirror })
}

impl Mirrors {
    /// The settings of `registries_conf` when given (it must exist), else of
    /// `$CONTAINERS_REGISTRIES_CONF` or `/etc/containers/registries.conf` when present,
    /// with containerd's `hosts.toml` files under `/etc/containerd/certs.d`.
    ///
    /// # Errors
    /// [`MirrorsError`] for a file that cannot be read or parsed.
    pub fn load(registries_conf: Option<&Path>) -> Result<Self, MirrorsError> {
        let (path, must_exist) = match registries_conf {
            Some(p) => (p.to_owned(), true),
            None => (
                std::env::var_os("CONTAINERS_REGISTRIES_CONF").map_or_else(
                    || PathBuf::from("/etc/containers/registries.conf"),
                    PathBuf::from,
                ),
                false,
            ),
        };
        let mut mirrors = match read(&path)? {
            Some(text) => Self::from_registries_conf(&text)
                .map_err(|source| MirrorsError::Parse { path: path.clone(), source })?,
            None if must_exist => {
                return Err(MirrorsError::Read {
                    path,
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                });
            }
            None => Self::default(),
        };
        mirrors.add_drop_ins(&path)?;
        mirrors.hosts_dirs.push(PathBuf::from("/etc/containerd/certs.d"));
        Ok(mirrors)
    }

    /// Adds the `*.conf` files of `FILE.d/` beside `file`, in name order: an entry for a
    /// prefix replaces the one an earlier file gave for it.
    fn add_drop_ins(&mut self, file: &Path) -> Result<(), MirrorsError> {
        let mut dir = file.as_os_str().to_owned();
        dir.push(".d");
        let dir = PathBuf::from(dir);
        let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(()) };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "conf"))
            .collect();
        files.sort();
        for path in files {
            let Some(text) = read(&path)? else { continue };
            let conf: RegistriesConf = toml::from_str(&text)
                .map_err(|source| MirrorsError::Parse { path: path.clone(), source })?;
            for entry in conf.registry {
                let key = entry.prefix.clone().or_else(|| entry.location.clone());
                self.registries.retain(|e| e.prefix.clone().or_else(|| e.location.clone()) != key);
                self.registries.push(entry);
            }
        }
        Ok(())
    }

    /// Settings from the text of a `registries.conf`.
    ///
    /// # Errors
    /// A [`toml::de::Error`] for text that is not one.
    pub fn from_registries_conf(text: &str) -> Result<Self, toml::de::Error> {
        let conf: RegistriesConf = toml::from_str(text)?;
        Ok(Self { registries: conf.registry, hosts_dirs: Vec::new() })
    }

    /// Also reads containerd `hosts.toml` files under `dir` (`dir/HOST[:PORT]/hosts.toml`).
    pub fn with_hosts_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.hosts_dirs.push(dir.into());
        self
    }

    /// Where to look for `reference`: the mirrors of the longest matching `prefix` (or
    /// `location`), then the registry (rewritten by the entry's `location`), or the
    /// `hosts.toml` hosts with the `pull` capability, then its `server`.
    ///
    /// # Errors
    /// [`MirrorsError::Blocked`] for a blocked registry, [`MirrorsError`] for a
    /// `hosts.toml` that cannot be read.
    pub fn endpoints(&self, reference: &Reference) -> Result<Endpoints, MirrorsError> {
        let name = format!("{}/{}", reference.registry(), reference.repository());
        let entry = self
            .registries
            .iter()
            .filter_map(|e| {
                let prefix = e.prefix.as_deref().or(e.location.as_deref())?;
                let matches = name == prefix
                    || name.starts_with(&format!("{}/", prefix.trim_end_matches('/')))
                    || reference.registry() == prefix;
                matches.then_some((prefix.len(), e))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, e)| e);
        let mut endpoints = Endpoints::default();
        let rewrite = |location: &str, prefix: &str| -> Option<Reference> {
            let rest = name.strip_prefix(prefix).unwrap_or(&name[reference.registry().len()..]);
            let target = format!("{}{}", location.trim_end_matches('/'), rest);
            let (host, repository) = target.split_once('/')?;
            Reference::new(host, repository, reference.tag(), reference.digest().cloned()).ok()
        };
        if let Some(entry) = entry {
            let prefix = entry.prefix.as_deref().or(entry.location.as_deref()).unwrap_or_default();
            if entry.blocked {
                return Err(MirrorsError::Blocked(reference.registry().to_owned()));
            }
            for mirror in &entry.mirror {
                if let Some(reference) = rewrite(&mirror.location, prefix) {
                    endpoints.pull.push(Endpoint {
                        reference,
                        insecure: mirror.insecure,
                        mirror: true,
                    });
                }
            }
            let location = entry.location.as_deref().unwrap_or(prefix);
            let reference = rewrite(location, prefix).unwrap_or_else(|| reference.clone());
            endpoints.pull.push(Endpoint { reference, insecure: entry.insecure, mirror: false });
            return Ok(endpoints);
        }
        for dir in &self.hosts_dirs {
            let host = reference.registry();
            if host.contains('/') || host.contains("..") {
                continue;
            }
            let path = dir.join(host).join("hosts.toml");
            let Some(text) = read(&path)? else { continue };
            let hosts: HostsToml =
                toml::from_str(&text).map_err(|source| MirrorsError::Parse { path, source })?;
            for (url, entry) in &hosts.host {
                let pulls =
                    entry.capabilities.is_empty() || entry.capabilities.iter().any(|c| c == "pull");
                if pulls && let Some(endpoint) = host_endpoint(url, reference, true) {
                    endpoints.pull.push(endpoint);
                }
            }
            // `server`: where the registry itself is, when not at its own name.
            let upstream =
                hosts.server.as_deref().and_then(|url| host_endpoint(url, reference, false));
            endpoints.pull.push(upstream.unwrap_or_else(|| Endpoint {
                reference: reference.clone(),
                insecure: false,
                mirror: false,
            }));
            return Ok(endpoints);
        }
        endpoints.pull.push(Endpoint {
            reference: reference.clone(),
            insecure: false,
            mirror: false,
        });
        Ok(endpoints)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_conf_mirrors_locations_and_blocks() {
        let conf = r#"
            unqualified-search-registries = ["docker.io"]
            [[registry]]
            prefix = "docker.io"
            location = "registry-1.docker.io"
            [[registry.mirror]]
            location = "mirror.example:5000/hub"
            insecure = true
            [[registry.mirror]]
            location = "second.example"

            [[registry]]
            location = "evil.example"
            blocked = true

            [[registry]]
            prefix = "quay.io/team"
            location = "internal.example/quay-team"
        "#;
        let mirrors = Mirrors::from_registries_conf(conf).unwrap();
        let r: Reference = "docker.io/library/alpine:3".parse().unwrap();
        let e = mirrors.endpoints(&r).unwrap();
        let names: Vec<String> =
            e.pull.iter().map(|e| format!("{} {}", e.reference, e.insecure)).collect();
        assert_eq!(
            names,
            [
                "mirror.example:5000/hub/library/alpine:3 true",
                "second.example/library/alpine:3 false",
                "registry-1.docker.io/library/alpine:3 false",
            ]
        );
        assert!(matches!(
            mirrors.endpoints(&"evil.example/x:1".parse().unwrap()),
            Err(MirrorsError::Blocked(_))
        ));
        let e = mirrors.endpoints(&"quay.io/team/app:1".parse().unwrap()).unwrap();
        assert_eq!(e.pull[0].reference.to_string(), "internal.example/quay-team/app:1");
        let e = mirrors.endpoints(&"ghcr.io/x/y:1".parse().unwrap()).unwrap();
        assert_eq!(e.pull.len(), 1);
        assert!(Mirrors::from_registries_conf("[[registry]\nbroken").is_err());
    }

    #[test]
    fn drop_ins_replace_entries_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("registries.conf");
        std::fs::write(&main, "[[registry]]\nlocation = \"a.example\"\n[[registry.mirror]]\nlocation = \"old.example\"\n").unwrap();
        std::fs::create_dir(dir.path().join("registries.conf.d")).unwrap();
        std::fs::write(dir.path().join("registries.conf.d/50-a.conf"), "[[registry]]\nlocation = \"a.example\"\n[[registry.mirror]]\nlocation = \"new.example\"\n").unwrap();
        std::fs::write(
            dir.path().join("registries.conf.d/60-b.conf"),
            "[[registry]]\nlocation = \"b.example\"\nblocked = true\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("registries.conf.d/notes.txt"), "not toml [").unwrap();
        let mirrors = Mirrors::load(Some(&main)).unwrap();
        let e = mirrors.endpoints(&"a.example/x:1".parse().unwrap()).unwrap();
        assert_eq!(e.pull[0].reference.to_string(), "new.example/x:1");
        assert_eq!(e.pull.len(), 2);
        assert!(matches!(
            mirrors.endpoints(&"b.example/x:1".parse().unwrap()),
            Err(MirrorsError::Blocked(_))
        ));
        assert!(Mirrors::load(Some(&dir.path().join("missing.conf"))).is_err());
    }

    #[test]
    fn containerd_hosts_toml() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("reg.example:5000")).unwrap();
        std::fs::write(
            dir.path().join("reg.example:5000/hosts.toml"),
            "server = \"https://reg.example:5000\"\n[host.\"http://127.0.0.1:6000\"]\n  capabilities = [\"pull\", \"resolve\"]\n[host.\"https://push-only.example\"]\n  capabilities = [\"push\"]\n",
        )
        .unwrap();
        let mirrors = Mirrors::default().with_hosts_dir(dir.path());
        let e = mirrors.endpoints(&"reg.example:5000/a/b:1".parse().unwrap()).unwrap();
        let names: Vec<String> =
            e.pull.iter().map(|e| format!("{} {} {}", e.reference, e.insecure, e.mirror)).collect();
        assert_eq!(names, ["127.0.0.1:6000/a/b:1 true true", "reg.example:5000/a/b:1 false false"]);
        // A `server` elsewhere is where the registry is asked.
        std::fs::write(
            dir.path().join("reg.example:5000/hosts.toml"),
            "server = \"http://127.0.0.1:7000\"\n",
        )
        .unwrap();
        let e = mirrors.endpoints(&"reg.example:5000/a/b:1".parse().unwrap()).unwrap();
        let names: Vec<String> =
            e.pull.iter().map(|e| format!("{} {} {}", e.reference, e.insecure, e.mirror)).collect();
        assert_eq!(names, ["127.0.0.1:7000/a/b:1 true false"]);
    }
}
