//! `validate()`: every broken MUST of a runtime-spec document, with its JSON path.

use oci_json::Checker;
pub use oci_json::Violation;

use crate::config::{Hook, IdMapping, Linux, Process, Spec};
use crate::{Features, State, Status};

/// SemVer 2.0.0: `MAJOR.MINOR.PATCH[-pre][+build]`, no leading zeros.
pub(crate) fn is_semver(v: &str) -> bool {
    let (core, _build) = v.split_once('+').unwrap_or((v, ""));
    let (core, pre) = match core.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (core, None),
    };
    let numeric = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    let parts: Vec<&str> = core.split('.').collect();
    let ident =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    parts.len() == 3
        && parts.iter().all(|p| numeric(p))
        && pre.is_none_or(|p| p.split('.').all(ident))
        && v.split_once('+').is_none_or(|(_, b)| b.split('.').all(ident))
}

const NAMESPACES: [&str; 8] = ["mount", "pid", "network", "uts", "ipc", "user", "cgroup", "time"];
const RLIMITS: [&str; 16] = [
    "RLIMIT_AS",
    "RLIMIT_CORE",
    "RLIMIT_CPU",
    "RLIMIT_DATA",
    "RLIMIT_FSIZE",
    "RLIMIT_LOCKS",
    "RLIMIT_MEMLOCK",
    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",
    "RLIMIT_NOFILE",
    "RLIMIT_NPROC",
    "RLIMIT_RSS",
    "RLIMIT_RTPRIO",
    "RLIMIT_RTTIME",
    "RLIMIT_SIGPENDING",
    "RLIMIT_STACK",
];
/// Linux capabilities known to this crate (`capability.h` up to Linux 6.x).
pub const KNOWN_CAPABILITIES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];
const SECCOMP_ACTIONS: [&str; 9] = [
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",
];
const SECCOMP_OPS: [&str; 7] = [
    "SCMP_CMP_NE",
    "SCMP_CMP_LT",
    "SCMP_CMP_LE",
    "SCMP_CMP_EQ",
    "SCMP_CMP_GE",
    "SCMP_CMP_GT",
    "SCMP_CMP_MASKED_EQ",
];
const SECCOMP_FLAGS: [&str; 4] = [
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
];
const SCHED_POLICIES: [&str; 7] = [
    "SCHED_OTHER",
    "SCHED_FIFO",
    "SCHED_RR",
    "SCHED_BATCH",
    "SCHED_ISO",
    "SCHED_IDLE",
    "SCHED_DEADLINE",
];
const MPOL_MODES: [&str; 7] = [
    "MPOL_DEFAULT",
    "MPOL_BIND",
    "MPOL_INTERLEAVE",
    "MPOL_WEIGHTED_INTERLEAVE",
    "MPOL_PREFERRED",
    "MPOL_PREFERRED_MANY",
    "MPOL_LOCAL",
];

fn absolute(c: &mut Checker, field: &'static str, path: &str) {
    if !path.starts_with('/') {
        c.fail_at(field, format_args!("{path:?} must be an absolute path"));
    }
}

fn hugepage_size_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 3
        && b[0] != b'0'
        && b[..b.len() - 2].iter().all(u8::is_ascii_digit)
        && matches!(b[b.len() - 2], b'K' | b'M' | b'G')
        && b[b.len() - 1] == b'B'
}

fn mappings(c: &mut Checker, name: &'static str, maps: &[IdMapping]) {
    c.field(name, |c| {
        for (i, m) in maps.iter().enumerate() {
            if m.size == 0 {
                c.index(i, |c| c.fail_at("size", "a mapping must map at least one ID"));
            }
        }
    });
}

fn hooks(c: &mut Checker, name: &'static str, hooks: &[Hook]) {
    c.field(name, |c| {
        for (i, h) in hooks.iter().enumerate() {
            c.index(i, |c| {
                absolute(c, "path", &h.path);
                if h.timeout.is_some_and(|t| t <= 0) {
                    c.fail_at("timeout", "timeout must be greater than zero");
                }
            });
        }
    });
}

