//! Image configurations, image-spec v1.1
//! [`config.md`](https://github.com/opencontainers/image-spec/blob/v1.1.1/config.md).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::validate::{Checker, is_rfc3339};
use crate::{Digest, Platform, Violation};

/// An image configuration (`application/vnd.oci.image.config.v1+json`), or a Docker image
/// configuration, whose extra fields (`container_config`, `docker_version`, ...) are kept in
/// [`ImageConfiguration::extra`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use oci_image::{Digest, ImageConfiguration};
/// let mut config = ImageConfiguration::new("linux", "amd64");
/// config.config.env.push("PATH=/usr/bin:/bin".into());
/// config.config.cmd = Some(vec!["/bin/sh".into()]);
/// config.rootfs.diff_ids.push(Digest::sha256(b"layer tar"));
/// assert!(config.validate().is_empty());
/// assert_eq!(config.platform().to_string(), "linux/amd64");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ImageConfiguration {
    /// OPTIONAL. When the image was created, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// OPTIONAL. Who or what created the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// REQUIRED. The CPU architecture of the binaries (`GOARCH` values).
    pub architecture: String,
    /// OPTIONAL. The CPU variant (`v7` for ARMv7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// REQUIRED. The operating system (`GOOS` values).
    pub os: String,
    /// OPTIONAL. The version of the operating system.
    #[serde(rename = "os.version", skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// OPTIONAL. Features the operating system must have.
    #[serde(rename = "os.features", skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    /// OPTIONAL. Execution parameters for a container run from this image.
    #[serde(skip_serializing_if = "Config::is_empty")]
    pub config: Config,
    /// REQUIRED. The layer content addresses.
    pub rootfs: RootFs,
    /// OPTIONAL. The history of each layer, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    /// Fields this crate does not know, kept so that a round trip loses nothing.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

oci_json::deserialize_object!(ImageConfiguration, "an image configuration", {
    created: "created";
    author: "author";
    architecture: "architecture" required;
    variant: "variant";
    os: "os" required;
    os_version: "os.version";
    os_features: "os.features";
    config: "config" null_as_default;
    rootfs: "rootfs" required;
    history: "history";
});

/// Execution parameters (`config` of an image configuration). Field names follow the
/// spec's capitalised JSON names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Config {
    /// OPTIONAL. `user`, `uid`, `user:group`, `uid:gid`, `uid:group` or `user:gid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// OPTIONAL. Ports to expose, as the keys: `port/tcp`, `port/udp`, `port/sctp` or
    /// `port` (tcp). The values are empty objects (Go's `map[string]struct{}`); whatever a
    /// document holds there is kept as it came. Add a port with [`Config::expose`].
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub exposed_ports: BTreeMap<String, Value>,
    /// OPTIONAL. Environment entries `VARNAME=VARVALUE`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// OPTIONAL. Arguments to use as the command to execute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// OPTIONAL. Default arguments to the entrypoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// OPTIONAL. Directories that describe where the process is likely to write data, as
    /// the keys. The values are empty objects, kept as they came. Add one with
    /// [`Config::add_volume`].
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, Value>,
    /// OPTIONAL. The working directory of the process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// OPTIONAL. Arbitrary metadata for the container.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// OPTIONAL. The signal sent to the container to make it exit (`SIGTERM`, `9`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// OPTIONAL, Windows only. Whether `Entrypoint`/`Cmd` are already escaped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args_escaped: Option<bool>,
    /// Docker: how to check the container is still working.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    /// Docker: triggers run when the image is used as a base (`ONBUILD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_build: Option<Vec<String>>,
    /// Docker: the shell for the shell form of `RUN`, `CMD`, `ENTRYPOINT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shell: Option<Vec<String>>,
    /// Fields this crate does not know (`Memory`, `Hostname`, ...), kept.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

oci_json::deserialize_object!(Config, "the execution parameters of an image", {
    user: "User";
    exposed_ports: "ExposedPorts";
    env: "Env";
    entrypoint: "Entrypoint";
    cmd: "Cmd";
    volumes: "Volumes";
    working_dir: "WorkingDir";
    labels: "Labels";
    stop_signal: "StopSignal";
    args_escaped: "ArgsEscaped";
    healthcheck: "Healthcheck";
    on_build: "OnBuild";
    shell: "Shell";
});

impl Config {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Exposes `port` (`80/tcp`, `53/udp`, `8080`), as the empty object the spec writes.
    pub fn expose(&mut self, port: impl Into<String>) {
        self.exposed_ports.insert(port.into(), Value::Object(Map::new()));
    }

