//! The runtime configuration (`config.json`), runtime-spec
//! [`config.md`](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/config.md) and
//! [`config-linux.md`](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/config-linux.md).
//!
//! Every struct keeps the members this crate does not know in `extra`, so a round trip
//! loses nothing. One module per part of the spec: [`process`], [`mounts`], [`hooks`],
//! [`linux`], [`resources`] and [`seccomp`] (config-linux.md), [`platforms`] (the other
//! platforms' documents, public as [`crate::platform`]), and [`defaults`] (`runc spec`).

mod defaults;
mod hooks;
mod linux;
mod mounts;
pub mod platforms;
mod process;
mod resources;
mod seccomp;

use std::collections::BTreeMap;

use serde::Serialize;

pub use hooks::{Hook, Hooks};
pub use linux::{
    Device, IntelRdt, Linux, MemoryPolicy, Namespace, NetDevice, Personality, TimeOffset,
};
pub use mounts::{IdMapping, Mount};
use platforms::{FreeBsd, Solaris, Vm, Windows, Zos};
pub use process::{
    Capabilities, ConsoleSize, ExecCpuAffinity, IoPriority, Process, Rlimit, Scheduler, User,
};
pub use resources::{
    BlockIo, Cpu, DeviceCgroup, HugepageLimit, InterfacePriority, Memory, Network, Pids, Rdma,
    Resources, ThrottleDevice, WeightDevice,
};
pub use seccomp::{Seccomp, Syscall, SyscallArg};

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

impl Root {
    /// The root file system at `path` (absolute, or relative to the bundle), read-write.
    pub fn new(path: impl Into<String>) -> Self {
        Self { path: path.into(), ..Self::default() }
    }
}
