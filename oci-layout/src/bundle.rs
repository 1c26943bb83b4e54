//! Runtime bundles: an image unpacked into `rootfs/` beside a `config.json` converted from
//! its configuration as image-spec
//! [`conversion.md`](https://github.com/opencontainers/image-spec/blob/v1.1.1/conversion.md) says.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use oci_image::{ImageConfiguration, Platform};
use oci_runtime_spec::{Spec, User};

use crate::layer::ApplyOptions;
use crate::{Error, Layout, UnpackError, UnpackReport};

/// Largest `/etc/passwd` or `/etc/group` read from a root filesystem.
const MAX_ACCOUNT_FILE: u64 = 4 << 20;

/// What [`Layout::bundle`] did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BundleReport {
    /// The unpack of the root filesystem.
    pub unpack: UnpackReport,
    /// The configuration written to `config.json`.
    pub spec: Spec,
}

/// Reads `/etc/<name>` of a root filesystem, confined to it: resolved inside the root,
/// required to be a regular file, bounded in size. `None` if it does not exist.
fn account_file(rootfs: &Path, name: &str) -> Result<Option<String>, Error> {
    let root = crate::layer::root_dir(rootfs).map_err(Error::io("open", rootfs))?;
    let Ok(etc) = root.open_dir(&[b"etc"]) else { return Ok(None) };
    let file = match crate::fs::open_regular(std::os::fd::AsFd::as_fd(&etc), name) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("open", format!("rootfs/etc/{name}"))(e)),
    };
    let mut text = String::new();
    file.take(MAX_ACCOUNT_FILE)
        .read_to_string(&mut text)
        .map_err(Error::io("read", format!("rootfs/etc/{name}")))?;
    Ok(Some(text))
}

/// Resolves `Config.User` (`user`, `uid`, `user:group`, `uid:gid`, `uid:group`,
/// `user:gid`) through the root filesystem's `/etc/passwd` and `/etc/group`.
pub(crate) fn resolve_user(rootfs: &Path, user: &str) -> Result<User, Error> {
    let (name, group) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let passwd = account_file(rootfs, "passwd")?;
    let groups = account_file(rootfs, "group")?;
    let unknown = |what: &str| {
        Error::Invalid(format!("Config.User {user:?}: no {what} in the image's /etc files"))
    };
    let mut out = User::default();
    let mut gid = 0u32;
    let mut user_name = None;
    let uid = if let Ok(numeric) = name.parse::<u32>() {
        // A numeric user still takes its primary group from passwd, if listed.
        if let Some(line) =
            passwd.as_deref().and_then(|p| p.lines().find(|l| l.split(':').nth(2) == Some(name)))
        {
            gid = line.split(':').nth(3).and_then(|g| g.parse().ok()).unwrap_or(0);
        }
        numeric
    } else {
        let line = passwd
            .as_deref()
            .and_then(|p| p.lines().find(|l| l.split(':').next() == Some(name)))
            .ok_or_else(|| unknown(&format!("user {name:?}")))?;
        let fields: Vec<&str> = line.split(':').collect();
        gid = fields.get(3).and_then(|g| g.parse().ok()).ok_or_else(|| unknown("valid gid"))?;
        user_name = Some(name);
        fields.get(2).and_then(|u| u.parse().ok()).ok_or_else(|| unknown("valid uid"))?
    };
    match group {
        Some(g) => {
            gid = match g.parse::<u32>() {
                Ok(gid) => gid,
                Err(_) => groups
                    .as_deref()
                    .and_then(|text| text.lines().find(|l| l.split(':').next() == Some(g)))
                    .and_then(|l| l.split(':').nth(2))
                    .and_then(|gid| gid.parse().ok())
                    .ok_or_else(|| unknown(&format!("group {g:?}")))?,
            };
        }
        None => {
            // Supplementary groups only for a named user without an explicit group.
            if let (Some(name), Some(text)) = (user_name, groups.as_deref()) {
                let mut gids: Vec<u32> = text
                    .lines()
                    .filter(|l| {
                        l.split(':')
                            .nth(3)
                            .is_some_and(|members| members.split(',').any(|m| m == name))
                    })
                    .filter_map(|l| l.split(':').nth(2)?.parse().ok())
                    .filter(|&g| g != gid)
                    .collect();
                gids.sort_unstable();
                gids.dedup();
                out.additional_gids = gids;
            }
        }
    }
    out.uid = Some(uid);
    out.gid = Some(gid);
    Ok(out)
}

