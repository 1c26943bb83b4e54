//! Integration tests of `oci-distribution`: requests as transcripts, responses canned, and
//! both the protocol core and the client against the real registry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[cfg(all(feature = "client", feature = "async-client"))]
mod async_client;
#[cfg(feature = "client")]
mod client;
#[cfg(all(feature = "client", feature = "async-client"))]
mod corpus;
mod properties;
#[cfg(feature = "client")]
mod proxy;
mod registry;
mod support;
#[cfg(feature = "client")]
mod tls;
#[cfg(feature = "client")]
mod token;
mod transcripts;