fn process(c: &mut Checker, p: &Process, linux: bool) {
    let b = p.cwd.as_bytes();
    let windows_absolute =
        b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/');
    if linux || !windows_absolute {
        absolute(c, "cwd", &p.cwd);
    }
    if linux && p.args.is_empty() {
        c.fail_at("args", "args must hold at least one entry");
    }
    if p.console_size.is_some() && p.terminal != Some(true) {
        c.fail_at("consoleSize", "consoleSize is only meaningful with terminal: true");
    }
    if let Some(adj) = p.oom_score_adj
        && !(-1000..=1000).contains(&adj)
    {
        c.fail_at("oomScoreAdj", "oomScoreAdj must be within -1000..=1000");
    }
    c.field("rlimits", |c| {
        for (i, r) in p.rlimits.iter().enumerate() {
            c.index(i, |c| {
                if linux && !RLIMITS.contains(&r.typ.as_str()) {
                    c.fail_at("type", format_args!("unknown rlimit type {:?}", r.typ));
                }
                if p.rlimits[..i].iter().any(|o| o.typ == r.typ) {
                    c.fail_at("type", format_args!("rlimit {} appears twice", r.typ));
                }
                if r.soft > r.hard {
                    c.fail_at("soft", "soft limit is above the hard limit");
                }
            });
        }
    });
    if let Some(caps) = &p.capabilities {
        c.field("capabilities", |c| {
            for (name, set) in [
                ("bounding", &caps.bounding),
                ("effective", &caps.effective),
                ("inheritable", &caps.inheritable),
                ("permitted", &caps.permitted),
                ("ambient", &caps.ambient),
            ] {
                for (i, cap) in set.iter().flatten().enumerate() {
                    if !KNOWN_CAPABILITIES.contains(&cap.as_str()) {
                        c.field(name, |c| {
                            c.index(i, |c| c.fail(format_args!("unknown capability {cap:?}")))
                        });
                    }
                }
            }
        });
    }
    if let Some(s) = &p.scheduler
        && !SCHED_POLICIES.contains(&s.policy.as_str())
    {
        c.field("scheduler", |c| {
            c.fail_at("policy", format_args!("unknown policy {:?}", s.policy))
        });
    }
    if let Some(io) = &p.io_priority
        && !matches!(io.class.as_str(), "IOPRIO_CLASS_RT" | "IOPRIO_CLASS_BE" | "IOPRIO_CLASS_IDLE")
    {
        c.field("ioPriority", |c| c.fail_at("class", format_args!("unknown class {:?}", io.class)));
    }
}

