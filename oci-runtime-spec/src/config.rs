//! The runtime configuration (`config.json`), runtime-spec
//! [`config.md`](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/config.md) and
//! [`config-linux.md`](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/config-linux.md).
//!
//! Every struct keeps the fields this crate does not know in `extra`, so a round trip
//! loses nothing. The other platform sections (`windows`, `solaris`, `vm`, `zos`,
//! `freebsd`) are in [`crate::platform`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::platform::{FreeBsd, Solaris, Vm, Windows, Zos};

/// Unknown fields, kept for lossless round trips.
pub type Extra = oci_json::Extra;

/// A container's configuration: `config.json` of a bundle.
///
/// [`Spec::default`] is exactly what `runc spec` writes (but for `ociVersion`, which is
/// [`crate::VERSION`]), and [`Spec::rootless`] what `runc spec --rootless` writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Spec {
    /// REQUIRED. The runtime-spec version (SemVer 2.0.0).
    pub oci_version: String,
    /// OPTIONAL. The container's root filesystem (REQUIRED except on Windows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<Root>,
    /// OPTIONAL. Additional mounts, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<Mount>,
    /// OPTIONAL. The container process (REQUIRED when `start` is called).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<Process>,
    /// OPTIONAL. The container's host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// OPTIONAL. The container's NIS domain name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domainname: Option<String>,
    /// OPTIONAL. Lifecycle hooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Hooks>,
    /// OPTIONAL. Arbitrary metadata.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// OPTIONAL. Linux-specific configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linux: Option<Linux>,
    /// OPTIONAL. Solaris-specific configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solaris: Option<Solaris>,
    /// OPTIONAL. Windows-specific configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub windows: Option<Windows>,
    /// OPTIONAL. Configuration for virtual-machine-based containers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vm: Option<Vm>,
    /// OPTIONAL. z/OS-specific configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zos: Option<Zos>,
    /// OPTIONAL. FreeBSD-specific configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freebsd: Option<FreeBsd>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Spec, "Spec", {
    oci_version: "ociVersion" required;
    root: "root";
    mounts: "mounts";
    process: "process";
    hostname: "hostname";
    domainname: "domainname";
    hooks: "hooks";
    annotations: "annotations";
    linux: "linux";
    solaris: "solaris";
    windows: "windows";
    vm: "vm";
    zos: "zos";
    freebsd: "freebsd";
});

/// The container's root filesystem.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Root {
    /// REQUIRED. The path to the root filesystem, absolute or relative to the bundle.
    pub path: String,
    /// OPTIONAL. Whether the root filesystem is read-only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readonly: Option<bool>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Root, "Root", {
    path: "path" required;
    readonly: "readonly";
});

/// A mount.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Mount {
    /// REQUIRED. Where to mount, inside the container (absolute on Linux).
    pub destination: String,
    /// OPTIONAL. The file system type (`proc`, `tmpfs`, `bind`, ...).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// OPTIONAL. What to mount: a device, a path, or a name for pseudo file systems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// OPTIONAL. Mount options (an open set: `ro`, `nosuid`, `mode=755`, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// OPTIONAL. User ID mappings of an idmapped mount.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uid_mappings: Vec<IdMapping>,
    /// OPTIONAL. Group ID mappings of an idmapped mount.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gid_mappings: Vec<IdMapping>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Mount, "Mount", {
    destination: "destination" required;
    typ: "type";
    source: "source";
    options: "options";
    uid_mappings: "uidMappings";
    gid_mappings: "gidMappings";
});

impl Mount {
    /// A mount of `source` (of type `typ`) at `destination` with `options`.
    pub fn new(destination: &str, typ: &str, source: &str, options: &[&str]) -> Self {
        Self {
            destination: destination.to_owned(),
            typ: Some(typ.to_owned()),
            source: Some(source.to_owned()),
            options: options.iter().map(|&s| s.to_owned()).collect(),
            ..Self::default()
        }
    }
}

/// A range of IDs mapped from the host into the container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct IdMapping {
    /// REQUIRED. First ID in the container.
    #[serde(rename = "containerID")]
    pub container_id: u32,
    /// REQUIRED. First ID on the host.
    #[serde(rename = "hostID")]
    pub host_id: u32,
    /// REQUIRED. How many IDs.
    pub size: u32,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(IdMapping, "IdMapping", {
    container_id: "containerID" required;
    host_id: "hostID" required;
    size: "size" required;
});

