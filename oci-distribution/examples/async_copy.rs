//! Copy an image between a registry and an image layout with the async client.
//!
//! ```text
//! cargo run --release -p oci-distribution --features async-client --example async_copy -- \
//!     [--plain-http] [--no-push-digest-check] SRC DST
//! ```
//!
//! SRC and DST name images as `oci copy` does: `docker://HOST/REPO[:TAG|@DIGEST]` or
//! `oci:DIR[:REF]`. The whole image is copied (every platform of an index), every blob
//! verified on the way. Exit status: 0 on success, 1 with the reason on stderr, 2 for
//! bad usage.

use std::path::PathBuf;
use std::process::ExitCode;

use oci_distribution::async_client::{BlockingRepository, Client, copy};
use oci_distribution::{ClientOptions, Reference};
use oci_image::content::CopyOptions;
use oci_layout::Layout;

/// One side of the copy.
enum Side {
    Registry(Reference),
    Layout { dir: PathBuf, reference: Option<String> },
}

fn parse(name: &str) -> Result<Side, String> {
    if let Some(rest) = name.strip_prefix("docker://") {
        return rest
            .parse()
            .map(Side::Registry)
            .map_err(|e| format!("{name:?} is not an image reference: {e}"));
    }
    if let Some(rest) = name.strip_prefix("oci:") {
        let (dir, reference) = match rest.split_once(':') {
            Some((dir, r)) if !r.is_empty() => (dir, Some(r.to_owned())),
            Some((dir, _)) => (dir, None),
            None => (rest, None),
        };
        if !dir.is_empty() {
            return Ok(Side::Layout { dir: dir.into(), reference });
        }
    }
    Err(format!(
        "{name:?} is not an image name: use docker://HOST/REPO[:TAG|@DIGEST] or oci:DIR[:REF]"
    ))
}

/// The tag or digest a registry reference names, `latest` when it names neither.
fn tag_of(reference: &Reference) -> String {
    match (reference.tag(), reference.digest()) {
        (Some(tag), _) => tag.to_owned(),
        (None, Some(digest)) => digest.to_string(),
        (None, None) => oci_distribution::DEFAULT_TAG.to_owned(),
    }
}

async fn run(
    plain_http: bool,
    verify_pushes: bool,
    source: Side,
    destination: Side,
) -> Result<String, Box<dyn std::error::Error>> {
    let options = ClientOptions::default().plain_http(plain_http).verify_pushes(verify_pushes);
    let client = Client::new(options)?;
    let repository =
        |reference: &Reference| -> BlockingRepository { client.repository(reference).blocking() };
    let options = CopyOptions::default();
    let root = match (source, destination) {
        (Side::Registry(from), Side::Layout { dir, reference }) => {
            let tag = reference.unwrap_or_else(|| tag_of(&from));
            let layout = tokio::task::spawn_blocking(move || Layout::create(dir)).await??;
            copy(repository(&from), &tag_of(&from), layout, &tag, options).await?
        }
        (Side::Layout { dir, reference }, Side::Registry(to)) => {
            let Some(reference) = reference else {
                return Err("name the image in the layout: oci:DIR:REF".into());
            };
            let layout = tokio::task::spawn_blocking(move || Layout::open(dir)).await??;
            let tag = match (to.tag(), to.digest()) {
                (None, None) => reference.clone(),
                _ => tag_of(&to),
            };
            copy(layout, &reference, repository(&to), &tag, options).await?
        }
        (Side::Registry(from), Side::Registry(to)) => {
            let mut target = client.repository(&to);
            if from.registry() == to.registry() && from.repository() != to.repository() {
                target = target.mount_from(from.repository());
            }
            copy(repository(&from), &tag_of(&from), target.blocking(), &tag_of(&to), options)
                .await?
        }
        (Side::Layout { .. }, Side::Layout { .. }) => {
            return Err(
                "one side must be a registry (docker://...); `oci copy` copies between layouts"
                    .into(),
            );
        }
    };
    Ok(root.digest.to_string())
}

fn main() -> ExitCode {
    let mut plain_http = false;
    let mut verify_pushes = true;
    let mut names = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--plain-http" => plain_http = true,
            // The registry alone checks pushed digests (one hash less here).
            "--no-push-digest-check" => verify_pushes = false,
            "-h" | "--help" => {
                println!("usage: async_copy [--plain-http] SRC DST");
                return ExitCode::SUCCESS;
            }
            flag if flag.starts_with('-') => {
                eprintln!(
                    "async_copy: unknown option {flag:?}\nusage: async_copy [--plain-http] SRC DST"
                );
                return ExitCode::from(2);
            }
            _ => names.push(arg),
        }
    }
    let [source, destination] = names.as_slice() else {
        eprintln!("usage: async_copy [--plain-http] SRC DST");
        return ExitCode::from(2);
    };
    let (source, destination) = match (parse(source), parse(destination)) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("async_copy: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("async_copy: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(plain_http, verify_pushes, source, destination)) {
        Ok(digest) => {
            println!("{digest}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let mut message = e.to_string();
            let mut cause = e.source();
            while let Some(c) = cause {
                message.push_str(": ");
                message.push_str(&c.to_string());
                cause = c.source();
            }
            eprintln!("async_copy: {message}");
            ExitCode::from(1)
        }
    }
}
