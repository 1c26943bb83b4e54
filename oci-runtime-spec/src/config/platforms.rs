//! The non-Linux platform sections of `config.json`: runtime-spec `config-windows.md`,
//! `config-solaris.md`, `config-vm.md`, `config-zos.md`, `config-freebsd.md`.
//!
//! The top-level fields of each are typed; deeper objects are kept as JSON values (and
//! unknown fields in `extra`), so nothing is lost on a round trip.

use serde::Serialize;
use serde_json::Value;

use crate::config::{Extra, Namespace};

/// Windows-specific configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Windows {
    /// REQUIRED. Layer folders, base last.
    pub layer_folders: Vec<String>,
    /// OPTIONAL. Devices.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<WindowsDevice>,
    /// OPTIONAL. Memory, CPU and storage limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<WindowsResources>,
    /// OPTIONAL. Network configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<WindowsNetwork>,
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
    pub hyperv: Option<HyperV>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Windows, "Windows", {
    layer_folders: "layerFolders";
    devices: "devices";
    resources: "resources";
    network: "network";
    credential_spec: "credentialSpec";
    servicing: "servicing";
    ignore_flushes_during_boot: "ignoreFlushesDuringBoot";
    hyperv: "hyperv";
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
    pub capped_cpu: Option<CappedCpu>,
    /// OPTIONAL. Memory cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped_memory: Option<CappedMemory>,
    /// OPTIONAL. Automatic networks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub anet: Vec<Anet>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Solaris, "Solaris", {
    milestone: "milestone";
    limitpriv: "limitpriv";
    max_shm_memory: "maxShmMemory";
    capped_cpu: "cappedCPU";
    capped_memory: "cappedMemory";
    anet: "anet";
});

/// Configuration of virtual-machine-based containers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Vm {
    /// OPTIONAL. The hypervisor (`path`, `parameters`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hypervisor: Option<VmHypervisor>,
    /// REQUIRED. The kernel to boot.
    pub kernel: VmKernel,
    /// OPTIONAL. The root image (`path`, `format`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<VmImage>,
    /// OPTIONAL. Hardware configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hw_config: Option<VmHwConfig>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Vm, "Vm", {
    hypervisor: "hypervisor";
    kernel: "kernel" required;
    image: "image";
    hw_config: "hwConfig";
});

/// The kernel of a VM container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct VmKernel {
    /// REQUIRED. Path to the kernel.
    pub path: String,
    /// OPTIONAL. Kernel command line parameters.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<String>,
    /// OPTIONAL. Path to an initial ramdisk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initrd: Option<String>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(VmKernel, "VmKernel", {
    path: "path" required;
    parameters: "parameters";
    initrd: "initrd";
});

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

oci_json::deserialize_object!(Zos, "Zos", {
    namespaces: "namespaces";
});

/// FreeBSD-specific configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct FreeBsd {
    /// OPTIONAL. Devices (devfs rules).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<FreeBsdDevice>,
    /// OPTIONAL. Jail parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jail: Option<Jail>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(FreeBsd, "FreeBsd", {
    devices: "devices";
    jail: "jail";
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
    /// OPTIONAL. `disable`, `new` or `inherit`: IPv4.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip4: Option<String>,
    /// OPTIONAL. IPv4 addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ip4_addr: Vec<String>,
    /// OPTIONAL. `disable`, `new` or `inherit`: IPv6.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip6: Option<String>,
    /// OPTIONAL. IPv6 addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ip6_addr: Vec<String>,
    /// OPTIONAL. `new` or `inherit`: the virtual network stack.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vnet: Option<String>,
    /// OPTIONAL. Network interface for the jail's addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// OPTIONAL. Interfaces moved into the jail's vnet.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vnet_interfaces: Vec<String>,
    /// OPTIONAL. `disable`, `new` or `inherit`: System V message queues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sysvmsg: Option<String>,
    /// OPTIONAL. `disable`, `new` or `inherit`: System V semaphores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sysvsem: Option<String>,
    /// OPTIONAL. `disable`, `new` or `inherit`: System V shared memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sysvshm: Option<String>,
    /// OPTIONAL. Which mounts statfs reports, 0-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforce_statfs: Option<u8>,
    /// OPTIONAL. What the jail is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow: Option<JailAllow>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Jail, "a jail", {
    parent: "parent";
    host: "host";
    ip4: "ip4";
    ip4_addr: "ip4Addr";
    ip6: "ip6";
    ip6_addr: "ip6Addr";
    vnet: "vnet";
    interface: "interface";
    vnet_interfaces: "vnetInterfaces";
    sysvmsg: "sysvmsg";
    sysvsem: "sysvsem";
    sysvshm: "sysvshm";
    enforce_statfs: "enforceStatfs";
    allow: "allow";
});