impl IdMapping {
    /// `size` IDs from `host_id` on the host to `container_id` in the container.
    pub fn new(container_id: u32, host_id: u32, size: u32) -> Self {
        Self { container_id, host_id, size, extra: Extra::new() }
    }
}

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
    /// OPTIONAL. Priority within the class, 0-7.
    pub priority: i32,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(IoPriority, "IoPriority", {
    class: "class" required;
    priority: "priority";
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

/// Lifecycle hooks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Hooks {
    /// DEPRECATED. Run after the environment is created, before pivot_root.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prestart: Vec<Hook>,
    /// Run in the runtime namespace after the environment is created.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub create_runtime: Vec<Hook>,
    /// Run in the container namespace after the environment is created.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub create_container: Vec<Hook>,
    /// Run in the container before the user process.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub start_container: Vec<Hook>,
    /// Run after the user process starts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub poststart: Vec<Hook>,
    /// Run after the container is deleted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub poststop: Vec<Hook>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Hooks, "Hooks", {
    prestart: "prestart";
    create_runtime: "createRuntime";
    create_container: "createContainer";
    start_container: "startContainer";
    poststart: "poststart";
    poststop: "poststop";
});

/// One hook.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Hook {
    /// REQUIRED. Absolute path of the program.
    pub path: String,
    /// OPTIONAL. Arguments, `argv[0]` included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// OPTIONAL. Environment.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// OPTIONAL. Seconds before the hook is aborted (> 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Hook, "Hook", {
    path: "path" required;
    args: "args";
    env: "env";
    timeout: "timeout";
});

/// Linux-specific configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Linux {
    /// OPTIONAL. Namespaces to create or join.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<Namespace>,
    /// OPTIONAL. User namespace UID mappings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uid_mappings: Vec<IdMapping>,
    /// OPTIONAL. User namespace GID mappings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gid_mappings: Vec<IdMapping>,
    /// OPTIONAL. Time namespace offsets (`boottime`, `monotonic`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub time_offsets: BTreeMap<String, TimeOffset>,
    /// OPTIONAL. Devices to create in the container.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
    /// OPTIONAL. Network devices to move into the container, by host name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub net_devices: BTreeMap<String, NetDevice>,
    /// OPTIONAL. The cgroup path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroups_path: Option<String>,
    /// OPTIONAL. Resource limits (cgroups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// OPTIONAL. Intel RDT configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intel_rdt: Option<IntelRdt>,
    /// OPTIONAL. NUMA memory policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_policy: Option<MemoryPolicy>,
    /// OPTIONAL. Kernel parameters.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctl: BTreeMap<String, String>,
    /// OPTIONAL. Seccomp filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seccomp: Option<Seccomp>,
    /// OPTIONAL. Root mount propagation: `private`, `shared`, `slave`, `unbindable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rootfs_propagation: Option<String>,
    /// OPTIONAL. Paths masked in the container.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub masked_paths: Vec<String>,
    /// OPTIONAL. Paths made read-only in the container.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readonly_paths: Vec<String>,
    /// OPTIONAL. SELinux context of the mounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mount_label: Option<String>,
    /// OPTIONAL. Execution domain (`personality(2)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personality: Option<Personality>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Linux, "Linux", {
    namespaces: "namespaces";
    uid_mappings: "uidMappings";
    gid_mappings: "gidMappings";
    time_offsets: "timeOffsets";
    devices: "devices";
    net_devices: "netDevices";
    cgroups_path: "cgroupsPath";
    resources: "resources";
    intel_rdt: "intelRdt";
    memory_policy: "memoryPolicy";
    sysctl: "sysctl";
    seccomp: "seccomp";
    rootfs_propagation: "rootfsPropagation";
    masked_paths: "maskedPaths";
    readonly_paths: "readonlyPaths";
    mount_label: "mountLabel";
    personality: "personality";
});

/// A namespace to create (no path) or join (path).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Namespace {
    /// REQUIRED. `mount`, `pid`, `network`, `uts`, `ipc`, `user`, `cgroup`, `time` (open set).
    #[serde(rename = "type")]
    pub typ: String,
    /// OPTIONAL. A namespace file to join.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Namespace, "Namespace", {
    typ: "type" required;
    path: "path";
});

impl Namespace {
    /// A new namespace of `typ`.
    pub fn new(typ: &str) -> Self {
        Self { typ: typ.to_owned(), path: None, extra: Extra::new() }
    }
}

