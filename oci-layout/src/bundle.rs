//! Runtime bundles: an image unpacked into `rootfs/` beside a `config.json` converted from
//! its configuration as image-spec
//! [`conversion.md`](https://github.com/opencontainers/image-spec/blob/v1.1.1/conversion.md) says.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::Path;

use oci_image::{ImageConfiguration, Platform};
use oci_runtime_spec::{Spec, User};

use crate::layer::ApplyOptions;
use crate::{Error, Layout, UnpackError, UnpackReport};

/// Longest line of `/etc/passwd` or `/etc/group` read; a longer one is an error (the files
/// themselves are read on to their end, a line at a time, in bounded memory).
const MAX_ACCOUNT_LINE: usize = 1 << 20;

/// The largest id a `Config.User` or an account file may give, as runc takes it: ids
/// above this are negative as a signed 32-bit `uid_t`, and `4294967295` is `(uid_t) -1`,
/// which the kernel reads as "no change".
const MAX_ID: u32 = i32::MAX as u32;

/// What [`Layout::bundle`] did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BundleReport {
    /// The unpack of the root filesystem.
    pub unpack: UnpackReport,
    /// The configuration written to `config.json`.
    pub spec: Spec,
}

/// A decimal id: digits only (no sign, no space), at most [`MAX_ID`].
fn parse_id(field: &[u8]) -> Option<u32> {
    if field.is_empty() || field.len() > 10 || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = field.iter().try_fold(0u64, |n, d| Some(n * 10 + u64::from(d - b'0')))?;
    u32::try_from(value).ok().filter(|&id| id <= MAX_ID)
}

/// Visits each line of `/etc/<name>` of a root filesystem, split at `:`, until `each`
/// breaks. The file is resolved inside the root and must be a regular file; it is read
/// to its end a line at a time (so a large file is not cut short), bytes as they are
/// (runc compares names bytewise: a field need not be UTF-8). Returns whether the file
/// exists.
fn scan_accounts(
    rootfs: &Path,
    name: &str,
    mut each: impl FnMut(&[&[u8]]) -> ControlFlow<()>,
) -> Result<bool, Error> {
    let path = || format!("rootfs/etc/{name}");
    let root = crate::layer::root_dir(rootfs).map_err(Error::io("open", rootfs))?;
    let Ok(etc) = root.open_dir(&[b"etc"]) else { return Ok(false) };
    let file = match crate::fs::open_regular(std::os::fd::AsFd::as_fd(&etc), name) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io("open", path())(e)),
    };
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let limit = MAX_ACCOUNT_LINE as u64 + 1;
        let n = (&mut reader)
            .take(limit)
            .read_until(b'\n', &mut line)
            .map_err(Error::io("read", path()))?;
        if n == 0 {
            return Ok(true);
        }
        if line.len() > MAX_ACCOUNT_LINE {
            return Err(Error::io("read", path())(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("a line longer than {MAX_ACCOUNT_LINE} bytes"),
            )));
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if text.is_empty() {
            continue;
        }
        let fields: Vec<&[u8]> = text.split(|&b| b == b':').collect();
        if each(&fields).is_break() {
            return Ok(true);
        }
    }
}

