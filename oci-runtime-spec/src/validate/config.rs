//! config.md: the platform-independent part of `config.json`.

use oci_json::Checker;
use oci_json::format::is_rfc3339;

use super::{
    RLIMITS, SCHED_FLAGS, SCHED_POLICIES, Violation, absolute, each_known, is_semver,
    is_volume_guid_path, is_windows_absolute, linux, platforms, unique,
};
use crate::config::{Hook, Mount, Process, Spec};

/// The platform a configuration targets, as far as the document shows it: `windows`
/// MUST be set for Windows (config.md § Platform-specific configuration), so its
/// absence rules Windows out; a `linux` section or none at all leaves Linux possible.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Windows,
    /// Solaris, FreeBSD or z/OS: a section of one of them and no `linux`.
    OtherPosix,
    /// Linux, or not known (which Linux's rules then bound).
    LinuxOrUnknown,
}

fn target(spec: &Spec) -> Target {
    if spec.windows.is_some() {
        Target::Windows
    } else if spec.linux.is_none()
        && (spec.solaris.is_some() || spec.freebsd.is_some() || spec.zos.is_some())
    {
        Target::OtherPosix
    } else {
        Target::LinuxOrUnknown
    }
}

/// `org.opencontainers.image.*` annotations whose values follow a grammar of image-spec
/// config.md.
const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";

impl Spec {
    /// Every violated requirement of runtime-spec `config.md` and the platform documents
    /// that the document itself shows, with JSON paths; `REQUIREMENTS.md` lists each one
    /// and those that only a runtime can check.
    ///
    /// Values of open sets that the spec lets a runtime accept or refuse (capabilities,
    /// mount options) are not violations; values outside a list the spec gives
    /// (namespace types, seccomp actions) are, since a runtime MUST refuse invalid values
    /// (config.md § Valid values).
    pub fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::new();
        let target = target(self);
        // [config.ociVersion.semver]
        if !is_semver(&self.oci_version) {
            c.fail_at(
                "ociVersion",
                format_args!("{:?} is not a SemVer 2.0.0 version", self.oci_version),
            );
        }
        self.check_root(&mut c, target);
        c.field("mounts", |c| mounts(c, &self.mounts, target));
        if let Some(p) = &self.process {
            c.field("process", |c| process(c, p, target));
        }
        if let Some(h) = &self.hooks {
            c.field("hooks", |c| {
                for (name, list) in [
                    ("prestart", &h.prestart),
                    ("createRuntime", &h.create_runtime),
                    ("createContainer", &h.create_container),
                    ("startContainer", &h.start_container),
                    ("poststart", &h.poststart),
                    ("poststop", &h.poststop),
                ] {
                    c.field(name, |c| hooks(c, list));
                }
            });
        }
        c.field("annotations", |c| {
            for (key, value) in &self.annotations {
                // [config.annotations.key-not-empty]
                if key.is_empty() {
                    c.key(key, |c| c.fail("annotation keys must not be empty"));
                }
                // [config.annotations.image-created]
                if key == CREATED_ANNOTATION && !is_rfc3339(value) {
                    c.key(key, |c| {
                        c.fail(format_args!("{value:?} is not an RFC 3339 date-time, as image-spec `created` requires"))
                    });
                }
            }
        });
        if let Some(l) = &self.linux {
            c.field("linux", |c| linux::check(c, l));
        }
        platforms::check(&mut c, self);
        c.finish()
    }

    fn check_root(&self, c: &mut Checker, target: Target) {
        let hyperv = self.windows.as_ref().is_some_and(|w| w.hyperv.is_some());
        match (&self.root, target) {
            // [config.root.hyperv-not-set]
            (Some(_), Target::Windows) if hyperv => {
                c.fail_at("root", "root must not be set for a Hyper-V container");
            }
            (Some(root), Target::Windows) => c.field("root", |c| {
                // [config.root.windows-volume-guid]
                if !is_volume_guid_path(&root.path) {
                    c.fail_at("path", format_args!("{:?} is not a volume GUID path", root.path));
                }
                // [config.root.windows-readonly]
                if root.readonly == Some(true) {
                    c.fail_at("readonly", "readonly must be omitted or false on Windows");
                }
            }),
            (Some(_), _) => {}
            // [config.root.windows-server-required]
            (None, Target::Windows) if !hyperv => {
                c.fail_at("root", "root is required for a Windows Server container");
            }
            (None, Target::Windows) => {}
            // [config.root.required]
            (None, _) => c.fail_at("root", "root is required on every platform but Windows"),
        }
    }
}

