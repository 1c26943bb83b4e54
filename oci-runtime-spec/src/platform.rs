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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Windows {
    /// REQUIRED. Layer folders, base last.
    pub layer_folders: Vec<String>,
    /// OPTIONAL. Devices (`id`, `idType`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub devices: Option<Value>,
    /// OPTIONAL. Memory, CPU and storage limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub resources: Option<Value>,
    /// OPTIONAL. Network configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub network: Option<Value>,
    /// OPTIONAL. Group Managed Service Account credential spec.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub credential_spec: Option<Value>,
    /// OPTIONAL. Whether this is a servicing container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub servicing: Option<bool>,
    /// OPTIONAL. Ignore flushes during boot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_flushes_during_boot: Option<bool>,
    /// OPTIONAL. Hyper-V isolation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub hyperv: Option<Value>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

json::deserialize_object!(Windows, "Windows", {
    layer_folders: "layerFolders" => json::NullAsEmpty<String>, |w: json::NullAsEmpty<String>| w.0, opt;
    devices: "devices" => Option<Value>, std::convert::identity, opt;
    resources: "resources" => Option<Value>, std::convert::identity, opt;
    network: "network" => Option<Value>, std::convert::identity, opt;
    credential_spec: "credentialSpec" => Option<Value>, std::convert::identity, opt;
    servicing: "servicing" => Option<bool>, std::convert::identity, opt;
    ignore_flushes_during_boot: "ignoreFlushesDuringBoot" => Option<bool>, std::convert::identity, opt;
    hyperv: "hyperv" => Option<Value>, std::convert::identity, opt;
});

/// Solaris-specific configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Solaris {
    /// OPTIONAL. SMF milestone to wait for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestone: Option<String>,
    /// OPTIONAL. Privilege limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limitpriv: Option<String>,
    /// OPTIONAL. Maximum shared memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_shm_memory: Option<String>,
    /// OPTIONAL. CPU cap.
    #[serde(rename = "cappedCPU", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub capped_cpu: Option<Value>,
    /// OPTIONAL. Memory cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub capped_memory: Option<Value>,
    /// OPTIONAL. Automatic networks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::values))]
    pub anet: Vec<Value>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

json::deserialize_object!(Solaris, "Solaris", {
    milestone: "milestone" => Option<String>, std::convert::identity, opt;
    limitpriv: "limitpriv" => Option<String>, std::convert::identity, opt;
    max_shm_memory: "maxShmMemory" => Option<String>, std::convert::identity, opt;
    capped_cpu: "cappedCPU" => Option<Value>, std::convert::identity, opt;
    capped_memory: "cappedMemory" => Option<Value>, std::convert::identity, opt;
    anet: "anet" => json::NullAsEmpty<Value>, |w: json::NullAsEmpty<Value>| w.0, opt;
});

/// Configuration of virtual-machine-based containers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Vm {
    /// OPTIONAL. The hypervisor (`path`, `parameters`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub hypervisor: Option<Value>,
    /// REQUIRED. The kernel to boot.
    pub kernel: VmKernel,
    /// OPTIONAL. The root image (`path`, `format`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub image: Option<Value>,
    /// OPTIONAL. Hardware configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::value))]
    pub hw_config: Option<Value>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

json::deserialize_object!(Vm, "Vm", {
    hypervisor: "hypervisor" => Option<Value>, std::convert::identity, opt;
    kernel: "kernel" => VmKernel, std::convert::identity, req;
    image: "image" => Option<Value>, std::convert::identity, opt;
    hw_config: "hwConfig" => Option<Value>, std::convert::identity, opt;
});

/// The kernel of a VM container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Zos {
    /// OPTIONAL. Namespaces.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<Namespace>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

json::deserialize_object!(Zos, "Zos", {
    namespaces: "namespaces" => json::NullAsEmpty<Namespace>, |w: json::NullAsEmpty<Namespace>| w.0, opt;
});

/// FreeBSD-specific configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct FreeBsd {
    /// OPTIONAL. Devices (devfs rules).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::values))]
    pub devices: Vec<Value>,
    /// OPTIONAL. Jail parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jail: Option<Jail>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

json::deserialize_object!(FreeBsd, "FreeBsd", {
    devices: "devices" => json::NullAsEmpty<Value>, |w: json::NullAsEmpty<Value>| w.0, opt;
    jail: "jail" => Option<Jail>, std::convert::identity, opt;
});

/// FreeBSD jail parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Jail {
    /// OPTIONAL. Parent jail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// OPTIONAL. `new` or `inherit`: the UTS namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// OPTIONAL. `new` or `inherit`: the virtual network stack.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vnet: Option<String>,
    /// Fields this crate does not know, kept (ip4, ip6, allow, ...).
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

json::deserialize_object!(Jail, "Jail", {
    parent: "parent" => Option<String>, std::convert::identity, opt;
    host: "host" => Option<String>, std::convert::identity, opt;
    vnet: "vnet" => Option<String>, std::convert::identity, opt;
});
