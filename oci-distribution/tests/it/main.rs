//! Integration tests of `oci-distribution`: requests as transcripts, responses canned.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod properties;
mod registry;
mod transcripts;