/// A device of a Windows container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WindowsDevice {
    /// REQUIRED. Device identifier (a class GUID or path).
    pub id: String,
    /// REQUIRED. How `id` is to be read (`class`).
    pub id_type: String,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(WindowsDevice, "WindowsDevice", {
    id: "id" required;
    id_type: "idType" required;
});

/// Windows resource limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WindowsResources {
    /// OPTIONAL. Memory limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<WindowsMemory>,
    /// OPTIONAL. CPU limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<WindowsCpu>,
    /// OPTIONAL. Storage limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<WindowsStorage>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(WindowsResources, "WindowsResources", {
    memory: "memory";
    cpu: "cpu";
    storage: "storage";
});

/// Windows memory limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WindowsMemory {
    /// OPTIONAL. Bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(WindowsMemory, "WindowsMemory", {
    limit: "limit";
});

/// Windows CPU limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WindowsCpu {
    /// OPTIONAL. Number of CPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// OPTIONAL. Relative weight, 0-10000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares: Option<u16>,
    /// OPTIONAL. Percentage of CPU cycles x 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum: Option<u16>,
    /// OPTIONAL. Processor affinity per group.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub affinity: Vec<WindowsCpuAffinity>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(WindowsCpu, "WindowsCpu", {
    count: "count";
    shares: "shares";
    maximum: "maximum";
    affinity: "affinity";
});

/// A processor group affinity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WindowsCpuAffinity {
    /// REQUIRED. Processor mask.
    pub mask: u64,
    /// REQUIRED. Processor group.
    pub group: u32,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(WindowsCpuAffinity, "WindowsCpuAffinity", {
    mask: "mask" required;
    group: "group" required;
});

/// Windows storage limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WindowsStorage {
    /// OPTIONAL. Maximum IO operations per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iops: Option<u64>,
    /// OPTIONAL. Maximum bytes per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bps: Option<u64>,
    /// OPTIONAL. Minimum sandbox size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox_size: Option<u64>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(WindowsStorage, "WindowsStorage", {
    iops: "iops";
    bps: "bps";
    sandbox_size: "sandboxSize";
});

/// Windows network configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WindowsNetwork {
    /// OPTIONAL. HNS endpoint IDs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoint_list: Vec<String>,
    /// OPTIONAL. Allow unqualified DNS names.
    #[serde(skip_serializing_if = "Option::is_none", rename = "allowUnqualifiedDNSQuery")]
    pub allow_unqualified_dns_query: Option<bool>,
    /// OPTIONAL. DNS search suffixes.
    #[serde(skip_serializing_if = "Vec::is_empty", rename = "DNSSearchList")]
    pub dns_search_list: Vec<String>,
    /// OPTIONAL. Container whose network stack to share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_shared_container_name: Option<String>,
    /// OPTIONAL. Network namespace to join.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_namespace: Option<String>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(WindowsNetwork, "WindowsNetwork", {
    endpoint_list: "endpointList";
    allow_unqualified_dns_query: "allowUnqualifiedDNSQuery";
    dns_search_list: "DNSSearchList";
    network_shared_container_name: "networkSharedContainerName";
    network_namespace: "networkNamespace";
});