/// A time namespace clock offset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct TimeOffset {
    /// OPTIONAL. Seconds.
    pub secs: i64,
    /// OPTIONAL. Nanoseconds.
    pub nanosecs: u32,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(TimeOffset, "TimeOffset", {
    secs: "secs";
    nanosecs: "nanosecs";
});

/// A device node to create.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Device {
    /// REQUIRED. `c`, `b`, `u` or `p`.
    #[serde(rename = "type")]
    pub typ: String,
    /// REQUIRED. Absolute path in the container.
    pub path: String,
    /// OPTIONAL. Major number (REQUIRED unless `p`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub major: Option<i64>,
    /// OPTIONAL. Minor number (REQUIRED unless `p`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minor: Option<i64>,
    /// OPTIONAL. Permission bits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_mode: Option<u32>,
    /// OPTIONAL. Owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// OPTIONAL. Group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Device, "Device", {
    typ: "type" required;
    path: "path" required;
    major: "major";
    minor: "minor";
    file_mode: "fileMode";
    uid: "uid";
    gid: "gid";
});

/// A network device to move into the container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct NetDevice {
    /// OPTIONAL. Its name inside the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(NetDevice, "NetDevice", {
    name: "name";
});

/// cgroup resource limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Resources {
    /// OPTIONAL. Device cgroup rules, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceCgroup>,
    /// OPTIONAL. Memory limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    /// OPTIONAL. CPU limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Cpu>,
    /// OPTIONAL. Block I/O limits.
    #[serde(rename = "blockIO", skip_serializing_if = "Option::is_none")]
    pub block_io: Option<BlockIo>,
    /// OPTIONAL. Huge page limits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hugepage_limits: Vec<HugepageLimit>,
    /// OPTIONAL. Network class and priorities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    /// OPTIONAL. Process count limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids: Option<Pids>,
    /// OPTIONAL. RDMA limits per device.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub rdma: BTreeMap<String, Rdma>,
    /// OPTIONAL. cgroup v2 parameters by file name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unified: BTreeMap<String, String>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

/// Block I/O limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BlockIo {
    /// OPTIONAL. Weight, 10-1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u16>,
    /// OPTIONAL. Weight of the cgroup's own tasks, 10-1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf_weight: Option<u16>,
    /// OPTIONAL. Per-device weights.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weight_device: Vec<WeightDevice>,
    /// OPTIONAL. Read bytes per second per device.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub throttle_read_bps_device: Vec<ThrottleDevice>,
    /// OPTIONAL. Write bytes per second per device.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub throttle_write_bps_device: Vec<ThrottleDevice>,
    /// OPTIONAL. Read operations per second per device.
    #[serde(rename = "throttleReadIOPSDevice", skip_serializing_if = "Vec::is_empty")]
    pub throttle_read_iops_device: Vec<ThrottleDevice>,
    /// OPTIONAL. Write operations per second per device.
    #[serde(rename = "throttleWriteIOPSDevice", skip_serializing_if = "Vec::is_empty")]
    pub throttle_write_iops_device: Vec<ThrottleDevice>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(BlockIo, "BlockIo", {
    weight: "weight";
    leaf_weight: "leafWeight";
    weight_device: "weightDevice";
    throttle_read_bps_device: "throttleReadBpsDevice";
    throttle_write_bps_device: "throttleWriteBpsDevice";
    throttle_read_iops_device: "throttleReadIOPSDevice";
    throttle_write_iops_device: "throttleWriteIOPSDevice";
});

/// A per-device block I/O weight.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WeightDevice {
    /// REQUIRED. Major number.
    pub major: i64,
    /// REQUIRED. Minor number.
    pub minor: i64,
    /// OPTIONAL. Weight, 10-1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u16>,
    /// OPTIONAL. Leaf weight, 10-1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf_weight: Option<u16>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(WeightDevice, "WeightDevice", {
    major: "major" required;
    minor: "minor" required;
    weight: "weight";
    leaf_weight: "leafWeight";
});

/// A per-device block I/O rate limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct ThrottleDevice {
    /// REQUIRED. Major number.
    pub major: i64,
    /// REQUIRED. Minor number.
    pub minor: i64,
    /// REQUIRED. The rate.
    pub rate: u64,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(ThrottleDevice, "ThrottleDevice", {
    major: "major" required;
    minor: "minor" required;
    rate: "rate" required;
});