    /// Declares the volume `path`, as the empty object the spec writes.
    pub fn add_volume(&mut self, path: impl Into<String>) {
        self.volumes.insert(path.into(), Value::Object(Map::new()));
    }

    /// The environment as `(name, value)` pairs, for entries that have an `=`.
    pub fn env_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.env.iter().filter_map(|e| e.split_once('='))
    }
}

/// A Docker health check (`HEALTHCHECK`), durations in nanoseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Healthcheck {
    /// `[]` inherit, `["NONE"]` disabled, `["CMD", args...]` or `["CMD-SHELL", command]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    /// Time between checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<i64>,
    /// Time a check may take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    /// Start period before failures count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<i64>,
    /// Time between checks during the start period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<i64>,
    /// Consecutive failures before the container is unhealthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

oci_json::deserialize_object!(Healthcheck, "a health check", {
    test: "Test";
    interval: "Interval";
    timeout: "Timeout";
    start_period: "StartPeriod";
    start_interval: "StartInterval";
    retries: "Retries";
});

/// The layers of an image by their uncompressed digests (`rootfs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RootFs {
    /// REQUIRED. MUST be `layers`.
    #[serde(rename = "type")]
    pub typ: String,
    /// REQUIRED. The digests of the uncompressed layer tars, base layer first.
    pub diff_ids: Vec<Digest>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

oci_json::deserialize_object!(RootFs, "a rootfs object", {
    typ: "type" required;
    diff_ids: "diff_ids" required;
});

impl RootFs {
    /// `type: layers` with these diff_ids.
    pub fn new(diff_ids: Vec<Digest>) -> Self {
        Self { typ: "layers".to_owned(), diff_ids, extra: Map::new() }
    }
}

/// The history of one layer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct History {
    /// OPTIONAL. When the layer was created, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// OPTIONAL. Who or what built the layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// OPTIONAL. The command that created the layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// OPTIONAL. A custom message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// OPTIONAL. Whether this entry made no filesystem change (and has no layer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_layer: Option<bool>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

oci_json::deserialize_object!(History, "a history entry", {
    created: "created";
    author: "author";
    created_by: "created_by";
    comment: "comment";
    empty_layer: "empty_layer";
});

impl History {
    /// The history entry of a step `created_by` (a command line, `COPY . /app`, ...), with
    /// nothing else set. Set `created`, `author`, `comment` on the value; mark a step that
    /// made no layer with [`History::empty_layer`].
    pub fn new(created_by: impl Into<String>) -> Self {
        Self { created_by: Some(created_by.into()), ..Self::default() }
    }

    /// The entry of a step `created_by` that changed no file and so has no layer
    /// (`empty_layer: true`: `ENV`, `CMD`, ...).
    pub fn empty_layer(created_by: impl Into<String>) -> Self {
        Self { empty_layer: Some(true), ..Self::new(created_by) }
    }
}

impl ImageConfiguration {
    /// A configuration for `os`/`architecture` with no layers and nothing else set.
    pub fn new(os: impl Into<String>, architecture: impl Into<String>) -> Self {
        Self {
            created: None,
            author: None,
            architecture: architecture.into(),
            variant: None,
            os: os.into(),
            os_version: None,
            os_features: Vec::new(),
            config: Config::default(),
            rootfs: RootFs::new(Vec::new()),
            history: Vec::new(),
            extra: Map::new(),
        }
    }

    /// A configuration for `platform` (its OS, architecture, variant, OS version and OS
    /// features) with no layers and nothing else set.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use oci_image::{ImageConfiguration, Platform};
    /// let platform: Platform = "linux/arm64/v8".parse()?;
    /// let config = ImageConfiguration::from_platform(&platform);
    /// assert_eq!(config.platform(), platform);
    /// # Ok(()) }
    /// ```
    pub fn from_platform(platform: &Platform) -> Self {
        let mut config = Self::new(platform.os.clone(), platform.architecture.clone());
        config.variant.clone_from(&platform.variant);
        config.os_version.clone_from(&platform.os_version);
        config.os_features.clone_from(&platform.os_features);
        config
    }

    /// The platform this configuration declares (not normalised).
    pub fn platform(&self) -> Platform {
        let mut p = Platform::new(self.os.clone(), self.architecture.clone());
        p.variant.clone_from(&self.variant);
        p.os_version.clone_from(&self.os_version);
        p.os_features.clone_from(&self.os_features);
        p
    }

