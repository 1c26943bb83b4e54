//! `oci ls oci:LAYOUT`: the tags of a layout with digests, platforms and sizes.

use std::collections::HashSet;

use oci_image::content::{self, DEFAULT_MAX_DOCUMENT_SIZE, WalkControl};
use oci_image::{Descriptor, Document};
use oci_layout::Layout;
use serde_json::json;

use crate::terminal::escape;
use crate::transport::Transport;
use crate::{Failure, print_json};

/// Arguments of `oci ls`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The layout: `oci:LAYOUT`.
    pub layout: Transport,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

struct Row {
    tag: String,
    descriptor: Descriptor,
    platforms: Vec<String>,
    size: u64,
}

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

/// Runs `oci ls`.
///
/// # Errors
/// If the layout cannot be read.
pub fn run(args: &Args) -> Result<(), Failure> {
    let (path, _) = args.layout.layout("ls")?;
    let layout = Layout::open(path)?;
    let mut rows = Vec::new();
    for (tag, descriptor) in layout.tags()? {
        let (platforms, size) = describe(&layout, &descriptor)?;
        rows.push(Row { tag, descriptor, platforms, size });
    }
    if args.json {
        let items: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "ref": r.tag, "digest": r.descriptor.digest.as_str(), "mediaType": r.descriptor.media_type.as_str(),
                    "platforms": r.platforms, "size": r.size,
                })
            })
            .collect();
        return print_json(&json!(items));
    }
    println!("{:<24} {:<19} {:>12}  {:<10} PLATFORMS", "REF", "DIGEST", "SIZE", "KIND");
    for r in rows {
        let kind = if r.descriptor.media_type.is_index() { "index" } else { "manifest" };
        let short =
            r.descriptor.digest.encoded().get(..12).unwrap_or(r.descriptor.digest.encoded());
        println!(
            "{:<24} {:<19} {:>12}  {:<10} {}",
            escape(&r.tag),
            format!("{}:{short}", r.descriptor.digest.algorithm()),
            r.size,
            kind,
            escape(&r.platforms.join(","))
        );
    }
    Ok(())
}
