//! `oci bundle oci:LAYOUT:REF BUNDLE [--platform ...] [--rootless]`.

use std::path::PathBuf;

use oci_image::Platform;
use oci_layout::layer::ApplyOptions;
use serde_json::json;

use crate::inspect::open_image;
use crate::transport::Transport;
use crate::{Failure, print_json};

/// Arguments of `oci bundle`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The image: `oci:LAYOUT:REF`.
    pub image: Transport,
    /// The bundle directory to create (new or empty): `rootfs/` and `config.json`.
    pub bundle: PathBuf,
    /// The platform to pick from an index (default: this machine's).
    #[arg(long)]
    pub platform: Option<Platform>,
    /// A bundle for an unprivileged user (`runc spec --rootless` defaults, rootless unpack).
    #[arg(long)]
    pub rootless: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `oci bundle`.
///
/// # Errors
/// If the image cannot be unpacked or its configuration converted.
pub fn run(args: &Args) -> Result<(), Failure> {
    let (layout, reference) = open_image(&args.image, "bundle")?;
    let mut options = ApplyOptions::default();
    options.rootless = args.rootless;
    let report = layout.bundle(&reference, args.platform.as_ref(), &args.bundle, &options)?;
    let process = report.spec.process.as_ref();
    if args.json {
        return print_json(&json!({
            "manifest": report.unpack.image.descriptor.digest.as_str(),
            "bundle": args.bundle.display().to_string(),
            "args": process.map(|p| p.args.clone()),
            "violations": report.spec.validate().iter().map(ToString::to_string).collect::<Vec<_>>(),
        }));
    }
    eprintln!(
        "bundle {} of {}: rootfs/ ({} layers) and config.json (args {:?})",
        args.bundle.display(),
        report.unpack.image.descriptor.digest,
        report.unpack.layers.len(),
        process.map(|p| p.args.clone()).unwrap_or_default()
    );
    Ok(())
}
