//! `oci copy SRC DST`: copy an image between layouts and archives (and registries once the
//! client exists), every blob verified on the way.

use std::fs::File;
use std::io::BufWriter;

use oci_image::Platform;
use oci_image::content::{self, CopyOptions, PlatformSelection};
use oci_layout::{Layout, archive};
use serde_json::json;

use crate::transport::Transport;
use crate::{Failure, inspect::only_tag, print_json};

/// Arguments of `oci copy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Source image.
    pub source: Transport,
    /// Destination.
    pub destination: Transport,
    /// Copy every platform of an index (default: only the best match for --platform or
    /// this machine, and the copy is that manifest).
    #[arg(long)]
    pub all_platforms: bool,
    /// The platform to pick from an index (`os/arch[/variant]`).
    #[arg(long)]
    pub platform: Option<Platform>,
    /// Use HTTP, not HTTPS, for registries (for a registry on loopback).
    #[arg(long)]
    pub plain_http: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A layout to read from: the named one, or a temporary one an archive was unpacked into.
struct Opened {
    layout: Layout,
    reference: String,
    _temp: Option<tempfile::TempDir>,
}

fn open_source(source: &Transport) -> Result<Opened, Failure> {
    match source {
        Transport::Oci { path, reference } => {
            let layout = Layout::open(path)?;
            let reference = match reference {
                Some(r) => r.clone(),
                None => only_tag(&layout)?,
            };
            Ok(Opened { layout, reference, _temp: None })
        }
        Transport::OciArchive { path, reference } => {
            let temp = tempfile::tempdir()?;
            let layout = Layout::create(temp.path())?;
            let file =
                File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            archive::import_oci(
                std::io::BufReader::new(file),
                &layout,
                reference.as_deref(),
                "source",
            )?;
            Ok(Opened { layout, reference: "source".into(), _temp: Some(temp) })
        }
        Transport::DockerArchive { path, .. } => {
            let temp = tempfile::tempdir()?;
            let layout = Layout::create(temp.path())?;
            let file =
                File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            archive::import_docker(std::io::BufReader::new(file), &layout, None, "source")?;
            Ok(Opened { layout, reference: "source".into(), _temp: Some(temp) })
        }
        Transport::Docker { .. } => {
            Err("registries (docker://) are not supported by this build yet".into())
        }
    }
}

/// Runs `oci copy`.
///
/// # Errors
/// Whatever fails: opening, verification, writing.
pub fn run(args: &Args) -> Result<(), Failure> {
    let source = open_source(&args.source)?;
    let mut options = CopyOptions::default();
    if !args.all_platforms {
        options.platforms =
            PlatformSelection::One(args.platform.clone().unwrap_or_else(Platform::host));
    }
    let (descriptor, stats) = match &args.destination {
        Transport::Oci { path, reference } => {
            let target = Layout::create(path)?;
            let tag = reference.clone().unwrap_or_else(|| source.reference.clone());
            copy_into(&source, &target, &tag, &options)?
        }
        Transport::OciArchive { path, reference } => {
            let temp = tempfile::tempdir()?;
            let staging = Layout::create(temp.path())?;
            let result = copy_into(&source, &staging, "staged", &options)?;
            let tag = reference.clone().unwrap_or_else(|| source.reference.clone());
            write_archive(path, |out| {
                archive::export_oci(&staging, "staged", &tag, out).map(drop)
            })?;
            result
        }
        Transport::DockerArchive { path, name } => {
            let temp = tempfile::tempdir()?;
            let staging = Layout::create(temp.path())?;
            let result = copy_into(&source, &staging, "staged", &options)?;
            write_archive(path, |out| {
                archive::export_docker(&staging, "staged", name.as_deref(), out).map(drop)
            })?;
            result
        }
        Transport::Docker { .. } => {
            return Err("registries (docker://) are not supported by this build yet".into());
        }
    };
    if args.json {
        return print_json(&json!({
            "digest": descriptor.digest.as_str(), "mediaType": descriptor.media_type.as_str(), "size": descriptor.size,
            "blobsCopied": stats.blobs_copied, "bytesCopied": stats.bytes_copied, "blobsSkipped": stats.blobs_skipped,
        }));
    }
    eprintln!(
        "copied {} ({} blobs, {} bytes; {} already present)",
        descriptor.digest, stats.blobs_copied, stats.bytes_copied, stats.blobs_skipped
    );
    Ok(())
}

fn copy_into(
    source: &Opened,
    target: &Layout,
    tag: &str,
    options: &CopyOptions,
) -> Result<(oci_image::Descriptor, content::CopyStats), Failure> {
    let mut root = source.layout.resolve(&source.reference, None)?;
    if let PlatformSelection::One(platform) = &options.platforms {
        root = content::select_platform(&source.layout, root, platform, options.max_document_size)?;
    }
    let stats = content::copy_graph(&source.layout, target, &root, options)?;
    target.tag(&root, tag)?;
    Ok((root, stats))
}

/// Writes an archive to a temporary file beside `path` and renames it into place, so a
/// failure leaves no half-written archive under the name.
fn write_archive(
    path: &std::path::Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), oci_layout::Error>,
) -> Result<(), Failure> {
    let dir =
        path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let temp = tempfile::NamedTempFile::new_in(dir)?;
    let mut out = BufWriter::new(temp.reopen()?);
    write(&mut out)?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
