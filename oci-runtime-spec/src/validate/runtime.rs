//! runtime.md § State.

use oci_json::Checker;

use super::{Violation, absolute};
use crate::{State, Status};

impl State {
    /// Every violated requirement of runtime-spec `runtime.md` § State that the document
    /// shows.
    ///
    /// `pid` is required for a `created` or `running` container on Linux; a state does not
    /// say its platform, so this checks it on every platform.
    pub fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::new();
        // [runtime.state.bundle-absolute]
        absolute(&mut c, "bundle", &self.bundle);
        // [runtime.state.pid-required]
        if matches!(self.status, Status::Created | Status::Running) && self.pid.is_none() {
            c.fail_at("pid", "pid is required when the container is created or running");
        }
        c.finish()
    }
}
