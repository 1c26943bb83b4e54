//! The container process, runtime-spec
//! [`config.md` § Process](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/config.md#process).

use serde::Serialize;

use crate::config::Extra;

/// The container process.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Process {
    /// OPTIONAL. Whether a terminal is attached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminal: Option<bool>,
    /// OPTIONAL. The terminal's size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_size: Option<ConsoleSize>,
    /// The user the process runs as (REQUIRED on POSIX platforms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// OPTIONAL (REQUIRED on Linux). The command and its arguments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// OPTIONAL, Windows. The full command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    /// OPTIONAL. Environment, `KEY=value`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// REQUIRED. Working directory, absolute.
    pub cwd: String,
    /// OPTIONAL. Capability sets (names are an open set: `CAP_...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    /// OPTIONAL. Resource limits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rlimits: Vec<Rlimit>,
    /// OPTIONAL. AppArmor profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apparmor_profile: Option<String>,
    /// OPTIONAL. SELinux label of the process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selinux_label: Option<String>,
    /// OPTIONAL. Whether to set `no_new_privs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_new_privileges: Option<bool>,
    /// OPTIONAL. `oom_score_adj`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oom_score_adj: Option<i64>,
    /// OPTIONAL. Scheduling policy (`sched_setattr`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<Scheduler>,
    /// OPTIONAL. I/O priority (`ioprio_set`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub io_priority: Option<IoPriority>,
    /// OPTIONAL. CPU affinity of processes started by `exec`.
    #[serde(rename = "execCPUAffinity", skip_serializing_if = "Option::is_none")]
    pub exec_cpu_affinity: Option<ExecCpuAffinity>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Process, "Process", {
    terminal: "terminal";
    console_size: "consoleSize";
    user: "user";
    args: "args";
    command_line: "commandLine";
    env: "env";
    cwd: "cwd" required;
    capabilities: "capabilities";
    rlimits: "rlimits";
    apparmor_profile: "apparmorProfile";
    selinux_label: "selinuxLabel";
    no_new_privileges: "noNewPrivileges";
    oom_score_adj: "oomScoreAdj";
    scheduler: "scheduler";
    io_priority: "ioPriority";
    exec_cpu_affinity: "execCPUAffinity";
});

/// A terminal size.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct ConsoleSize {
    /// REQUIRED. Rows.
    pub height: u32,
    /// REQUIRED. Columns.
    pub width: u32,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(ConsoleSize, "ConsoleSize", {
    height: "height" required;
    width: "width" required;
});

/// The user of the process.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct User {
    /// REQUIRED on POSIX. User ID in the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// REQUIRED on POSIX. Group ID in the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    /// OPTIONAL. File mode creation mask.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub umask: Option<u32>,
    /// OPTIONAL. Additional group IDs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_gids: Vec<u32>,
    /// OPTIONAL, Windows. User name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(User, "User", {
    uid: "uid";
    gid: "gid";
    umask: "umask";
    additional_gids: "additionalGids";
    username: "username";
});

/// Capability sets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Capabilities {
    /// OPTIONAL. The bounding set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounding: Option<Vec<String>>,
    /// OPTIONAL. The effective set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective: Option<Vec<String>>,
    /// OPTIONAL. The inheritable set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inheritable: Option<Vec<String>>,
    /// OPTIONAL. The permitted set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permitted: Option<Vec<String>>,
    /// OPTIONAL. The ambient set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ambient: Option<Vec<String>>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Capabilities, "Capabilities", {
    bounding: "bounding";
    effective: "effective";
    inheritable: "inheritable";
    permitted: "permitted";
    ambient: "ambient";
});

/// A resource limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Rlimit {
    /// REQUIRED. `RLIMIT_...`.
    #[serde(rename = "type")]
    pub typ: String,
    /// REQUIRED. Hard limit.
    pub hard: u64,
    /// REQUIRED. Soft limit.
    pub soft: u64,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Rlimit, "Rlimit", {
    typ: "type" required;
    hard: "hard" required;
    soft: "soft" required;
});

impl Rlimit {
    /// The limit `typ` (`RLIMIT_NOFILE`, ...) with a `hard` and a `soft` value.
    pub fn new(typ: &str, hard: u64, soft: u64) -> Self {
        Self { typ: typ.to_owned(), hard, soft, extra: Extra::new() }
    }
}

/// Scheduling policy and parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Scheduler {
    /// REQUIRED. `SCHED_OTHER`, `SCHED_FIFO`, ...
    pub policy: String,
    /// OPTIONAL. Nice value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nice: Option<i32>,
    /// OPTIONAL. Static priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    /// OPTIONAL. `SCHED_FLAG_...` flags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// OPTIONAL. Deadline scheduling runtime (ns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<u64>,
    /// OPTIONAL. Deadline (ns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<u64>,
    /// OPTIONAL. Period (ns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<u64>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Scheduler, "Scheduler", {
    policy: "policy" required;
    nice: "nice";
    priority: "priority";
    flags: "flags";
    runtime: "runtime";
    deadline: "deadline";
    period: "period";
});

/// I/O priority.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct IoPriority {
    /// REQUIRED. `IOPRIO_CLASS_RT`, `IOPRIO_CLASS_BE` or `IOPRIO_CLASS_IDLE`.
    pub class: String,
    /// REQUIRED. Priority within the class, 0 (highest) to 7 (lowest).
    pub priority: i32,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(IoPriority, "IoPriority", {
    class: "class" required;
    priority: "priority" required;
});

/// CPU affinity of `exec`'d processes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct ExecCpuAffinity {
    /// OPTIONAL. Affinity before joining the container's cgroup (`0-3,7`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial: Option<String>,
    /// OPTIONAL. Affinity after.
    #[serde(rename = "final", skip_serializing_if = "Option::is_none")]
    pub final_: Option<String>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(ExecCpuAffinity, "ExecCpuAffinity", {
    initial: "initial";
    final_: "final";
});

impl Process {
    /// A process running `args` in the absolute directory `cwd`, nothing else set.
    pub fn new(args: Vec<String>, cwd: impl Into<String>) -> Self {
        Self { args, cwd: cwd.into(), ..Self::default() }
    }
}

impl ConsoleSize {
    /// A terminal of `height` rows and `width` columns.
    pub fn new(height: u32, width: u32) -> Self {
        Self { height, width, extra: Extra::new() }
    }
}

impl User {
    /// The POSIX user `uid`:`gid` in the container.
    pub fn new(uid: u32, gid: u32) -> Self {
        Self { uid: Some(uid), gid: Some(gid), ..Self::default() }
    }
}

impl Scheduler {
    /// The scheduling policy `policy` (`SCHED_OTHER`, ...) with no parameters.
    pub fn new(policy: impl Into<String>) -> Self {
        Self { policy: policy.into(), ..Self::default() }
    }
}

impl IoPriority {
    /// The I/O priority `priority` (0 highest, 7 lowest) within `class`.
    pub fn new(class: impl Into<String>, priority: i32) -> Self {
        Self { class: class.into(), priority, extra: Extra::new() }
    }
}
