//! `oci gc oci:LAYOUT`: remove blobs no tag reaches.

use std::time::Duration;

use oci_layout::{GcOptions, Layout};
use serde_json::json;

use crate::transport::Transport;
use crate::{Failure, print_json};

/// Arguments of `oci gc`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The layout: `oci:LAYOUT`.
    pub layout: Transport,
    /// Keep unreachable blobs written in the last SECONDS (use it while other programs
    /// may be writing the layout).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub grace: u64,
    /// Say what would be removed, remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `oci gc`.
///
/// # Errors
/// If the layout cannot be read or changed.
pub fn run(args: &Args) -> Result<(), Failure> {
    let (path, _) = args.layout.layout("gc")?;
    let layout = Layout::open(path)?;
    let mut options = GcOptions::default();
    options.grace_period = Duration::from_secs(args.grace);
    options.dry_run = args.dry_run;
    let report = layout.gc(&options)?;
    if args.json {
        let removed: Vec<&str> = report.removed.iter().map(|d| d.as_str()).collect();
        return print_json(&json!({
            "reachable": report.reachable, "removed": removed, "bytesFreed": report.bytes_freed,
            "keptYoung": report.kept_young, "tempFilesRemoved": report.temp_files_removed, "dryRun": args.dry_run,
        }));
    }
    let verb = if args.dry_run { "would remove" } else { "removed" };
    println!(
        "{verb} {} blobs ({} bytes) and {} temporary files; {} blobs reachable, {} kept as recent",
        report.removed.len(),
        report.bytes_freed,
        report.temp_files_removed,
        report.reachable,
        report.kept_young
    );
    Ok(())
}