fn linux(c: &mut Checker, l: &Linux) {
    c.field("namespaces", |c| {
        for (i, n) in l.namespaces.iter().enumerate() {
            c.index(i, |c| {
                if !NAMESPACES.contains(&n.typ.as_str()) {
                    c.fail_at("type", format_args!("unknown namespace type {:?}", n.typ));
                }
                if l.namespaces[..i].iter().any(|o| o.typ == n.typ) {
                    c.fail_at("type", format_args!("namespace {} appears twice", n.typ));
                }
                if let Some(p) = &n.path {
                    absolute(c, "path", p);
                }
            });
        }
    });
    mappings(c, "uidMappings", &l.uid_mappings);
    mappings(c, "gidMappings", &l.gid_mappings);
    c.field("timeOffsets", |c| {
        for key in l.time_offsets.keys() {
            if !matches!(key.as_str(), "boottime" | "monotonic") {
                c.fail(format_args!("unknown clock {key:?}: boottime or monotonic"));
            }
        }
    });
    c.field("devices", |c| {
        for (i, d) in l.devices.iter().enumerate() {
            c.index(i, |c| {
                if !matches!(d.typ.as_str(), "c" | "b" | "u" | "p") {
                    c.fail_at(
                        "type",
                        format_args!("device type {:?} is not one of c, b, u, p", d.typ),
                    );
                }
                absolute(c, "path", &d.path);
                if d.typ != "p" && (d.major.is_none() || d.minor.is_none()) {
                    c.fail("major and minor are required for c, b and u devices");
                }
            });
        }
    });
    if let Some(r) = &l.resources {
        c.field("resources", |c| {
            c.field("devices", |c| {
                for (i, d) in r.devices.iter().enumerate() {
                    c.index(i, |c| {
                        if d.typ.as_deref().is_some_and(|t| !matches!(t, "a" | "c" | "b")) {
                            c.fail_at("type", "type must be a, c or b");
                        }
                        if d.access
                            .as_deref()
                            .is_some_and(|a| !a.chars().all(|ch| matches!(ch, 'r' | 'w' | 'm')))
                        {
                            c.fail_at("access", "access must combine r, w and m");
                        }
                    });
                }
            });
            c.field("hugepageLimits", |c| {
                for (i, h) in r.hugepage_limits.iter().enumerate() {
                    if !hugepage_size_ok(&h.page_size) {
                        c.index(i, |c| {
                            c.fail_at(
                                "pageSize",
                                format_args!("{:?} is not of the form <size><K|M|G>B", h.page_size),
                            )
                        });
                    }
                }
            });
            if let Some(m) = &r.memory
                && m.swappiness.is_some_and(|s| s > 100)
            {
                c.field("memory", |c| c.fail_at("swappiness", "swappiness must be within 0..=100"));
            }
        });
    }
    if let Some(p) = &l.rootfs_propagation
        && !matches!(p.as_str(), "private" | "shared" | "slave" | "unbindable")
    {
        c.fail_at(
            "rootfsPropagation",
            format_args!("{p:?} is not private, shared, slave or unbindable"),
        );
    }
    for (name, paths) in [("maskedPaths", &l.masked_paths), ("readonlyPaths", &l.readonly_paths)] {
        c.field(name, |c| {
            for (i, p) in paths.iter().enumerate() {
                if !p.starts_with('/') {
                    c.index(i, |c| c.fail(format_args!("{p:?} must be an absolute path")));
                }
            }
        });
    }
    if let Some(s) = &l.seccomp {
        c.field("seccomp", |c| {
            if !SECCOMP_ACTIONS.contains(&s.default_action.as_str()) {
                c.fail_at("defaultAction", format_args!("unknown action {:?}", s.default_action));
            }
            for (i, f) in s.flags.iter().enumerate() {
                if !SECCOMP_FLAGS.contains(&f.as_str()) {
                    c.field("flags", |c| {
                        c.index(i, |c| c.fail(format_args!("unknown flag {f:?}")))
                    });
                }
            }
            for (i, a) in s.architectures.iter().enumerate() {
                if !a.starts_with("SCMP_ARCH_") {
                    c.field("architectures", |c| {
                        c.index(i, |c| c.fail(format_args!("unknown architecture {a:?}")))
                    });
                }
            }
            let notify = s.default_action == "SCMP_ACT_NOTIFY"
                || s.syscalls.iter().any(|r| r.action == "SCMP_ACT_NOTIFY");
            if notify && s.listener_path.is_none() {
                c.fail_at("listenerPath", "SCMP_ACT_NOTIFY needs a listenerPath");
            }
            c.field("syscalls", |c| {
                for (i, r) in s.syscalls.iter().enumerate() {
                    c.index(i, |c| {
                        if r.names.is_empty() {
                            c.fail_at("names", "names must hold at least one syscall");
                        }
                        if !SECCOMP_ACTIONS.contains(&r.action.as_str()) {
                            c.fail_at("action", format_args!("unknown action {:?}", r.action));
                        }
                        for (j, a) in r.args.iter().enumerate() {
                            if !SECCOMP_OPS.contains(&a.op.as_str()) {
                                c.field("args", |c| {
                                    c.index(j, |c| {
                                        c.fail_at("op", format_args!("unknown operator {:?}", a.op))
                                    })
                                });
                            }
                        }
                    });
                }
            });
        });
    }
    if let Some(p) = &l.personality
        && !matches!(p.domain.as_str(), "LINUX" | "LINUX32")
    {
        c.field("personality", |c| {
            c.fail_at("domain", format_args!("{:?} is not LINUX or LINUX32", p.domain))
        });
    }
    if let Some(m) = &l.memory_policy
        && !MPOL_MODES.contains(&m.mode.as_str())
    {
        c.field("memoryPolicy", |c| c.fail_at("mode", format_args!("unknown mode {:?}", m.mode)));
    }
}

