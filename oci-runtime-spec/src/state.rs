//! The state of a container and its lifecycle, runtime-spec
//! [`runtime.md`](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/runtime.md).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::config::Extra;

/// The state a runtime reports for a container (`state` operation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct State {
    /// REQUIRED. The runtime-spec version.
    pub oci_version: String,
    /// REQUIRED. The container's ID, unique on this host.
    pub id: String,
    /// REQUIRED. The runtime state.
    pub status: Status,
    /// REQUIRED when `created` or `running` (on Linux). The container process's PID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// REQUIRED. Absolute path of the bundle.
    pub bundle: String,
    /// OPTIONAL. The configuration's annotations.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(State, "State", {
    oci_version: "ociVersion" required;
    id: "id" required;
    status: "status" required;
    pid: "pid";
    bundle: "bundle" required;
    annotations: "annotations";
});

/// A container's runtime status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "lowercase")]
#[allow(clippy::exhaustive_enums)]
pub enum Status {
    /// Being created (`create` has not finished).
    Creating,
    /// Created: the environment exists, the user program has not been run.
    Created,
    /// The user program is running.
    Running,
    /// The process has exited.
    Stopped,
}

oci_json::impl_member!(Status);

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Creating => "creating",
            Self::Created => "created",
            Self::Running => "running",
            Self::Stopped => "stopped",
        })
    }
}

/// A lifecycle operation of runtime.md § Operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[allow(clippy::exhaustive_enums)]
pub enum Operation {
    /// `create <id> <bundle>`.
    Create,
    /// `start <id>`.
    Start,
    /// `kill <id> <signal>`.
    Kill,
    /// `delete <id>`.
    Delete,
    /// The container process exits (not an operation a caller asks for).
    ProcessExit,
}

/// An operation that is not allowed in the container's current status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[error("{operation:?} is not allowed on a container that is {from}")]
pub struct IllegalTransition {
    /// The status the container was in.
    pub from: Status,
    /// The operation asked for.
    pub operation: Operation,
}

impl Status {
    /// The status an operation leads to, or why it is not allowed (runtime.md):
    /// `start` only on a `created` container; `kill` only on `created` or `running`;
    /// `delete` only on `stopped`; the process exit moves `created`/`running` to
    /// `stopped`. `create` makes a new container and so applies to none.
    ///
    /// ```
    /// use oci_runtime_spec::{Operation, Status};
    /// assert_eq!(Status::Created.apply(Operation::Start), Ok(Some(Status::Running)));
    /// assert_eq!(Status::Stopped.apply(Operation::Delete), Ok(None)); // gone
    /// assert!(Status::Running.apply(Operation::Delete).is_err());
    /// ```
    ///
    /// # Errors
    /// [`IllegalTransition`] for an operation the spec forbids in this status.
    pub fn apply(self, operation: Operation) -> Result<Option<Self>, IllegalTransition> {
        use Operation::*;
        use Status::*;
        let next = match (self, operation) {
            (Creating, ProcessExit) => Some(Stopped),
            (Creating, Kill) => Some(Creating),
            (Created, Start) => Some(Running),
            (Created | Running, Kill) => Some(self),
            (Created | Running, ProcessExit) => Some(Stopped),
            // Deleting a stopped container removes it: no status remains.
            (Stopped, Delete) => None,
            _ => return Err(IllegalTransition { from: self, operation }),
        };
        Ok(next)
    }
}

impl State {
    /// The state of container `id` in `status`, with its absolute `bundle` path, for
    /// [`crate::VERSION`]; set `pid` for a created or running container.
    pub fn new(id: impl Into<String>, status: Status, bundle: impl Into<String>) -> Self {
        Self {
            oci_version: crate::VERSION.to_owned(),
            id: id.into(),
            status,
            pid: None,
            bundle: bundle.into(),
            annotations: BTreeMap::new(),
            extra: Extra::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        use Operation::*;
        assert_eq!(Status::Created.apply(Start), Ok(Some(Status::Running)));
        assert_eq!(Status::Running.apply(ProcessExit), Ok(Some(Status::Stopped)));
        assert_eq!(Status::Stopped.apply(Delete), Ok(None));
        assert_eq!(Status::Running.apply(Kill), Ok(Some(Status::Running)));
        for (from, op) in [
            (Status::Running, Start),
            (Status::Stopped, Start),
            (Status::Stopped, Kill),
            (Status::Running, Delete),
            (Status::Created, Delete),
            (Status::Created, Create),
        ] {
            assert_eq!(from.apply(op), Err(IllegalTransition { from, operation: op }));
        }
    }
}
