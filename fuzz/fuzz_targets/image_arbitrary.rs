//! Structured documents from `arbitrary`: serialise, parse and compare, and validation
//! never panics.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use oci_image::{ImageConfiguration, ImageIndex, ImageManifest};

#[derive(Debug, Arbitrary)]
enum Input {
    Manifest(ImageManifest),
    Index(ImageIndex),
    Config(ImageConfiguration),
}

fn check<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let bytes = oci_image::json::to_vec(value).unwrap();
    let back: T = oci_image::json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
    assert_eq!(&back, value);
}

fuzz_target!(|input: Input| {
    match &input {
        Input::Manifest(m) => {
            let _ = m.validate();
            check(m);
        }
        Input::Index(i) => {
            let _ = i.validate();
            check(i);
        }
        Input::Config(c) => {
            let _ = c.validate();
            check(c);
        }
    }
});