/// The runtime configuration for an image: `base` (a [`Spec::default`] or
/// [`Spec::rootless`]) with the image configuration's fields converted onto it.
///
/// # Errors
/// [`Error::Invalid`] when `Config.User` names a user or group the root filesystem lacks.
pub fn convert(config: &ImageConfiguration, rootfs: &Path, mut base: Spec) -> Result<Spec, Error> {
    let c = &config.config;
    let process = base.process.get_or_insert_with(Default::default);
    let mut args: Vec<String> = c.entrypoint.clone().unwrap_or_default();
    args.extend(c.cmd.clone().unwrap_or_default());
    if !args.is_empty() {
        process.args = args;
    }
    if !c.env.is_empty() {
        let mut env = c.env.clone();
        // Variables the image does not set keep their defaults (PATH, TERM); none the
        // image sets is changed.
        for default in std::mem::take(&mut process.env) {
            let name = default.split('=').next().unwrap_or_default();
            if !c.env.iter().any(|e| e.split('=').next() == Some(name)) {
                env.push(default);
            }
        }
        process.env = env;
    }
    process.terminal = Some(false);
    process.cwd = c.working_dir.clone().filter(|w| !w.is_empty()).unwrap_or_else(|| "/".into());
    if let Some(user) = c.user.as_deref().filter(|u| !u.is_empty()) {
        process.user = Some(resolve_user(rootfs, user)?);
    }
    let mut annotations = BTreeMap::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(v) = value {
            annotations.insert(format!("org.opencontainers.image.{key}"), v);
        }
    };
    put("os", Some(config.os.clone()));
    put("architecture", Some(config.architecture.clone()));
    put("variant", config.variant.clone());
    put("os.version", config.os_version.clone());
    put("os.features", (!config.os_features.is_empty()).then(|| config.os_features.join(",")));
    put("author", config.author.clone());
    put("created", config.created.clone());
    put("stopSignal", c.stop_signal.clone());
    put(
        "exposedPorts",
        (!c.exposed_ports.is_empty())
            .then(|| c.exposed_ports.keys().cloned().collect::<Vec<_>>().join(",")),
    );
    put(
        "volumes",
        (!c.volumes.is_empty()).then(|| c.volumes.keys().cloned().collect::<Vec<_>>().join(",")),
    );
    // Labels take precedence over the derived annotations.
    annotations.extend(c.labels.clone());
    base.annotations.extend(annotations);
    Ok(base)
}

impl Layout {
    /// Makes a runtime bundle of the image `reference` names in `dest` (new or empty):
    /// `dest/rootfs` unpacked as [`Layout::unpack`] does, and `dest/config.json` converted
    /// from the image configuration onto `runc spec`'s defaults (or `runc spec
    /// --rootless`'s, with `options.rootless`). Everything is prepared in a private
    /// staging directory and moved into place only when complete.
    ///
    /// # Errors
    /// [`UnpackError`] for the root filesystem, or the conversion's errors.
    pub fn bundle(
        &self,
        reference: &str,
        platform: Option<&Platform>,
        dest: &Path,
        options: &ApplyOptions,
    ) -> Result<BundleReport, UnpackError> {
        let dest_exists = match std::fs::symlink_metadata(dest) {
            Ok(m)
                if m.is_dir()
                    && std::fs::read_dir(dest)
                        .map_err(Error::io("list", dest))?
                        .next()
                        .is_none() =>
            {
                true
            }
            Ok(_) => return Err(UnpackError::Destination(dest.to_owned())),
            Err(_) => false,
        };
        let staging = crate::unpack::staging_dir(dest)?;
        let result = (|| {
            let rootfs = staging.join("rootfs");
            let unpack = self.unpack(reference, platform, &rootfs, options)?;
            let base = if options.rootless { Spec::rootless() } else { Spec::default() };
            let spec = convert(&unpack.image.config, &rootfs, base)?;
            let json = serde_json::to_vec_pretty(&spec)
                .map_err(|source| Error::Json { path: "config.json".into(), source })?;
            std::fs::write(staging.join("config.json"), json)
                .map_err(Error::io("write", "config.json"))?;
            if dest_exists {
                std::fs::remove_dir(dest).map_err(Error::io("replace", dest))?;
            }
            std::fs::rename(&staging, dest).map_err(Error::io("rename into place", dest))?;
            std::fs::set_permissions(dest, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .map_err(Error::io("chmod", dest))?;
            Ok(BundleReport { unpack, spec })
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
            if dest_exists && !dest.exists() {
                let _ = std::fs::create_dir(dest);
            }
        }
        result
    }
}
