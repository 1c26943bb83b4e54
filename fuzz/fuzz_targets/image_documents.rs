//! Every image-spec document: parse, validate, serialise, parse again and compare. The
//! first byte picks the document type; the rest is the JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_image::{Descriptor, Document, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest, MediaType};
use serde::{Serialize, de::DeserializeOwned};

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(bytes: &[u8], validate: impl Fn(&T)) {
    let Ok(first) = oci_image::json::from_slice::<T>(bytes) else { return };
    validate(&first);
    let serialised = oci_image::json::to_vec(&first).unwrap();
    let second: T = oci_image::json::from_slice(&serialised)
        .unwrap_or_else(|e| panic!("our own output does not parse: {e}\n{}", String::from_utf8_lossy(&serialised)));
    assert_eq!(first, second);
    assert_eq!(serialised, oci_image::json::to_vec(&second).unwrap());
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else { return };
    match which % 7 {
        0 => round_trip::<ImageManifest>(bytes, |m| drop(m.validate())),
        1 => round_trip::<ImageIndex>(bytes, |i| {
            drop(i.validate());
            if let Ok(p) = "linux/arm/v7".parse() {
                let _ = i.find_platform(&p);
            }
        }),
        2 => round_trip::<ImageConfiguration>(bytes, |c| drop((c.validate(), c.platform()))),
        3 => round_trip::<Descriptor>(bytes, |d| drop((d.validate(), d.embedded()))),
        4 => round_trip::<ImageLayout>(bytes, |l| drop(l.validate())),
        5 => {
            for media_type in [MediaType::ImageManifest, MediaType::ImageIndex, MediaType::DockerManifest] {
                if let Ok(doc) = Document::parse(&media_type, bytes) {
                    let _ = (doc.validate(), doc.children().count());
                }
            }
        }
        _ => {
            if let Ok(m) = oci_image::json::from_slice::<ImageManifest>(bytes) {
                if let Ok(d) = m.to_docker() {
                    let _ = d.to_oci();
                }
            }
        }
    }
});
