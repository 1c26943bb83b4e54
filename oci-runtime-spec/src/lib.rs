//! Typed, validated and lossless documents of the
//! [OCI runtime-spec](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/spec.md):
//! the bundle's `config.json` ([`Spec`]), a container's [`State`] with its lifecycle, and
//! a runtime's [`Features`].
//!
//! - **Lenient parsing, strict validation.** Values that arrive over the wire as open sets
//!   (capabilities, namespace types, seccomp actions and architectures, mount options)
//!   parse whatever they hold, so a new kernel capability never breaks a runtime; each
//!   document's `validate()` reports every broken MUST, and unknown values, with its JSON
//!   path.
//! - **Lossless.** Every object of every document keeps the members this version does
//!   not know in its `extra` map, so a tool that edits one field of a config.json keeps
//!   what a newer spec or a runtime's extension put there; duplicate JSON keys are an
//!   error at any depth (CVE-2014-8179); maps serialise sorted. The rules are those of the
//!   shared `oci-json` crate, which `oci-image` reads its documents with too.
//! - **Every requirement listed.** `REQUIREMENTS.md`, beside this crate's sources, has a
//!   row for each MUST and REQUIRED of the spec: what `validate()` or parsing checks, or why
//!   a document cannot show it. Nothing is checked more strictly than the spec says.
//! - **Defaults that match runc.** [`Spec::default`] is `runc spec` and
//!   [`Spec::rootless`] `runc spec --rootless`, but for `ociVersion`, which is [`VERSION`].
//!
//! This crate holds data and rules only: it runs no container (that is a runtime's job)
//! and reads no bundle from disk.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), serde_json::Error> {
//! use oci_runtime_spec::{Mount, Spec};
//!
//! // A container running `echo ok` with a read-only bind mount.
//! let mut spec = Spec::default();
//! if let Some(process) = &mut spec.process {
//!     process.args = vec!["/bin/sh".into(), "-c".into(), "echo ok".into()];
//!     process.terminal = Some(false);
//! }
//! spec.mounts.push(Mount::new("/data", "bind", "/srv/data", &["rbind", "ro"]));
//! assert!(spec.validate().is_empty());
//!
//! let json = serde_json::to_string_pretty(&spec)?;
//! let back: Spec = serde_json::from_str(&json)?;
//! assert_eq!(back, spec);
//!
//! // Hook paths must be absolute (config.md § POSIX-platform Hooks).
//! let mut hooks = oci_runtime_spec::Hooks::default();
//! hooks.poststop.push(oci_runtime_spec::Hook::new("cleanup.sh"));
//! spec.hooks = Some(hooks);
//! assert_eq!(spec.validate()[0].path, "$.hooks.poststop[0].path");
//! # Ok(()) }
//! ```
//!
//! # Types
//!
//! | type | spec |
//! | --- | --- |
//! | [`Spec`], [`Process`], [`Root`], [`Mount`], [`Hooks`], [`Linux`] and its parts | config.md, config-linux.md |
//! | [`platform`] | config-windows.md, config-solaris.md, config-vm.md, config-zos.md, config-freebsd.md |
//! | [`State`], [`Status`], [`Operation`] | runtime.md (state and lifecycle) |
//! | [`Features`] | features.md, features-linux.md |
//! | [`Violation`] | what `validate()` reports |
//!
//! # Features
//!
//! - `arbitrary`: implements [`arbitrary::Arbitrary`](https://docs.rs/arbitrary) for every
//!   document type, for structure-aware fuzzing of runtimes and policy checkers.
//!
//! # Parsing
//!
//! Use [`from_slice`], which checks UTF-8 once for the whole document and is faster than
//! `serde_json::from_slice`; both reject duplicate keys, since the types themselves do.
//! [`to_vec`] and [`to_writer`] write compact JSON, so no direct `serde_json` dependency
//! is needed. A missing required member or a value of the wrong JSON type is a parse error;
//! every other broken requirement is a [`Violation`] of `validate()`.

#![forbid(unsafe_code)]

#[cfg(feature = "arbitrary")]
mod arb;
mod config;
mod features;
mod state;
mod validate;

pub use config::platforms as platform;
pub use config::{
    BlockIo, Capabilities, ConsoleSize, Cpu, Device, DeviceCgroup, ExecCpuAffinity, Extra, Hook,
    Hooks, HugepageLimit, IdMapping, IntelRdt, InterfacePriority, IoPriority, Linux, Memory,
    MemoryPolicy, Mount, Namespace, NetDevice, Network, Personality, Pids, Process, Rdma,
    Resources, Rlimit, Root, Scheduler, Seccomp, Spec, Syscall, SyscallArg, ThrottleDevice,
    TimeOffset, User, WeightDevice,
};
pub use features::{Features, LinuxFeatures};
pub use state::{IllegalTransition, Operation, State, Status};
pub use validate::{KNOWN_CAPABILITIES, Violation};

/// The runtime-spec version this crate implements, written as `ociVersion` by
/// [`Spec::default`].
pub const VERSION: &str = "1.2.1";

/// Parses a document from JSON bytes; duplicate keys anywhere are an error.
///
/// The bytes are checked to be UTF-8 once, up front, rather than string by string (which
/// is faster); input that is not UTF-8 gets `serde_json`'s own error.
///
/// # Errors
/// A [`serde_json::Error`] with the line and column of the first problem.
pub fn from_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    oci_json::from_slice(bytes)
}

/// Serialises a document to compact JSON (maps sorted, no whitespace).
///
/// # Errors
/// Only if a value cannot be represented in JSON, which no type of this crate does.
pub fn to_vec<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    oci_json::to_vec(value)
}

/// Serialises a document to compact JSON into `writer`, as [`to_vec`] does.
///
/// # Errors
/// An I/O error of `writer`, as a [`serde_json::Error`].
pub fn to_writer<W: std::io::Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> Result<(), serde_json::Error> {
    oci_json::to_writer(writer, value)
}

#[cfg(test)]
mod tests {
    #[test]
    fn input_not_utf8_gets_serde_json_error() {
        for bad in [&b"{\"ociVersion\":\"\xff\"}"[..], b"{\"a\":1}\xc3"] {
            let ours = super::from_slice::<super::Spec>(bad).unwrap_err().to_string();
            let theirs = serde_json::from_slice::<super::Spec>(bad).unwrap_err().to_string();
            assert_eq!(ours, theirs);
        }
        let spec: super::Spec = super::from_slice(b"{\"ociVersion\":\"1.2.1\"}").unwrap();
        assert_eq!(spec.oci_version, "1.2.1");
    }
}
