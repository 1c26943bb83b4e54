//! Property tests: every parse/print pair round-trips, and no input panics.

use oci_image::{Digest, MediaType, Platform};
use proptest::prelude::*;

proptest! {
    #[test]
    fn digest_display_parse(alg in "[a-z0-9]{1,8}([+._-][a-z0-9]{1,8}){0,2}", enc in "[a-zA-Z0-9=_-]{1,80}") {
        let s = format!("{alg}:{enc}");
        match s.parse::<Digest>() {
            Ok(d) => {
                prop_assert_eq!(d.to_string(), s.clone());
                prop_assert_eq!(d.algorithm(), alg.as_str());
                prop_assert_eq!(d.encoded(), enc.as_str());
                let json = serde_json::to_string(&d).unwrap();
                prop_assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), d);
            }
            // Only registered algorithms may refuse a grammatical digest.
            Err(_) => prop_assert!(matches!(alg.as_str(), "sha256" | "sha384" | "sha512" | "blake3")),
        }
    }

    #[test]
    fn computed_digests_parse(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let d = Digest::sha256(&bytes);
        prop_assert_eq!(&d.as_str().parse::<Digest>().unwrap(), &d);
        prop_assert!(d.verify(&bytes).is_ok());
    }

    #[test]
    fn digest_never_panics(s in "\\PC{0,100}") {
        let _ = s.parse::<Digest>();
    }

    #[test]
    fn media_type_round_trip(s in "\\PC{0,60}") {
        let m = MediaType::from(s.as_str());
        prop_assert_eq!(m.as_str(), s.as_str());
        prop_assert_eq!(MediaType::from(m.to_string()), m);
    }

    #[test]
    fn platform_round_trip(os in "[a-z0-9]{1,10}", arch in "[a-z0-9_]{1,10}", variant in proptest::option::of("v[0-9]{1,2}")) {
        let s = match &variant { Some(v) => format!("{os}/{arch}/{v}"), None => format!("{os}/{arch}") };
        let p: Platform = s.parse().unwrap();
        // Printing a parsed platform gives its normal form, which parses to itself.
        let normal = p.to_string();
        prop_assert_eq!(&normal.parse::<Platform>().unwrap(), &p);
        prop_assert!(p.matches(&p));
    }

    #[test]
    fn documents_never_panic(s in "\\PC{0,200}") {
        let _ = oci_image::json::from_slice::<oci_image::ImageManifest>(s.as_bytes()).map(|m| m.validate());
        let _ = oci_image::json::from_slice::<oci_image::ImageIndex>(s.as_bytes()).map(|m| m.validate());
        let _ = oci_image::json::from_slice::<oci_image::ImageConfiguration>(s.as_bytes()).map(|m| m.validate());
        let _ = oci_image::json::from_slice::<oci_image::Descriptor>(s.as_bytes()).map(|m| m.validate());
    }
}