/// Hyper-V isolation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct HyperV {
    /// OPTIONAL. Path to the utility VM image.
    #[serde(skip_serializing_if = "Option::is_none", rename = "utilityVMPath")]
    pub utility_vm_path: Option<String>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(HyperV, "HyperV", {
    utility_vm_path: "utilityVMPath";
});

/// A Solaris CPU cap.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct CappedCpu {
    /// OPTIONAL. Number of CPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ncpus: Option<String>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(CappedCpu, "CappedCpu", {
    ncpus: "ncpus";
});

/// A Solaris memory cap.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct CappedMemory {
    /// OPTIONAL. Physical memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical: Option<String>,
    /// OPTIONAL. Swap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swap: Option<String>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(CappedMemory, "CappedMemory", {
    physical: "physical";
    swap: "swap";
});

/// A Solaris automatic network.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Anet {
    /// OPTIONAL. Link name.
    #[serde(skip_serializing_if = "Option::is_none", rename = "linkname")]
    pub linkname: Option<String>,
    /// OPTIONAL. Lower link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lower_link: Option<String>,
    /// OPTIONAL. Allowed IP addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_address: Option<String>,
    /// OPTIONAL. Whether to configure them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configure_allowed_address: Option<String>,
    /// OPTIONAL. Default router.
    #[serde(skip_serializing_if = "Option::is_none", rename = "defrouter")]
    pub defrouter: Option<String>,
    /// OPTIONAL. MAC address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    /// OPTIONAL. Link protection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_protection: Option<String>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Anet, "Anet", {
    linkname: "linkname";
    lower_link: "lowerLink";
    allowed_address: "allowedAddress";
    configure_allowed_address: "configureAllowedAddress";
    defrouter: "defrouter";
    mac_address: "macAddress";
    link_protection: "linkProtection";
});

/// The hypervisor of a VM container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct VmHypervisor {
    /// REQUIRED. Path to the hypervisor.
    pub path: String,
    /// OPTIONAL. Its parameters.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<String>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(VmHypervisor, "VmHypervisor", {
    path: "path" required;
    parameters: "parameters";
});

/// The root image of a VM container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct VmImage {
    /// REQUIRED. Path to the image.
    pub path: String,
    /// REQUIRED. `raw`, `qcow2`, `vdi`, `vmdk` or `vhd`.
    pub format: String,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(VmImage, "VmImage", {
    path: "path" required;
    format: "format" required;
});

/// Hardware of a VM container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct VmHwConfig {
    /// OPTIONAL. Device tree file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_tree: Option<String>,
    /// OPTIONAL. Virtual CPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vcpus: Option<u32>,
    /// OPTIONAL. Memory in MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u64>,
    /// OPTIONAL. Device tree nodes to pass through.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dtdevs: Vec<String>,
    /// OPTIONAL. IO memory to map.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub iomems: Vec<VmIoMem>,
    /// OPTIONAL. Interrupts to pass through.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub irqs: Vec<u32>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(VmHwConfig, "VmHwConfig", {
    device_tree: "deviceTree";
    vcpus: "vcpus";
    memory: "memory";
    dtdevs: "dtdevs";
    iomems: "iomems";
    irqs: "irqs";
});

/// An IO memory range of a VM.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct VmIoMem {
    /// REQUIRED. First guest frame.
    #[serde(rename = "firstGFN")]
    pub first_gfn: u64,
    /// REQUIRED. First machine frame.
    #[serde(rename = "firstMFN")]
    pub first_mfn: u64,
    /// REQUIRED. Number of frames.
    #[serde(rename = "nrMFNs")]
    pub nr_mfns: u64,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(VmIoMem, "VmIoMem", {
    first_gfn: "firstGFN" required;
    first_mfn: "firstMFN" required;
    nr_mfns: "nrMFNs" required;
});

