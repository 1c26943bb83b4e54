//! The non-Linux platform sections of `config.json`: runtime-spec `config-windows.md`,
//! `config-solaris.md`, `config-vm.md`, `config-zos.md`, `config-freebsd.md`.
//!
//! The top-level fields of each are typed; deeper objects are kept as JSON values (and
//! unknown fields in `extra`), so nothing is lost on a round trip.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{Extra, Namespace};
use crate::json;

/// Windows-specific configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Windows {
    /// REQUIRED. Layer folders, base last.
    #[serde(default, deserialize_with = "json::null_as_empty")]
    pub layer_folders: Vec<String>,
    /// OPTIONAL. Devices (`id`, `idType`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<Value>,
    /// OPTIONAL. Memory, CPU and storage limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Value>,
    /// OPTIONAL. Network configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Value>,
    /// OPTIONAL. Group Managed Service Account credential spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_spec: Option<Value>,
    /// OPTIONAL. Whether this is a servicing container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servicing: Option<bool>,
    /// OPTIONAL. Ignore flushes during boot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_flushes_during_boot: Option<bool>,
    /// OPTIONAL. Hyper-V isolation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hyperv: Option<Value>,
    /// Fields this crate does not know, kept.
    #[serde(flatten, deserialize_with = "json::extra")]
    pub extra: Extra,
}

/// Solaris-specific configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Solaris {
    /// OPTIONAL. SMF milestone to wait for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone: Option<String>,
    /// OPTIONAL. Privilege limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limitpriv: Option<String>,
    /// OPTIONAL. Maximum shared memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_shm_memory: Option<String>,
    /// OPTIONAL. CPU cap.
    #[serde(default, rename = "cappedCPU", skip_serializing_if = "Option::is_none")]
    pub capped_cpu: Option<Value>,
    /// OPTIONAL. Memory cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capped_memory: Option<Value>,
    /// OPTIONAL. Automatic networks.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "json::null_as_empty"
    )]
    pub anet: Vec<Value>,
    /// Fields this crate does not know, kept.
    #[serde(flatten, deserialize_with = "json::extra")]
    pub extra: Extra,
}

/// Configuration of virtual-machine-based containers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Vm {
    /// OPTIONAL. The hypervisor (`path`, `parameters`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hypervisor: Option<Value>,
    /// REQUIRED. The kernel to boot.
    pub kernel: VmKernel,
    /// OPTIONAL. The root image (`path`, `format`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Value>,
    /// OPTIONAL. Hardware configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hw_config: Option<Value>,
    /// Fields this crate does not know, kept.
    #[serde(flatten, deserialize_with = "json::extra")]
    pub extra: Extra,
}

/// The kernel of a VM container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VmKernel {
    /// REQUIRED. Path to the kernel.
    pub path: String,
    /// OPTIONAL. Kernel command line parameters.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "json::null_as_empty"
    )]
    pub parameters: Vec<String>,
    /// OPTIONAL. Path to an initial ramdisk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initrd: Option<String>,
}

/// z/OS-specific configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Zos {
    /// OPTIONAL. Namespaces.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "json::null_as_empty"
    )]
    pub namespaces: Vec<Namespace>,
    /// Fields this crate does not know, kept.
    #[serde(flatten, deserialize_with = "json::extra")]
    pub extra: Extra,
}

/// FreeBSD-specific configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FreeBsd {
    /// OPTIONAL. Devices (devfs rules).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "json::null_as_empty"
    )]
    pub devices: Vec<Value>,
    /// OPTIONAL. Jail parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jail: Option<Jail>,
    /// Fields this crate does not know, kept.
    #[serde(flatten, deserialize_with = "json::extra")]
    pub extra: Extra,
}

/// FreeBSD jail parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Jail {
    /// OPTIONAL. Parent jail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// OPTIONAL. `new` or `inherit`: the UTS namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// OPTIONAL. `new` or `inherit`: the virtual network stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vnet: Option<String>,
    /// Fields this crate does not know, kept (ip4, ip6, allow, ...).
    #[serde(flatten, deserialize_with = "json::extra")]
    pub extra: Extra,
}