/// Network class and interface priorities.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Network {
    /// OPTIONAL. Class identifier of the container's packets.
    #[serde(rename = "classID", skip_serializing_if = "Option::is_none")]
    pub class_id: Option<u32>,
    /// OPTIONAL. Priority per interface.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub priorities: Vec<InterfacePriority>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Network, "Network", {
    class_id: "classID";
    priorities: "priorities";
});

/// A network interface's priority.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct InterfacePriority {
    /// REQUIRED. The interface.
    pub name: String,
    /// REQUIRED. Its priority.
    pub priority: u32,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(InterfacePriority, "InterfacePriority", {
    name: "name" required;
    priority: "priority" required;
});

oci_json::deserialize_object!(Resources, "Resources", {
    devices: "devices";
    memory: "memory";
    cpu: "cpu";
    block_io: "blockIO";
    hugepage_limits: "hugepageLimits";
    network: "network";
    pids: "pids";
    rdma: "rdma";
    unified: "unified";
});

/// A device cgroup rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct DeviceCgroup {
    /// REQUIRED. Allow or deny.
    pub allow: bool,
    /// OPTIONAL. `a`, `c` or `b`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// OPTIONAL. Major number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub major: Option<i64>,
    /// OPTIONAL. Minor number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minor: Option<i64>,
    /// OPTIONAL. `r`, `w`, `m` combined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(DeviceCgroup, "DeviceCgroup", {
    allow: "allow" required;
    typ: "type";
    major: "major";
    minor: "minor";
    access: "access";
});

/// Memory limits (bytes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Memory {
    /// OPTIONAL. Limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// OPTIONAL. Soft limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation: Option<i64>,
    /// OPTIONAL. Memory plus swap limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swap: Option<i64>,
    /// DEPRECATED. Kernel memory limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<i64>,
    /// DEPRECATED. Kernel TCP buffer limit.
    #[serde(rename = "kernelTCP", skip_serializing_if = "Option::is_none")]
    pub kernel_tcp: Option<i64>,
    /// OPTIONAL. Swappiness, 0-100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swappiness: Option<u64>,
    /// OPTIONAL. Disable the OOM killer.
    #[serde(rename = "disableOOMKiller", skip_serializing_if = "Option::is_none")]
    pub disable_oom_killer: Option<bool>,
    /// OPTIONAL. Hierarchical accounting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_hierarchy: Option<bool>,
    /// OPTIONAL. Refuse a limit below current usage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_before_update: Option<bool>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Memory, "Memory", {
    limit: "limit";
    reservation: "reservation";
    swap: "swap";
    kernel: "kernel";
    kernel_tcp: "kernelTCP";
    swappiness: "swappiness";
    disable_oom_killer: "disableOOMKiller";
    use_hierarchy: "useHierarchy";
    check_before_update: "checkBeforeUpdate";
});

/// CPU limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Cpu {
    /// OPTIONAL. Relative share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares: Option<u64>,
    /// OPTIONAL. CFS quota (µs per period).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<i64>,
    /// OPTIONAL. CFS burst (µs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<u64>,
    /// OPTIONAL. CFS period (µs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<u64>,
    /// OPTIONAL. Realtime runtime (µs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realtime_runtime: Option<i64>,
    /// OPTIONAL. Realtime period (µs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realtime_period: Option<u64>,
    /// OPTIONAL. CPUs (`0-3,7`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<String>,
    /// OPTIONAL. Memory nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mems: Option<String>,
    /// OPTIONAL. `SCHED_IDLE` for the cgroup.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle: Option<i64>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Cpu, "Cpu", {
    shares: "shares";
    quota: "quota";
    burst: "burst";
    period: "period";
    realtime_runtime: "realtimeRuntime";
    realtime_period: "realtimePeriod";
    cpus: "cpus";
    mems: "mems";
    idle: "idle";
});

/// A huge page limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct HugepageLimit {
    /// REQUIRED. Page size, `^[1-9][0-9]*[KMG]B$` (`2MB`, `64KB`).
    pub page_size: String,
    /// REQUIRED. Limit in bytes.
    pub limit: u64,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(HugepageLimit, "HugepageLimit", {
    page_size: "pageSize" required;
    limit: "limit" required;
});

/// Process count limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Pids {
    /// OPTIONAL. Maximum tasks (`-1` or absent: no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Pids, "Pids", {
    limit: "limit";
});

