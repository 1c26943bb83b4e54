//! `oci unpack oci:LAYOUT:REF ROOTFS [--platform ...] [--rootless]`.

use std::path::PathBuf;

use oci_image::Platform;
use oci_layout::layer::ApplyOptions;
use serde_json::json;

use crate::inspect::open_image;
use crate::transport::Transport;
use crate::{Failure, print_json};

/// Arguments of `oci unpack`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The image: `oci:LAYOUT:REF`.
    pub image: Transport,
    /// The root filesystem to create: a new or empty directory, left as it was on failure.
    pub rootfs: PathBuf,
    /// The platform to pick from an index (default: this machine's).
    #[arg(long)]
    pub platform: Option<Platform>,
    /// Unpack as an unprivileged user: no owners, devices as empty files, no privileged
    /// xattrs (what is skipped is reported).
    #[arg(long)]
    pub rootless: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `oci unpack`.
///
/// # Errors
/// If the image cannot be read or a layer fails to apply or verify.
pub fn run(args: &Args) -> Result<(), Failure> {
    let (layout, reference) = open_image(&args.image, "unpack")?;
    let mut options = ApplyOptions::default();
    options.rootless = args.rootless;
    let report = layout.unpack(&reference, args.platform.as_ref(), &args.rootfs, &options)?;
    let entries: u64 = report.layers.iter().map(|l| l.entries).sum();
    let skipped: u64 = report.layers.iter().map(|l| l.skipped_count).sum();
    if args.json {
        let notes: Vec<&String> = report.layers.iter().flat_map(|l| &l.skipped).collect();
        return print_json(&json!({
            "manifest": report.image.descriptor.digest.as_str(), "layers": report.layers.len(),
            "entries": entries, "skipped": skipped, "skippedDetails": notes,
        }));
    }
    eprintln!(
        "unpacked {} ({} layers, {entries} entries) into {}",
        report.image.descriptor.digest,
        report.layers.len(),
        args.rootfs.display()
    );
    if skipped > 0 {
        eprintln!("{skipped} things were not applied:");
        for note in report.layers.iter().flat_map(|l| &l.skipped).take(20) {
            eprintln!("  {}", crate::terminal::escape(note));
        }
    }
    Ok(())
}