    /// Every violated requirement of `config.md`, with JSON paths.
    pub fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::new();
        self.check(&mut c);
        c.finish()
    }

    fn check(&self, c: &mut Checker) {
        // [config.created.rfc3339]
        if let Some(created) = &self.created
            && !is_rfc3339(created)
        {
            c.fail_at("created", format_args!("{created:?} is not an RFC 3339 date-time"));
        }
        c.field("config", |c| {
            // [config.Env.format]
            c.field("Env", |c| {
                for (i, e) in self.config.env.iter().enumerate() {
                    if !matches!(e.split_once('='), Some((name, _)) if !name.is_empty()) {
                        c.index(i, |c| {
                            c.fail(format_args!("{e:?} is not of the form VARNAME=VARVALUE"))
                        });
                    }
                }
            });
        });
        c.field("rootfs", |c| {
            // [config.rootfs.type-layers]
            if self.rootfs.typ != "layers" {
                c.fail_at(
                    "type",
                    format_args!("rootfs.type must be \"layers\", found {:?}", self.rootfs.typ),
                );
            }
        });
        c.field("history", |c| {
            for (i, h) in self.history.iter().enumerate() {
                // [config.history.created.rfc3339]
                if let Some(created) = &h.created
                    && !is_rfc3339(created)
                {
                    c.index(i, |c| {
                        c.fail_at(
                            "created",
                            format_args!("{created:?} is not an RFC 3339 date-time"),
                        )
                    });
                }
            }
        });
    }
}

#[cfg(feature = "arbitrary")]
mod arbitrary_impls {
    use super::*;
    use arbitrary::{Arbitrary, Result, Unstructured};

    /// Keys of a Go `map[string]struct{}`, each with its empty object.
    fn empty_objects(u: &mut Unstructured<'_>) -> Result<BTreeMap<String, Value>> {
        let keys: Vec<String> = u.arbitrary()?;
        Ok(keys.into_iter().map(|k| (k, Value::Object(Map::new()))).collect())
    }

    impl<'a> Arbitrary<'a> for Healthcheck {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                test: u.arbitrary()?,
                interval: u.arbitrary()?,
                timeout: u.arbitrary()?,
                start_period: u.arbitrary()?,
                start_interval: u.arbitrary()?,
                retries: u.arbitrary()?,
                extra: crate::arbitrary_extra(
                    u,
                    &["Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"],
                )?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for Config {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                user: u.arbitrary()?,
                exposed_ports: empty_objects(u)?,
                env: u.arbitrary()?,
                entrypoint: u.arbitrary()?,
                cmd: u.arbitrary()?,
                volumes: empty_objects(u)?,
                working_dir: u.arbitrary()?,
                labels: u.arbitrary()?,
                stop_signal: u.arbitrary()?,
                args_escaped: u.arbitrary()?,
                healthcheck: u.arbitrary()?,
                on_build: u.arbitrary()?,
                shell: u.arbitrary()?,
                extra: crate::arbitrary_extra(
                    u,
                    &[
                        "User",
                        "ExposedPorts",
                        "Env",
                        "Entrypoint",
                        "Cmd",
                        "Volumes",
                        "WorkingDir",
                        "Labels",
                        "StopSignal",
                        "ArgsEscaped",
                        "Healthcheck",
                        "OnBuild",
                        "Shell",
                    ],
                )?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for RootFs {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let mut r = Self::new(u.arbitrary()?);
            if u.ratio(1u8, 10)? {
                r.typ = u.arbitrary()?;
            }
            r.extra = crate::arbitrary_extra(u, &["type", "diff_ids"])?;
            Ok(r)
        }
    }

    impl<'a> Arbitrary<'a> for History {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                created: u.arbitrary()?,
                author: u.arbitrary()?,
                created_by: u.arbitrary()?,
                comment: u.arbitrary()?,
                empty_layer: u.arbitrary()?,
                extra: crate::arbitrary_extra(
                    u,
                    &["created", "author", "created_by", "comment", "empty_layer"],
                )?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for ImageConfiguration {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let mut c = Self::new(u.arbitrary::<String>()?, u.arbitrary::<String>()?);
            c.created = u.arbitrary()?;
            c.author = u.arbitrary()?;
            c.variant = u.arbitrary()?;
            c.os_version = u.arbitrary()?;
            c.os_features = u.arbitrary()?;
            c.config = u.arbitrary()?;
            c.rootfs = u.arbitrary()?;
            c.history = u.arbitrary()?;
            c.extra = crate::arbitrary_extra(
                u,
                &[
                    "created",
                    "author",
                    "architecture",
                    "variant",
                    "os",
                    "os.version",
                    "os.features",
                    "config",
                    "rootfs",
                    "history",
                ],
            )?;
            Ok(c)
        }
    }
}
