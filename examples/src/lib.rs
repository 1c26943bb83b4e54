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
pub mod remote;
pub mod spec;
pub mod terminal;
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
    /// Bad usage (exit status 2), with what is wrong.
    Usage(String),
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

/// Largest file a command reads whole when the user names it (a document to validate):
/// 64 MiB, beyond any real document, and far less than memory.
pub const MAX_NAMED_FILE: u64 = 64 << 20;

/// Reads the file at `path` (`-` for standard input) whole, refusing one larger than
/// `limit` bytes instead of reading on: a named file may be `/dev/zero` or a pipe that
/// never ends. Any kind of file is read, but never more than `limit + 1` bytes of it.
///
/// # Errors
/// If the file cannot be opened or read, or is larger than `limit`.
pub fn read_named_file(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let name = terminal::escape_display(&path.display());
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().lock().take(limit.saturating_add(1)).read_to_end(&mut bytes)
    } else {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read {name}: {e}"))?;
        file.take(limit.saturating_add(1)).read_to_end(&mut bytes)
    };
    read.map_err(|e| format!("cannot read {name}: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("cannot read {name}: larger than {limit} bytes").into());
    }
    Ok(bytes)
}
