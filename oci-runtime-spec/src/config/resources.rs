//! Control group limits (`linux.resources`), runtime-spec
//! [`config-linux.md` § Control groups](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/config-linux.md#control-groups).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Extra;

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

impl DeviceCgroup {
    /// A rule allowing (or denying) access to every device; narrow it with the fields.
    pub fn new(allow: bool) -> Self {
        Self { allow, ..Self::default() }
    }
}

impl HugepageLimit {
    /// A limit of `limit` bytes of huge pages of `page_size` (`2MB`, `1GB`).
    pub fn new(page_size: impl Into<String>, limit: u64) -> Self {
        Self { page_size: page_size.into(), limit, extra: Extra::new() }
    }
}

impl WeightDevice {
    /// A weight entry for device `major`:`minor`; set `weight` or `leaf_weight`.
    pub fn new(major: i64, minor: i64) -> Self {
        Self { major, minor, ..Self::default() }
    }
}

impl ThrottleDevice {
    /// A rate limit of `rate` for device `major`:`minor`.
    pub fn new(major: i64, minor: i64, rate: u64) -> Self {
        Self { major, minor, rate, extra: Extra::new() }
    }
}

impl InterfacePriority {
    /// The priority `priority` for the interface `name`.
    pub fn new(name: impl Into<String>, priority: u32) -> Self {
        Self { name: name.into(), priority, extra: Extra::new() }
    }
}
