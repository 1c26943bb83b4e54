//! `oci inspect oci:LAYOUT[:REF] [--raw]`: a JSON summary of what a reference names.

use oci_image::{Document, Platform};
use oci_layout::Layout;
use serde_json::{Value, json};

use crate::transport::Transport;
use crate::{Failure, print_json};

/// Arguments of `oci inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The image: `oci:LAYOUT[:REF]` (without REF, the layout's only tag).
    pub image: Transport,
    /// Print the manifest (or index) exactly as stored instead of a summary.
    #[arg(long)]
    pub raw: bool,
    /// Follow an index to the manifest for this platform (`os/arch[/variant]`).
    #[arg(long)]
    pub platform: Option<Platform>,
    /// Accepted for symmetry: the output is always JSON.
    #[arg(long)]
    pub json: bool,
    /// For a registry image: print the image configuration (with `--raw`, as stored).
    #[arg(long)]
    pub config: bool,
    /// How to reach a registry (`docker://` images).
    #[command(flatten)]
    pub remote: crate::remote::RemoteFlags,
}

/// The only tag of a layout, for commands given no reference.
///
/// # Errors
/// If the layout has no tag or several.
pub fn only_tag(layout: &Layout) -> Result<String, Failure> {
    let tags = layout.tags()?;
    let mut names: Vec<&str> = tags.iter().map(|(t, _)| t.as_str()).collect();
    names.dedup();
    match names.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err("the layout has no tags: name a reference (oci:LAYOUT:REF)".into()),
        many => Err(format!(
            "the layout has {} tags ({}): name one (oci:LAYOUT:REF)",
            many.len(),
            many.join(", ")
        )
        .into()),
    }
}

/// Opens the layout an `oci:LAYOUT[:REF]` name points to, with the reference it names
/// (or the layout's only tag).
///
/// # Errors
/// For another transport, a layout that cannot be opened, or no single tag.
pub fn open_image(image: &Transport, what: &str) -> Result<(Layout, String), Failure> {
    let (path, reference) = image.layout(what)?;
    let layout = Layout::open(path)?;
    let reference = match reference {
        Some(r) => r.to_owned(),
        None => only_tag(&layout)?,
    };
    Ok((layout, reference))
}

/// Runs `oci inspect`.
///
/// # Errors
/// If the layout or reference cannot be read.
pub fn run(args: &Args) -> Result<(), Failure> {
    if let Transport::Docker { reference } = &args.image {
        let platform = args.platform.as_ref();
        return crate::remote::inspect(reference, &args.remote, args.raw, args.config, platform);
    }
    let (layout, reference) = open_image(&args.image, "inspect")?;
    let descriptor = layout.resolve(&reference, args.platform.as_ref())?;
    let bytes =
        layout.read_blob_bytes(&descriptor, oci_image::content::DEFAULT_MAX_DOCUMENT_SIZE)?;
    if args.raw {
        std::io::Write::write_all(&mut std::io::stdout().lock(), &bytes)?;
        return Ok(());
    }
    let document = Document::parse(&descriptor.media_type, &bytes)?;
    let mut summary = json!({
        "reference": reference,
        "descriptor": serde_json::to_value(&descriptor)?,
    });
    match &document {
        Document::Index(index) => {
            summary["index"] = serde_json::to_value(index)?;
        }
        Document::Manifest(manifest) => {
            summary["manifest"] = serde_json::to_value(manifest)?;
            if manifest.config.media_type.is_config() {
                let image = layout.image(&descriptor)?;
                summary["config"] = serde_json::to_value(&image.config)?;
                summary["platform"] = Value::String(image.config.platform().to_string());
                summary["size"] = json!(
                    manifest.layers.iter().map(|l| l.size).sum::<u64>()
                        + manifest.config.size
                        + descriptor.size
                );
            }
        }
        _ => {}
    }
    print_json(&summary)
}
