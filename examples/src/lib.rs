//! Shared code of the `oci` program and the examples.
