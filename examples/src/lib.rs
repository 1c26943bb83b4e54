//! The commands of the `oci` program, one module each, so that they can be tested and
//! read on their own. Nothing here is published: it shows how the crates fit together.

#![forbid(unsafe_code)]

pub mod bundle;
pub mod copy;
pub mod demo;
pub mod gc;
pub mod inspect;
pub mod ls;
pub mod pack;
pub mod spec;
pub mod transport;
pub mod unpack;
pub mod validate;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// The command already told the user what is wrong (for example, listed violations).
    Reported,
    /// An error to print.
    Error(Box<dyn std::error::Error + Send + Sync>),
}

impl<E: Into<Box<dyn std::error::Error + Send + Sync>>> From<E> for Failure {
    fn from(e: E) -> Self {
        Self::Error(e.into())
    }
}

/// Prints `value` as pretty JSON on stdout.
///
/// # Errors
/// If stdout cannot be written.
pub fn print_json(value: &serde_json::Value) -> Result<(), Failure> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    Ok(())
}
