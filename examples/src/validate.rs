//! `oci validate --kind KIND FILE`: one document against its specification.

use std::path::PathBuf;

use clap::ValueEnum;
use serde_json::json;

use oci_layout::Layout;

use crate::terminal::{escape, escape_display};
use crate::transport::Transport;
use crate::{Failure, MAX_NAMED_FILE, print_json, read_named_file};

/// Arguments of `oci validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What the document is; without it, TARGET is a layout (`oci:LAYOUT`) checked whole.
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    /// The document (`-` for standard input), or `oci:LAYOUT`.
    #[arg(value_name = "TARGET")]
    pub file: PathBuf,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The kinds of document `oci validate --kind` checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// An image manifest (OCI or Docker schema2).
    Manifest,
    /// An image index (OCI) or manifest list (Docker).
    Index,
    /// An image configuration.
    Config,
    /// A content descriptor.
    Descriptor,
    /// The `oci-layout` file of an image layout.
    Layout,
    /// A runtime config.json.
    RuntimeConfig,
    /// A runtime state document.
    State,
    /// A runtime features document.
    Features,
}

/// One problem with a document: its JSON path (or `$` for the whole) and what is wrong.
type Problem = (String, String);

fn image<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    validate: impl Fn(&T) -> Vec<oci_image::Violation>,
) -> Result<Vec<Problem>, serde_json::Error> {
    let value: T = oci_image::json::from_slice(bytes)?;
    Ok(validate(&value).into_iter().map(|v| (v.path, v.message)).collect())
}

fn runtime<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    validate: impl Fn(&T) -> Vec<oci_runtime_spec::Violation>,
) -> Result<Vec<Problem>, serde_json::Error> {
    let value: T = oci_runtime_spec::from_slice(bytes)?;
    Ok(validate(&value).into_iter().map(|v| (v.path, v.message)).collect())
}

/// Checks the document, returning every problem found (empty when valid).
///
/// # Errors
/// Only if the file cannot be read; a document that does not parse is one problem at `$`.
pub fn check(kind: Kind, bytes: &[u8]) -> Vec<Problem> {
    let result = match kind {
        Kind::Manifest => image(bytes, oci_image::ImageManifest::validate),
        Kind::Index => image(bytes, oci_image::ImageIndex::validate),
        Kind::Config => image(bytes, oci_image::ImageConfiguration::validate),
        Kind::Descriptor => image(bytes, oci_image::Descriptor::validate),
        Kind::Layout => image(bytes, oci_image::ImageLayout::validate),
        Kind::RuntimeConfig => runtime(bytes, oci_runtime_spec::Spec::validate),
        Kind::State => runtime(bytes, oci_runtime_spec::State::validate),
        Kind::Features => runtime(bytes, oci_runtime_spec::Features::validate),
    };
    result.unwrap_or_else(|e| vec![("$".to_owned(), format!("does not parse: {e}"))])
}

/// Runs `oci validate`.
///
/// # Errors
/// [`Failure::Reported`] when the document is invalid (problems are on stderr, or in the
/// JSON on stdout), [`Failure::Error`] when it cannot be read.
pub fn run(args: &Args) -> Result<(), Failure> {
    let Some(kind) = args.kind else {
        return layout(args);
    };
    let name = args.file.display().to_string();
    let bytes = read_named_file(&args.file, MAX_NAMED_FILE)?;
    let problems = check(kind, &bytes);
    let kind = kind.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
    if args.json {
        let violations: Vec<_> = problems
            .iter()
            .map(|(path, message)| json!({"path": path, "message": message}))
            .collect();
        print_json(
            &json!({"file": name, "kind": kind, "valid": problems.is_empty(), "violations": violations}),
        )?;
    } else if problems.is_empty() {
        println!("{}: valid {kind}", escape(&name));
    } else {
        eprintln!("{}: invalid {kind}, {} problem(s):", escape(&name), problems.len());
        for (path, message) in &problems {
            eprintln!("  {}: {}", escape(path), escape(message));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(Failure::Reported) }
}

/// `oci validate oci:LAYOUT`: the layout's fsck.
fn layout(args: &Args) -> Result<(), Failure> {
    let target: Transport = args.file.to_string_lossy().parse()?;
    let (path, _) = target.layout("validate without --kind")?;
    let report = Layout::open(path)?.fsck()?;
    let name = escape_display(&path.display());
    if args.json {
        let problems: Vec<_> = report
            .problems
            .iter()
            .map(|p| json!({"subject": p.subject, "message": p.message}))
            .collect();
        print_json(&json!({
            "layout": path.display().to_string(), "valid": report.is_ok(), "problems": problems,
            "blobsChecked": report.blobs_checked, "bytesChecked": report.bytes_checked,
            "documentsChecked": report.documents_checked,
        }))?;
    } else if report.is_ok() {
        println!(
            "{name}: valid layout ({} blobs, {} bytes hashed, {} documents checked)",
            report.blobs_checked, report.bytes_checked, report.documents_checked
        );
    } else {
        eprintln!("{name}: invalid layout, {} problem(s):", report.problems.len());
        for p in &report.problems {
            eprintln!("  {}", escape_display(p));
        }
    }
    if report.is_ok() { Ok(()) } else { Err(Failure::Reported) }
}