impl Spec {
    /// Every violated requirement of runtime-spec `config.md` and the platform documents,
    /// with JSON paths. Unknown capabilities, namespaces and seccomp values parse (they
    /// are open sets) and are reported here.
    pub fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::new();
        if !is_semver(&self.oci_version) {
            c.fail_at(
                "ociVersion",
                format_args!("{:?} is not a SemVer 2.0.0 version", self.oci_version),
            );
        }
        let is_linux = self.linux.is_some()
            || (self.windows.is_none()
                && self.solaris.is_none()
                && self.freebsd.is_none()
                && self.zos.is_none());
        if let Some(root) = &self.root
            && root.path.is_empty()
        {
            c.field("root", |c| c.fail_at("path", "root.path must not be empty"));
        }
        c.field("mounts", |c| {
            for (i, m) in self.mounts.iter().enumerate() {
                c.index(i, |c| {
                    if is_linux {
                        absolute(c, "destination", &m.destination);
                    }
                    mappings(c, "uidMappings", &m.uid_mappings);
                    mappings(c, "gidMappings", &m.gid_mappings);
                });
            }
        });
        if let Some(p) = &self.process {
            c.field("process", |c| process(c, p, is_linux));
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
                    hooks(c, name, list);
                }
            });
        }
        if let Some(l) = &self.linux {
            c.field("linux", |c| linux(c, l));
        }
        if let Some(jail) = self.freebsd.as_ref().and_then(|f| f.jail.as_ref()) {
            c.field("freebsd", |c| {
                c.field("jail", |c| {
                    for (name, value) in [("vnet", &jail.vnet), ("host", &jail.host)] {
                        if value.as_deref().is_some_and(|v| !matches!(v, "new" | "inherit")) {
                            c.fail_at(name, format_args!("{name} must be new or inherit"));
                        }
                    }
                    for (name, value) in [
                        ("ip4", &jail.ip4),
                        ("ip6", &jail.ip6),
                        ("sysvmsg", &jail.sysvmsg),
                        ("sysvsem", &jail.sysvsem),
                        ("sysvshm", &jail.sysvshm),
                    ] {
                        if value
                            .as_deref()
                            .is_some_and(|v| !matches!(v, "disable" | "new" | "inherit"))
                        {
                            c.fail_at(name, format_args!("{name} must be disable, new or inherit"));
                        }
                    }
                    if jail.enforce_statfs.is_some_and(|e| e > 2) {
                        c.fail_at("enforceStatfs", "enforceStatfs must be 0, 1 or 2");
                    }
                });
            });
        }
        if let Some(w) = &self.windows
            && w.layer_folders.is_empty()
            && w.hyperv.is_none()
        {
            c.field("windows", |c| {
                c.fail_at("layerFolders", "layerFolders must hold at least one folder")
            });
        }
        c.finish()
    }
}

impl State {
    /// Every violated requirement of runtime-spec `runtime.md` § State.
    pub fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::new();
        if !is_semver(&self.oci_version) {
            c.fail_at(
                "ociVersion",
                format_args!("{:?} is not a SemVer 2.0.0 version", self.oci_version),
            );
        }
        if self.id.is_empty() {
            c.fail_at("id", "id must not be empty");
        }
        absolute(&mut c, "bundle", &self.bundle);
        if matches!(self.status, Status::Created | Status::Running) && self.pid.is_none() {
            c.fail_at("pid", "pid is required when the container is created or running");
        }
        c.finish()
    }
}

impl Features {
    /// Every violated requirement of runtime-spec `features.md`.
    pub fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::new();
        for (name, v) in
            [("ociVersionMin", &self.oci_version_min), ("ociVersionMax", &self.oci_version_max)]
        {
            if !is_semver(v) {
                c.fail_at(name, format_args!("{v:?} is not a SemVer 2.0.0 version"));
            }
        }
        c.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver() {
        for ok in ["1.0.0", "1.2.1", "1.0.2-dev", "1.0.0-rc.1+build.5", "0.5.0-dev"] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in ["1.0", "01.0.0", "1.0.0-", "v1.0.0", "1.0.0+", "a.b.c"] {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    #[test]
    fn hugepages() {
        assert!(hugepage_size_ok("2MB") && hugepage_size_ok("64KB") && hugepage_size_ok("1GB"));
        assert!(!hugepage_size_ok("64kB") && !hugepage_size_ok("0MB") && !hugepage_size_ok("MB"));
    }
}
