//! `oci ls oci:LAYOUT`: the tags of a layout with digests, platforms and sizes.

use std::collections::{HashMap, HashSet};
use std::io::{BufWriter, Write};

use oci_image::content::{self, DEFAULT_MAX_DOCUMENT_SIZE, WalkControl};
use oci_image::{Descriptor, Digest, Document};
use oci_layout::Layout;
use serde_json::json;

use crate::Failure;
use crate::terminal::escape;
use crate::transport::Transport;

/// Arguments of `oci ls`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The layout: `oci:LAYOUT`.
    pub layout: Transport,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// How to reach a registry (`docker://HOST/REPO`).
    #[command(flatten)]
    pub remote: crate::remote::RemoteFlags,
}

/// Graphs described, kept for tags that share an image; emptied when it holds more, so
/// that a layout of many distinct images still lists in bounded memory.
const DESCRIBED_CACHE: usize = 4096;

/// The platforms and the total size of the graph `root` names.
fn describe(layout: &Layout, root: &Descriptor) -> Result<(Vec<String>, u64), Failure> {
    let mut platforms = Vec::new();
    let mut size = 0;
    let mut seen = HashSet::new();
    content::walk(layout, root, DEFAULT_MAX_DOCUMENT_SIZE, |node| {
        if seen.insert(node.descriptor.digest.clone()) {
            size += node.descriptor.size;
        }
        if let Some(Document::Manifest(m)) = node.document {
            if let Some(p) = &node.descriptor.platform {
                platforms.push(p.to_string());
            } else if m.config.media_type.is_config()
                && let Ok(image) = layout.image(node.descriptor)
            {
                platforms.push(image.config.platform().to_string());
            }
        }
        Ok(WalkControl::Continue)
    })?;
    platforms.sort();
    platforms.dedup();
    Ok((platforms, size))
}

/// Runs `oci ls`: one row per tag, written as it is found (the layout's `index.json`
/// is read as a stream, and each image described once), so a layout of hundreds of
/// thousands of tags lists in bounded memory.
///
/// # Errors
/// If the layout cannot be read, or stdout written.
pub fn run(args: &Args) -> Result<(), Failure> {
    if let crate::transport::Transport::Docker { reference } = &args.layout {
        return crate::remote::ls(reference, &args.remote, args.json);
    }
    let (path, _) = args.layout.layout("ls")?;
    let layout = Layout::open(path)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut described: HashMap<Digest, (Vec<String>, u64)> = HashMap::new();
    let mut first = true;
    let write = |e: std::io::Error| Failure::from(format!("cannot write stdout: {e}"));
    if args.json {
        out.write_all(b"[").map_err(write)?;
    } else {
        writeln!(out, "{:<24} {:<19} {:>12}  {:<10} PLATFORMS", "REF", "DIGEST", "SIZE", "KIND")
            .map_err(write)?;
    }
    layout.for_each_tag(|tag, descriptor| {
        if !described.contains_key(&descriptor.digest) {
            if described.len() >= DESCRIBED_CACHE {
                described.clear();
            }
            described.insert(descriptor.digest.clone(), describe(&layout, descriptor)?);
        }
        let (platforms, size) = &described[&descriptor.digest];
        if args.json {
            let item = json!({
                "ref": tag, "digest": descriptor.digest.as_str(), "mediaType": descriptor.media_type.as_str(),
                "platforms": platforms, "size": size,
            });
            let separator = if first { "\n  " } else { ",\n  " };
            out.write_all(separator.as_bytes()).map_err(write)?;
            serde_json::to_writer(&mut out, &item).map_err(|e| write(e.into()))?;
        } else {
            let kind = if descriptor.media_type.is_index() { "index" } else { "manifest" };
            let short = descriptor.digest.encoded().get(..12).unwrap_or(descriptor.digest.encoded());
            writeln!(
                out,
                "{:<24} {:<19} {:>12}  {:<10} {}",
                escape(tag),
                format!("{}:{short}", descriptor.digest.algorithm()),
                size,
                kind,
                escape(&platforms.join(","))
            )
            .map_err(write)?;
        }
        first = false;
        Ok::<_, Failure>(())
    })?;
    if args.json {
        out.write_all(if first { b"]\n" } else { b"\n]\n" }).map_err(write)?;
    }
    out.flush()?;
    Ok(())
}
