//! `oci pack DIR oci:LAYOUT:REF [--base oci:LAYOUT:REF] [--compression gzip|zstd|none]`.

use std::path::PathBuf;

use clap::ValueEnum;
use oci_image::content::{self, CopyOptions, PlatformSelection};
use oci_image::{Compression, History, ImageConfiguration, Platform};
use oci_layout::Layout;
use oci_layout::layer::{ApplyOptions, CreateOptions};
use serde_json::json;

use crate::transport::Transport;
use crate::{Failure, print_json};

/// Layer compressions `oci pack` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Packing {
    /// `application/vnd.oci.image.layer.v1.tar+gzip`.
    Gzip,
    /// `application/vnd.oci.image.layer.v1.tar+zstd`.
    Zstd,
    /// `application/vnd.oci.image.layer.v1.tar`.
    None,
}

/// Arguments of `oci pack`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to pack (a whole root filesystem).
    pub dir: PathBuf,
    /// Where the image goes: `oci:LAYOUT:REF` (the layout is created if missing).
    pub image: Transport,
    /// An image DIR was made from: the new image is this one plus one layer holding what
    /// DIR changes (whiteouts for what it removes).
    #[arg(long)]
    pub base: Option<Transport>,
    /// Layer compression.
    #[arg(long, value_enum, default_value_t = Packing::Gzip)]
    pub compression: Packing,
    /// Compression level (gzip 1-9, zstd 1-22; default: gzip 6, zstd 3).
    #[arg(long)]
    pub level: Option<i32>,
    /// Threads compressing (default: every CPU).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `oci pack`.
///
/// # Errors
/// If DIR cannot be read or the layout written.
pub fn run(args: &Args) -> Result<(), Failure> {
    let (path, reference) = args.image.layout("pack")?;
    let reference = reference.ok_or("name the new image's tag: oci:LAYOUT:REF")?;
    let layout = Layout::create(path)?;
    let mut options = CreateOptions::default();
    options.compression = match args.compression {
        Packing::Gzip => Compression::Gzip,
        Packing::Zstd => Compression::Zstd,
        Packing::None => Compression::None,
    };
    options.level = args.level;
    options.threads =
        args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // Reproducible builds: SOURCE_DATE_EPOCH fixes every timestamp.
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.parse::<i64>().ok());
    options.mtime = epoch;
    let mut history = History::default();
    history.created_by = Some(format!("oci pack {}", args.dir.display()));
    let image = match &args.base {
        None => {
            let created = layout.put_layer(&args.dir, None, &options)?;
            let host = Platform::host();
            let mut config = ImageConfiguration::new(host.os.as_str(), host.architecture.as_str());
            config.rootfs.diff_ids.push(created.diff_id);
            config.history.push(history);
            layout.write_image(&config, vec![created.descriptor], Default::default())?
        }
        Some(base) => {
            let (base_path, base_ref) = base.layout("--base")?;
            let base_ref = base_ref.ok_or("name the base image: --base oci:LAYOUT:REF")?;
            let base_layout = Layout::open(base_path)?;
            let host = Platform::host();
            let base_image = content::select_platform(
                &base_layout,
                base_layout.resolve(base_ref, None)?,
                &host,
                content::DEFAULT_MAX_DOCUMENT_SIZE,
            )?;
            // The base's blobs must be in the target layout too.
            let mut copy = CopyOptions::default();
            copy.platforms = PlatformSelection::One(host);
            content::copy_graph(&base_layout, &layout, &base_image, &copy)?;
            let temp = tempfile::tempdir()?;
            let lower = temp.path().join("rootfs");
            let mut apply = ApplyOptions::default();
            apply.rootless = !rustix::process::geteuid().is_root();
            base_layout.unpack(base_image.digest.as_str(), None, &lower, &apply)?;
            let created = layout.put_layer(&args.dir, Some(&lower), &options)?;
            layout.append_layer(&base_image, created.descriptor, created.diff_id, history)?
        }
    };
    layout.tag(&image, reference)?;
    if args.json {
        return print_json(
            &json!({"digest": image.digest.as_str(), "size": image.size, "ref": reference}),
        );
    }
    eprintln!("packed {} as {reference} ({})", args.dir.display(), image.digest);
    Ok(())
}
