//! The seccomp filter (`linux.seccomp`), runtime-spec
//! [`config-linux.md` § Seccomp](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/config-linux.md#seccomp).

use serde::Serialize;

use crate::config::Extra;

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

impl Seccomp {
    /// A filter whose `default_action` (`SCMP_ACT_...`) applies to every syscall no rule
    /// matches.
    pub fn new(default_action: impl Into<String>) -> Self {
        Self { default_action: default_action.into(), ..Self::default() }
    }
}

impl Syscall {
    /// A rule taking `action` (`SCMP_ACT_...`) on the syscalls `names`.
    pub fn new(names: Vec<String>, action: impl Into<String>) -> Self {
        Self { names, action: action.into(), ..Self::default() }
    }
}

impl SyscallArg {
    /// The condition `op` (`SCMP_CMP_...`) of argument `index` against `value`.
    pub fn new(index: u32, value: u64, op: impl Into<String>) -> Self {
        Self { index, value, op: op.into(), ..Self::default() }
    }
}