/// The first line of `/etc/<name>` that `wanted` accepts, as owned fields.
fn find_account(
    rootfs: &Path,
    name: &str,
    wanted: impl Fn(&[&[u8]]) -> bool,
) -> Result<Option<Vec<Vec<u8>>>, Error> {
    let mut found = None;
    scan_accounts(rootfs, name, |fields| {
        if wanted(fields) {
            found = Some(fields.iter().map(|f| f.to_vec()).collect());
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    Ok(found)
}

/// Resolves `Config.User` (`user`, `uid`, `user:group`, `uid:gid`, `uid:group`,
/// `user:gid`) through the root filesystem's `/etc/passwd` and `/etc/group`, as runc
/// does: a number is an id (decimal digits only, at most 2147483647), anything else a
/// name, compared bytewise.
pub(crate) fn resolve_user(rootfs: &Path, user: &str) -> Result<User, Error> {
    let (name, group) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let refuse = |reason: String| Error::User { user: user.to_owned(), reason };
    let mut out = User::default();
    let mut gid = 0u32;
    let mut user_name = None;
    let uid = if let Some(uid) = id_or_name(name).map_err(&refuse)? {
        // A numeric user still takes its primary group from passwd, if listed.
        if let Some(fields) =
            find_account(rootfs, "passwd", |f| f.get(2).and_then(|u| parse_id(u)) == Some(uid))?
        {
            gid = fields.get(3).and_then(|g| parse_id(g)).unwrap_or(0);
        }
        uid
    } else {
        let fields = find_account(rootfs, "passwd", |f| f.first() == Some(&name.as_bytes()))?
            .ok_or_else(|| refuse(format!("no user {name:?} in the image's /etc/passwd")))?;
        let field = |i: usize, what: &str| {
            fields
                .get(i)
                .and_then(|f| parse_id(f))
                .ok_or_else(|| refuse(format!("/etc/passwd has no valid {what} for {name:?}")))
        };
        gid = field(3, "gid")?;
        user_name = Some(name);
        field(2, "uid")?
    };
    match group {
        Some(g) => {
            gid = match id_or_name(g).map_err(&refuse)? {
                Some(gid) => gid,
                None => find_account(rootfs, "group", |f| f.first() == Some(&g.as_bytes()))?
                    .and_then(|fields| fields.get(2).and_then(|f| parse_id(f)))
                    .ok_or_else(|| refuse(format!("no group {g:?} in the image's /etc/group")))?,
            };
        }
        None => {
            // Supplementary groups only for a named user without an explicit group.
            if let Some(name) = user_name {
                let mut gids = Vec::new();
                scan_accounts(rootfs, "group", |fields| {
                    let member = fields
                        .get(3)
                        .is_some_and(|m| m.split(|&b| b == b',').any(|m| m == name.as_bytes()));
                    if let Some(g) = fields.get(2).and_then(|f| parse_id(f)).filter(|_| member)
                        && g != gid
                    {
                        gids.push(g);
                    }
                    ControlFlow::Continue(())
                })?;
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

/// `Ok(Some(id))` for a valid numeric id, `Ok(None)` for a name, and an error for what is
/// neither: an out-of-range number, a signed one (`+0`, `-1`), or an empty part.
fn id_or_name(part: &str) -> Result<Option<u32>, String> {
    if part.is_empty() {
        return Err("an empty user or group".into());
    }
    let digits = part.strip_prefix(['+', '-']).unwrap_or(part);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return match parse_id(part.as_bytes()) {
            Some(id) => Ok(Some(id)),
            None => Err(format!("{part:?} is not an id from 0 to {MAX_ID}")),
        };
    }
    Ok(None)
}

/// The runtime configuration for an image: `base` (a [`Spec::default`] or
/// [`Spec::rootless`]) with the image configuration's fields converted onto it.
///
/// # Errors
/// [`Error::User`] when `Config.User` names a user or group the root filesystem lacks, or
/// an id out of range.
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
    /// # Security
    ///
    /// The root filesystem is unpacked as [`Layout::unpack`] does (see its `# Security`).
    /// `Config.User` is resolved through the image's own `/etc/passwd` and `/etc/group`,
    /// opened inside the root filesystem without following links out of it and required
    /// to be regular files, read a line at a time (a line over 1 MiB is an error), and
    /// numeric ids are taken as runc takes them: decimal digits only, at most 2147483647,
    /// so `4294967295` (`(uid_t) -1`) or `+0` cannot become a uid. The conversion adds no
    /// mount, capability or device the base configuration does not have; labels become
    /// annotations only.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use oci_image::ImageConfiguration;
    /// use oci_layout::Layout;
    /// use oci_layout::layer::{ApplyOptions, CreateOptions};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let tree = dir.path().join("tree");
    /// std::fs::create_dir_all(tree.join("bin"))?;
    /// std::fs::write(tree.join("bin/hello"), "#!/bin/sh\necho hello\n")?;
    /// let layout = Layout::create(dir.path().join("layout"))?;
    /// let layer = layout.put_layer(&tree, None, &CreateOptions::default())?;
    /// let mut config = ImageConfiguration::new("linux", "amd64");
    /// config.config.cmd = Some(vec!["/bin/hello".into()]);
    /// let image = layout.write_image_of(config, &[layer], Default::default())?;
    /// layout.tag(&image, "v1")?;
    ///
    /// let bundle = dir.path().join("bundle");
    /// layout.bundle("v1", None, &bundle, &ApplyOptions::default().rootless(true))?;
    /// assert!(bundle.join("rootfs/bin/hello").is_file());
    /// let spec: oci_runtime_spec::Spec =
    ///     oci_runtime_spec::from_slice(&std::fs::read(bundle.join("config.json"))?)?;
    /// assert_eq!(spec.process.map(|p| p.args), Some(vec!["/bin/hello".to_owned()]));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`UnpackError`] for the root filesystem, or the conversion's errors.
    pub fn bundle(
        &self,
        reference: &str,
        platform: Option<&Platform>,
        dest: impl AsRef<Path>,
        options: &ApplyOptions,
    ) -> Result<BundleReport, UnpackError> {
        let dest = dest.as_ref();
        crate::unpack::publish(dest, |staging| {
            let rootfs = staging.join("rootfs");
            let unpack = self.unpack(reference, platform, &rootfs, options)?;
            let base = if options.rootless { Spec::rootless() } else { Spec::default() };
            let spec = convert(&unpack.image.config, &rootfs, base)?;
            let json = serde_json::to_vec_pretty(&spec)
                .map_err(|source| Error::Json { path: "config.json".into(), source })?;
            std::fs::write(staging.join("config.json"), json)
                .map_err(Error::io("write", "config.json"))?;
            Ok(BundleReport { unpack, spec })
        })
    }
}
