//! What a runtime supports, runtime-spec
//! [`features.md`](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/features.md)
//! and `features-linux.md`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::config::Extra;

/// The output of a runtime's `features` command.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Features {
    /// REQUIRED. The oldest runtime-spec version supported.
    pub oci_version_min: String,
    /// REQUIRED. The newest runtime-spec version supported.
    pub oci_version_max: String,
    /// OPTIONAL. Supported hook names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Vec<String>>,
    /// OPTIONAL. Recognised mount options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mount_options: Option<Vec<String>>,
    /// OPTIONAL. Implementation details (`io.github.seccomp.libseccomp.version`, ...).
    /// (`None` when absent or `null`, which features.md keeps apart from an empty map.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// OPTIONAL. Annotation keys (or prefixes ending in `.`) that change behaviour unsafely.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub potentially_unsafe_config_annotations: Option<Vec<String>>,
    /// OPTIONAL. Linux features.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linux: Option<LinuxFeatures>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Features, "Features", {
    oci_version_min: "ociVersionMin" required;
    oci_version_max: "ociVersionMax" required;
    hooks: "hooks";
    mount_options: "mountOptions";
    annotations: "annotations";
    potentially_unsafe_config_annotations: "potentiallyUnsafeConfigAnnotations";
    linux: "linux";
});

/// Linux features of a runtime.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LinuxFeatures {
    /// OPTIONAL. Supported namespace types.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    /// OPTIONAL. Known capabilities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
    /// OPTIONAL. cgroup support (`v1`, `v2`, `systemd`, `systemdUser`, `rdma`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub cgroup: Option<Value>,
    /// OPTIONAL. seccomp support (`enabled`, `actions`, `operators`, `archs`, flags).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub seccomp: Option<Value>,
    /// OPTIONAL. AppArmor support.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub apparmor: Option<Value>,
    /// OPTIONAL. SELinux support.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub selinux: Option<Value>,
    /// OPTIONAL. Intel RDT support.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub intel_rdt: Option<Value>,
    /// OPTIONAL. Mount extensions (`idmap`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub mount_extensions: Option<Value>,
    /// OPTIONAL. Memory policy support (`modes`, `flags`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub memory_policy: Option<Value>,
    /// OPTIONAL. Network device support (`enabled`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub net_devices: Option<Value>,
    /// Members this crate does not know, kept (a valid Features document has none).
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(LinuxFeatures, "LinuxFeatures", {
    namespaces: "namespaces";
    capabilities: "capabilities";
    cgroup: "cgroup";
    seccomp: "seccomp";
    apparmor: "apparmor";
    selinux: "selinux";
    intel_rdt: "intelRdt";
    mount_extensions: "mountExtensions";
    memory_policy: "memoryPolicy";
    net_devices: "netDevices";
});

impl Features {
    /// A runtime's features, recognising runtime-spec versions `min` to `max`.
    pub fn new(min: impl Into<String>, max: impl Into<String>) -> Self {
        Self { oci_version_min: min.into(), oci_version_max: max.into(), ..Self::default() }
    }
}
