//! Lifecycle hooks, runtime-spec
//! [`config.md` § POSIX-platform Hooks](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/config.md#posix-platform-hooks).

use serde::Serialize;

use crate::config::Extra;

/// Lifecycle hooks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Hooks {
    /// DEPRECATED. Run after the environment is created, before pivot_root.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prestart: Vec<Hook>,
    /// Run in the runtime namespace after the environment is created.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub create_runtime: Vec<Hook>,
    /// Run in the container namespace after the environment is created.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub create_container: Vec<Hook>,
    /// Run in the container before the user process.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub start_container: Vec<Hook>,
    /// Run after the user process starts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub poststart: Vec<Hook>,
    /// Run after the container is deleted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub poststop: Vec<Hook>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Hooks, "Hooks", {
    prestart: "prestart";
    create_runtime: "createRuntime";
    create_container: "createContainer";
    start_container: "startContainer";
    poststart: "poststart";
    poststop: "poststop";
});

/// One hook.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Hook {
    /// REQUIRED. Absolute path of the program.
    pub path: String,
    /// OPTIONAL. Arguments, `argv[0]` included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// OPTIONAL. Environment.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// OPTIONAL. Seconds before the hook is aborted (> 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Hook, "Hook", {
    path: "path" required;
    args: "args";
    env: "env";
    timeout: "timeout";
});

impl Hook {
    /// A hook running the program at `path` with no arguments, environment or timeout.
    pub fn new(path: impl Into<String>) -> Self {
        Self { path: path.into(), ..Self::default() }
    }
}
