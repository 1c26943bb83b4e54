//! The `linux` section, runtime-spec
//! [`config-linux.md`](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/config-linux.md),
//! but for its control groups (`resources`) and seccomp, which have modules of their own.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{Extra, IdMapping, Resources, Seccomp};

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

impl Device {
    /// A device node of `typ` (`c`, `b`, `u` or `p`) at `path`; set `major` and `minor`
    /// unless `typ` is `p`.
    pub fn new(typ: impl Into<String>, path: impl Into<String>) -> Self {
        Self { typ: typ.into(), path: path.into(), ..Self::default() }
    }
}

impl MemoryPolicy {
    /// The NUMA memory policy `mode` (`MPOL_...`) with no nodes or flags.
    pub fn new(mode: impl Into<String>) -> Self {
        Self { mode: mode.into(), ..Self::default() }
    }
}

impl Personality {
    /// The execution domain `domain` (`LINUX` or `LINUX32`).
    pub fn new(domain: impl Into<String>) -> Self {
        Self { domain: domain.into(), ..Self::default() }
    }
}
