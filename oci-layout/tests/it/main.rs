//! Integration tests of `oci-layout`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod archive;
mod bundle;
mod concurrency;
mod corpus;
mod create;
mod equivalence;
mod fsck;
mod fuzz_seeds;
mod gc;
mod interop;
mod layer;
mod store;
mod unpack;

use std::path::Path;

use oci_image::{Descriptor, Digest, ImageConfiguration, MediaType};
use oci_layout::Layout;

/// Writes a small image with `layers` uncompressed layers of the given contents; returns
/// the manifest descriptor (untagged).
pub(crate) fn small_image(layout: &Layout, arch: &str, layers: &[&[u8]]) -> Descriptor {
    let mut config = ImageConfiguration::new("linux", arch);
    let mut descriptors = Vec::new();
    for content in layers {
        let tar = tar_of(content);
        descriptors.push(layout.put_bytes(MediaType::ImageLayer, &tar).unwrap());
        config.rootfs.diff_ids.push(Digest::sha256(&tar));
    }
    let mut d = layout.write_image(&config, descriptors, Default::default()).unwrap();
    d.platform = Some(oci_image::Platform::new("linux", arch));
    d
}

/// Issue 17, class 3: adds to `layout`'s `index.json` an untagged entry naming `manifest`'s
/// digest as `application/octet-stream`, before or after the existing entries.
pub(crate) fn name_as_plain_blob(layout: &Layout, manifest: &Descriptor, first: bool) {
    let mut as_blob = Descriptor::new(
        MediaType::from("application/octet-stream"),
        manifest.size,
        manifest.digest.clone(),
    );
    as_blob.annotations.clear();
    layout
        .update_index(|index| {
            if first {
                index.manifests.insert(0, as_blob);
            } else {
                index.manifests.push(as_blob);
            }
            Ok(())
        })
        .unwrap();
}

/// A tar archive holding one file `file.txt` with `content`.
pub(crate) fn tar_of(content: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(1_700_000_000);
    header.set_cksum();
    builder.append_data(&mut header, "file.txt", content).unwrap();
    builder.into_inner().unwrap()
}

/// Runs a tool, failing with a clear message if it is missing or fails.
pub(crate) fn run(tool: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `{tool}` ({e}): install it (apt-get install {tool}) to run this test")
    });
    assert!(
        out.status.success(),
        "`{tool} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}