/// RDMA limits of one device.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Rdma {
    /// OPTIONAL. Maximum HCA handles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hca_handles: Option<u32>,
    /// OPTIONAL. Maximum HCA objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hca_objects: Option<u32>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Rdma, "Rdma", {
    hca_handles: "hcaHandles";
    hca_objects: "hcaObjects";
});

/// Intel Resource Director Technology.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IntelRdt {
    /// OPTIONAL. The CLOS identity.
    #[serde(rename = "closID", skip_serializing_if = "Option::is_none")]
    pub clos_id: Option<String>,
    /// OPTIONAL. The whole schemata.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schemata: Vec<String>,
    /// OPTIONAL. L3 cache schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l3_cache_schema: Option<String>,
    /// OPTIONAL. Memory bandwidth schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_bw_schema: Option<String>,
    /// OPTIONAL. Enable monitoring.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_monitoring: Option<bool>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(IntelRdt, "IntelRdt", {
    clos_id: "closID";
    schemata: "schemata";
    l3_cache_schema: "l3CacheSchema";
    mem_bw_schema: "memBwSchema";
    enable_monitoring: "enableMonitoring";
});

/// NUMA memory policy (`set_mempolicy`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct MemoryPolicy {
    /// REQUIRED. `MPOL_...`.
    pub mode: String,
    /// OPTIONAL. Nodes (`0-3,7`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<String>,
    /// OPTIONAL. `MPOL_F_...` flags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(MemoryPolicy, "MemoryPolicy", {
    mode: "mode" required;
    nodes: "nodes";
    flags: "flags";
});

/// A seccomp filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Seccomp {
    /// REQUIRED. Action when no rule matches (`SCMP_ACT_...`, open set).
    pub default_action: String,
    /// OPTIONAL. errno for `SCMP_ACT_ERRNO` default actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_errno_ret: Option<u32>,
    /// OPTIONAL. `SCMP_ARCH_...` (open set).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<String>,
    /// OPTIONAL. `SECCOMP_FILTER_FLAG_...`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// OPTIONAL. Unix socket of a seccomp agent (`SCMP_ACT_NOTIFY`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listener_path: Option<String>,
    /// OPTIONAL. Opaque data passed to the agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listener_metadata: Option<String>,
    /// OPTIONAL. Rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub syscalls: Vec<Syscall>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Seccomp, "Seccomp", {
    default_action: "defaultAction" required;
    default_errno_ret: "defaultErrnoRet";
    architectures: "architectures";
    flags: "flags";
    listener_path: "listenerPath";
    listener_metadata: "listenerMetadata";
    syscalls: "syscalls";
});

/// A seccomp rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Syscall {
    /// REQUIRED. Syscall names (at least one).
    pub names: Vec<String>,
    /// REQUIRED. Action (`SCMP_ACT_...`).
    pub action: String,
    /// OPTIONAL. errno for `SCMP_ACT_ERRNO`/`SCMP_ACT_TRACE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errno_ret: Option<u32>,
    /// OPTIONAL. Argument conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<SyscallArg>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Syscall, "Syscall", {
    names: "names" required;
    action: "action" required;
    errno_ret: "errnoRet";
    args: "args";
});

/// A seccomp argument condition.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SyscallArg {
    /// REQUIRED. Argument index.
    pub index: u32,
    /// REQUIRED. Value.
    pub value: u64,
    /// OPTIONAL. Second value (`SCMP_CMP_MASKED_EQ`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_two: Option<u64>,
    /// REQUIRED. `SCMP_CMP_...`.
    pub op: String,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(SyscallArg, "SyscallArg", {
    index: "index" required;
    value: "value" required;
    value_two: "valueTwo";
    op: "op" required;
});

/// Execution domain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Personality {
    /// REQUIRED. `LINUX` or `LINUX32`.
    pub domain: String,
    /// OPTIONAL. Flags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Personality, "Personality", {
    domain: "domain" required;
    flags: "flags";
});

const DEFAULT_CAPS: [&str; 3] = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

fn caps() -> Option<Vec<String>> {
    Some(DEFAULT_CAPS.iter().map(|&c| c.to_owned()).collect())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|&s| s.to_owned()).collect()
}