/// A FreeBSD device made visible in the jail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FreeBsdDevice {
    /// REQUIRED. Device path (devfs rule pattern).
    pub path: String,
    /// OPTIONAL. File mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(FreeBsdDevice, "FreeBsdDevice", {
    path: "path" required;
    mode: "mode";
});

/// What a FreeBSD jail is allowed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JailAllow {
    /// OPTIONAL. Set its host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_hostname: Option<bool>,
    /// OPTIONAL. Raw sockets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_sockets: Option<bool>,
    /// OPTIONAL. Change file flags.
    #[serde(skip_serializing_if = "Option::is_none", rename = "chflags")]
    pub chflags: Option<bool>,
    /// OPTIONAL. File system types it may mount.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mount: Vec<String>,
    /// OPTIONAL. Manage quotas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quotas: Option<bool>,
    /// OPTIONAL. Other socket families.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket_af: Option<bool>,
    /// OPTIONAL. Lock memory.
    #[serde(skip_serializing_if = "Option::is_none", rename = "mlock")]
    pub mlock: Option<bool>,
    /// OPTIONAL. Bind reserved ports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved_ports: Option<bool>,
    /// OPTIONAL. Act as super-user.
    #[serde(skip_serializing_if = "Option::is_none", rename = "suser")]
    pub suser: Option<bool>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(JailAllow, "JailAllow", {
    set_hostname: "setHostname";
    raw_sockets: "rawSockets";
    chflags: "chflags";
    mount: "mount";
    quotas: "quotas";
    socket_af: "socketAf";
    mlock: "mlock";
    reserved_ports: "reservedPorts";
    suser: "suser";
});

impl Windows {
    /// Windows configuration with `layer_folders` (topmost first, the scratch last).
    pub fn new(layer_folders: Vec<String>) -> Self {
        Self { layer_folders, ..Self::default() }
    }
}

impl WindowsDevice {
    /// The device `id`, read as `id_type` (`class`).
    pub fn new(id: impl Into<String>, id_type: impl Into<String>) -> Self {
        Self { id: id.into(), id_type: id_type.into(), extra: Extra::new() }
    }
}

impl WindowsCpuAffinity {
    /// The CPU `mask` within processor `group`.
    pub fn new(mask: u64, group: u32) -> Self {
        Self { mask, group, extra: Extra::new() }
    }
}

impl Vm {
    /// A VM container booting `kernel`.
    pub fn new(kernel: VmKernel) -> Self {
        Self { kernel, ..Self::default() }
    }
}

impl VmKernel {
    /// The kernel at the absolute `path`, with no parameters or initrd.
    pub fn new(path: impl Into<String>) -> Self {
        Self { path: path.into(), ..Self::default() }
    }
}

impl VmHypervisor {
    /// The hypervisor at the absolute `path`, with no parameters.
    pub fn new(path: impl Into<String>) -> Self {
        Self { path: path.into(), ..Self::default() }
    }
}

impl VmImage {
    /// The root image at the absolute `path`, of `format` (`raw`, `qcow2`, ...).
    pub fn new(path: impl Into<String>, format: impl Into<String>) -> Self {
        Self { path: path.into(), format: format.into(), extra: Extra::new() }
    }
}

impl VmIoMem {
    /// `nr_mfns` machine frames from `first_mfn` mapped at guest frame `first_gfn`.
    pub fn new(first_gfn: u64, first_mfn: u64, nr_mfns: u64) -> Self {
        Self { first_gfn, first_mfn, nr_mfns, extra: Extra::new() }
    }
}

impl FreeBsdDevice {
    /// The device `path` (relative to `/dev`), with the default mode.
    pub fn new(path: impl Into<String>) -> Self {
        Self { path: path.into(), ..Self::default() }
    }
}
