//! `oci spec [--rootless]`: the default runtime config.json.

use crate::Failure;

/// Arguments of `oci spec`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration of `runc spec --rootless`: user namespace, no network namespace.
    #[arg(long)]
    pub rootless: bool,
    /// Accepted for symmetry with other commands; the output is always JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `oci spec`.
///
/// # Errors
/// If stdout cannot be written.
pub fn run(args: &Args) -> Result<(), Failure> {
    let spec = if args.rootless {
        oci_runtime_spec::Spec::rootless()
    } else {
        oci_runtime_spec::Spec::default()
    };
    // In the field order of the spec (as runc prints it), not sorted.
    let mut text = serde_json::to_string_pretty(&spec)?;
    text.push('\n');
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    Ok(())
}
