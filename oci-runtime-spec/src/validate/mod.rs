//! `validate()`: every broken requirement of a runtime-spec document that the document
//! itself shows, with its JSON path. One module per spec document; each check names the
//! row of `REQUIREMENTS.md` it implements (`[config.root.required]`).
//!
//! Nothing here is stricter than the spec: where the spec lets a runtime decide (unknown
//! capabilities, relative mount destinations on Linux, a `consoleSize` without a
//! terminal), the document is valid.

mod config;
mod features;
mod linux;
mod platforms;
mod runtime;

use std::cmp::Ordering;

use oci_json::Checker;
pub use oci_json::Violation;

/// SemVer 2.0.0: `MAJOR.MINOR.PATCH[-pre][+build]`, no leading zeros.
pub(crate) fn is_semver(v: &str) -> bool {
    semver_parts(v).is_some()
}

/// The numeric core and the pre-release identifiers of a SemVer 2.0.0 version.
fn semver_parts(v: &str) -> Option<([u64; 3], Vec<&str>)> {
    let (rest, build) = match v.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let ident =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let numeric = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    if build.is_some_and(|b| !b.split('.').all(ident)) {
        return None;
    }
    let pre: Vec<&str> = match pre {
        Some(p) => p.split('.').collect(),
        None => Vec::new(),
    };
    if !pre.iter().all(|p| ident(p) && (!p.bytes().all(|b| b.is_ascii_digit()) || numeric(p))) {
        return None;
    }
    let mut numbers = [0u64; 3];
    let mut parts = core.split('.');
    for n in &mut numbers {
        let part = parts.next().filter(|p| numeric(p))?;
        *n = part.parse().ok()?;
    }
    parts.next().is_none().then_some((numbers, pre))
}

/// SemVer 2.0.0 precedence (§ 11) of two valid versions; `None` if either is invalid.
pub(crate) fn semver_cmp(a: &str, b: &str) -> Option<Ordering> {
    let (a_core, a_pre) = semver_parts(a)?;
    let (b_core, b_pre) = semver_parts(b)?;
    let order = a_core.cmp(&b_core).then_with(|| match (a_pre.is_empty(), b_pre.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            for (x, y) in a_pre.iter().zip(&b_pre) {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            a_pre.len().cmp(&b_pre.len())
        }
    });
    Some(order)
}

/// An absolute POSIX path.
fn absolute(c: &mut Checker, field: &'static str, path: &str) {
    if !path.starts_with('/') {
        c.fail_at(field, format_args!("{path:?} must be an absolute path"));
    }
}

/// An absolute Windows path: `C:\...`, `C:/...` or a `\\` (UNC or `\\?\`) path.
pub(crate) fn is_windows_absolute(path: &str) -> bool {
    let b = path.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/'))
        || path.starts_with("\\\\")
}

/// A Windows volume GUID path, `\\?\Volume{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}\`.
pub(crate) fn is_volume_guid_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("\\\\?\\Volume{") else { return false };
    let Some((guid, tail)) = rest.split_once('}') else { return false };
    let groups: Vec<&str> = guid.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
        && matches!(tail, "" | "\\")
}

/// Duplicate entries by a key: reports each later duplicate at `[i].<field>`.
fn unique<T>(
    c: &mut Checker,
    items: &[T],
    field: &'static str,
    key: impl Fn(&T) -> &str,
    what: &str,
) {
    for (i, item) in items.iter().enumerate() {
        let k = key(item);
        if items[..i].iter().any(|o| key(o) == k) {
            c.index(i, |c| c.fail_at(field, format_args!("{what} {k:?} appears twice")));
        }
    }
}

/// Values outside a list the spec gives: reports each at `[i]`.
fn each_known(c: &mut Checker, values: &[String], known: &[&str], what: &str) {
    for (i, v) in values.iter().enumerate() {
        if !known.contains(&v.as_str()) {
            c.index(i, |c| c.fail(format_args!("unknown {what} {v:?}")));
        }
    }
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
///
/// For callers that want to warn about others: `validate()` does not report an unknown
/// capability, since config.md has runtimes log it as a warning rather than refuse it.
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

const SCHED_FLAGS: [&str; 7] = [
    "SCHED_FLAG_RESET_ON_FORK",
    "SCHED_FLAG_RECLAIM",
    "SCHED_FLAG_DL_OVERRUN",
    "SCHED_FLAG_KEEP_POLICY",
    "SCHED_FLAG_KEEP_PARAMS",
    "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX",
];
const MPOL_FLAGS: [&str; 3] =
    ["MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"];
const ZOS_NAMESPACES: [&str; 4] = ["pid", "mount", "ipc", "uts"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver() {
        for ok in ["1.0.0", "1.2.1", "1.0.2-dev", "1.0.0-rc.1+build.5", "0.5.0-dev"] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in ["1.0", "01.0.0", "1.0.0-", "v1.0.0", "1.0.0+", "a.b.c", "1.0.0-01", "1.0.0.0"] {
            assert!(!is_semver(bad), "{bad}");
        }
        // SemVer § 11's own example chain.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.2.0",
            "1.10.0",
        ];
        for pair in chain.windows(2) {
            assert_eq!(semver_cmp(pair[0], pair[1]), Some(Ordering::Less), "{pair:?}");
        }
        assert_eq!(semver_cmp("1.0.0+a", "1.0.0+b"), Some(Ordering::Equal));
        assert_eq!(semver_cmp("1.0", "1.0.0"), None);
    }

    #[test]
    fn windows_paths() {
        assert!(is_windows_absolute("C:\\x") && is_windows_absolute("c:/x"));
        assert!(is_windows_absolute("\\\\server\\share") && !is_windows_absolute("x\\y"));
        assert!(is_volume_guid_path("\\\\?\\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\\"));
        assert!(is_volume_guid_path("\\\\?\\Volume{EC84D99E-3F02-11E7-AC6C-00155D7682CF}"));
        assert!(!is_volume_guid_path("C:\\rootfs"));
        assert!(!is_volume_guid_path("\\\\?\\Volume{ec84d99e-3f02-11e7-ac6c}\\"));
    }
}