fn mounts(c: &mut Checker, mounts: &[Mount], target: Target) {
    for (i, m) in mounts.iter().enumerate() {
        c.index(i, |c| {
            match target {
                // Linux: relative destinations are deprecated but allowed.
                Target::LinuxOrUnknown => {}
                // [config.mounts.destination-absolute-windows]
                Target::Windows if !is_windows_absolute(&m.destination) => c.fail_at(
                    "destination",
                    format_args!("{:?} must be an absolute path", m.destination),
                ),
                Target::Windows => {}
                // [config.mounts.destination-absolute-other]
                Target::OtherPosix => absolute(c, "destination", &m.destination),
            }
            // [config.mounts.windows-not-nested]
            if target == Target::Windows
                && let Some(outer) =
                    mounts.iter().find(|o| is_nested(&m.destination, &o.destination))
            {
                c.fail_at(
                    "destination",
                    format_args!(
                        "{:?} is nested within the mount at {:?}",
                        m.destination, outer.destination
                    ),
                );
            }
            // [config.mounts.idmap-both]
            if m.uid_mappings.is_empty() != m.gid_mappings.is_empty() {
                let (missing, given) = if m.uid_mappings.is_empty() {
                    ("uidMappings", "gidMappings")
                } else {
                    ("gidMappings", "uidMappings")
                };
                c.fail_at(missing, format_args!("{given} must be specified along with {missing}"));
            }
        });
    }
}

/// Whether the Windows path `inner` lies strictly below `outer` (case-insensitive,
/// either separator).
fn is_nested(inner: &str, outer: &str) -> bool {
    let norm = |p: &str| p.trim_end_matches(['\\', '/']).to_ascii_lowercase().replace('/', "\\");
    let (inner, outer) = (norm(inner), norm(outer));
    inner.len() > outer.len()
        && inner.starts_with(&outer)
        && inner.as_bytes().get(outer.len()) == Some(&b'\\')
}

fn process(c: &mut Checker, p: &Process, target: Target) {
    // [config.process.cwd-absolute]
    let cwd_ok = match target {
        Target::Windows => is_windows_absolute(&p.cwd),
        _ => p.cwd.starts_with('/'),
    };
    if !cwd_ok {
        c.fail_at("cwd", format_args!("{:?} must be an absolute path", p.cwd));
    }
    if target == Target::Windows {
        // [config.process.windows-commandline]
        if p.args.is_empty() && p.command_line.is_none() {
            c.fail_at("commandLine", "commandLine is required when args is omitted");
        }
    } else {
        // [config.process.args-not-empty]
        if p.args.is_empty() {
            c.fail_at("args", "args must hold at least one entry");
        }
        // [config.user.posix-uid-gid]
        if let Some(user) = &p.user {
            c.field("user", |c| {
                if user.uid.is_none() {
                    c.fail_at("uid", "uid is required on POSIX platforms");
                }
                if user.gid.is_none() {
                    c.fail_at("gid", "gid is required on POSIX platforms");
                }
            });
        }
    }
    c.field("rlimits", |c| {
        // [config.rlimits.unique]
        unique(c, &p.rlimits, "type", |r| r.typ.as_str(), "rlimit");
        for (i, r) in p.rlimits.iter().enumerate() {
            c.index(i, |c| {
                // [config.rlimits.type-linux]
                if target == Target::LinuxOrUnknown && !RLIMITS.contains(&r.typ.as_str()) {
                    c.fail_at("type", format_args!("{:?} is not a getrlimit(2) resource", r.typ));
                }
                // [config.rlimits.soft-le-hard]
                if r.soft > r.hard {
                    c.fail_at(
                        "soft",
                        "soft limit is above the hard limit, which no process can set",
                    );
                }
            });
        }
    });
    // [config.process.oomScoreAdj-range]
    if let Some(adj) = p.oom_score_adj
        && !(-1000..=1000).contains(&adj)
    {
        c.fail_at("oomScoreAdj", "oom_score_adj only takes values within -1000..=1000");
    }
    if let Some(s) = &p.scheduler {
        c.field("scheduler", |c| {
            // [config.scheduler.policy]
            if !SCHED_POLICIES.contains(&s.policy.as_str()) {
                c.fail_at("policy", format_args!("unknown policy {:?}", s.policy));
            }
            // [config.scheduler.flags]
            c.field("flags", |c| each_known(c, &s.flags, &SCHED_FLAGS, "scheduler flag"));
        });
    }
    // [config.ioPriority.class]
    if let Some(io) = &p.io_priority
        && !matches!(io.class.as_str(), "IOPRIO_CLASS_RT" | "IOPRIO_CLASS_BE" | "IOPRIO_CLASS_IDLE")
    {
        c.field("ioPriority", |c| c.fail_at("class", format_args!("unknown class {:?}", io.class)));
    }
}

fn hooks(c: &mut Checker, hooks: &[Hook]) {
    for (i, h) in hooks.iter().enumerate() {
        c.index(i, |c| {
            // [config.hooks.path-absolute]
            absolute(c, "path", &h.path);
            // [config.hooks.timeout-positive]
            if h.timeout.is_some_and(|t| t <= 0) {
                c.fail_at("timeout", "timeout must be greater than zero");
            }
        });
    }
}
