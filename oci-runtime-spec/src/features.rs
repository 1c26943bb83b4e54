//! What a runtime supports, runtime-spec
//! [`features.md`](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/features.md)
//! and `features-linux.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Extra;
use crate::json;

/// The output of a runtime's `features` command.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Features {
    /// REQUIRED. The oldest runtime-spec version supported.
    pub oci_version_min: String,
    /// REQUIRED. The newest runtime-spec version supported.
    pub oci_version_max: String,
    /// OPTIONAL. Supported hook names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Vec<String>>,
    /// OPTIONAL. Recognised mount options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_options: Option<Vec<String>>,
    /// OPTIONAL. Implementation details (`io.github.seccomp.libseccomp.version`, ...).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "json::strict_map"
    )]
    pub annotations: BTreeMap<String, String>,
    /// OPTIONAL. Annotation keys (or prefixes ending in `.`) that change behaviour unsafely.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub potentially_unsafe_config_annotations: Option<Vec<String>>,
    /// OPTIONAL. Linux features.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux: Option<LinuxFeatures>,
    /// Fields this crate does not know, kept.
    #[serde(flatten, deserialize_with = "json::extra")]
    pub extra: Extra,
}

/// Linux features of a runtime.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LinuxFeatures {
    /// OPTIONAL. Supported namespace types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    /// OPTIONAL. Known capabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
    /// OPTIONAL. cgroup support (`v1`, `v2`, `systemd`, `systemdUser`, `rdma`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<Value>,
    /// OPTIONAL. seccomp support (`enabled`, `actions`, `operators`, `archs`, flags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seccomp: Option<Value>,
    /// OPTIONAL. AppArmor support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apparmor: Option<Value>,
    /// OPTIONAL. SELinux support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selinux: Option<Value>,
    /// OPTIONAL. Intel RDT support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intel_rdt: Option<Value>,
    /// OPTIONAL. Mount extensions (`idmap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_extensions: Option<Value>,
    /// Fields this crate does not know, kept (`netDevices`, `memoryPolicy`, ...).
    #[serde(flatten, deserialize_with = "json::extra")]
    pub extra: Extra,
}