impl Default for Spec {
    /// The configuration `runc spec` writes, with `ociVersion` [`crate::VERSION`].
    fn default() -> Self {
        let process = Process {
            terminal: Some(true),
            user: Some(User { uid: Some(0), gid: Some(0), ..User::default() }),
            args: strings(&["sh"]),
            env: strings(&[
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "TERM=xterm",
            ]),
            cwd: "/".to_owned(),
            capabilities: Some(Capabilities {
                bounding: caps(),
                effective: caps(),
                permitted: caps(),
                ambient: caps(),
                ..Capabilities::default()
            }),
            rlimits: vec![Rlimit::new("RLIMIT_NOFILE", 1024, 1024)],
            no_new_privileges: Some(true),
            ..Process::default()
        };
        let linux = Linux {
            resources: Some(Resources {
                devices: vec![DeviceCgroup {
                    allow: false,
                    access: Some("rwm".to_owned()),
                    ..DeviceCgroup::default()
                }],
                ..Resources::default()
            }),
            namespaces: ["pid", "network", "ipc", "uts", "mount"]
                .iter()
                .map(|t| Namespace::new(t))
                .collect(),
            masked_paths: strings(&[
                "/proc/acpi",
                "/proc/asound",
                "/proc/kcore",
                "/proc/keys",
                "/proc/latency_stats",
                "/proc/timer_list",
                "/proc/timer_stats",
                "/proc/sched_debug",
                "/sys/firmware",
                "/proc/scsi",
            ]),
            readonly_paths: strings(&[
                "/proc/bus",
                "/proc/fs",
                "/proc/irq",
                "/proc/sys",
                "/proc/sysrq-trigger",
            ]),
            ..Linux::default()
        };
        Self {
            oci_version: crate::VERSION.to_owned(),
            root: Some(Root {
                path: "rootfs".to_owned(),
                readonly: Some(true),
                extra: Extra::new(),
            }),
            mounts: vec![
                Mount::new("/proc", "proc", "proc", &[]),
                Mount::new(
                    "/dev",
                    "tmpfs",
                    "tmpfs",
                    &["nosuid", "strictatime", "mode=755", "size=65536k"],
                ),
                Mount::new(
                    "/dev/pts",
                    "devpts",
                    "devpts",
                    &["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
                ),
                Mount::new(
                    "/dev/shm",
                    "tmpfs",
                    "shm",
                    &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
                ),
                Mount::new("/dev/mqueue", "mqueue", "mqueue", &["nosuid", "noexec", "nodev"]),
                Mount::new("/sys", "sysfs", "sysfs", &["nosuid", "noexec", "nodev", "ro"]),
                Mount::new(
                    "/sys/fs/cgroup",
                    "cgroup",
                    "cgroup",
                    &["nosuid", "noexec", "nodev", "relatime", "ro"],
                ),
            ],
            process: Some(process),
            hostname: Some("runc".to_owned()),
            domainname: None,
            hooks: None,
            annotations: BTreeMap::new(),
            linux: Some(linux),
            solaris: None,
            windows: None,
            vm: None,
            zos: None,
            freebsd: None,
            extra: Extra::new(),
        }
    }
}

impl Spec {
    /// The configuration `runc spec --rootless` writes for the calling user: a user
    /// namespace mapping root in the container to this process's effective user and group
    /// (read from the owner of `/proc/self`; 0 where that cannot be read), no network
    /// namespace, `/sys` bind-mounted, no device cgroup rules, no `gid=5` on `/dev/pts`.
    pub fn rootless() -> Self {
        let (uid, gid) = current_ids();
        Self::rootless_for(uid, gid)
    }

    /// [`Spec::rootless`] for the host user `uid`:`gid`.
    pub fn rootless_for(uid: u32, gid: u32) -> Self {
        let mut spec = Self::default();
        for m in &mut spec.mounts {
            if m.destination == "/dev/pts" {
                m.options.retain(|o| o != "gid=5");
            }
            if m.destination == "/sys" {
                *m = Mount::new(
                    "/sys",
                    "none",
                    "/sys",
                    &["rbind", "nosuid", "noexec", "nodev", "ro"],
                );
            }
        }
        if let Some(linux) = &mut spec.linux {
            linux.resources = None;
            linux.namespaces.retain(|n| n.typ != "network");
            linux.namespaces.push(Namespace::new("user"));
            linux.uid_mappings = vec![IdMapping::new(0, uid, 1)];
            linux.gid_mappings = vec![IdMapping::new(0, gid, 1)];
        }
        spec
    }
}

#[cfg(unix)]
fn current_ids() -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map_or((0, 0), |m| (m.uid(), m.gid()))
}

#[cfg(not(unix))]
fn current_ids() -> (u32, u32) {
    (0, 0)
}
