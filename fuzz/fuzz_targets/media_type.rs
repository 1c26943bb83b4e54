//! MediaType: every string is kept verbatim and known strings are never `Other`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_image::MediaType;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let m = MediaType::from(s);
    assert_eq!(m.as_str(), s);
    if let MediaType::Other(_) = &m {
        assert!(!MediaType::KNOWN.iter().any(|k| k.as_str() == s));
    }
    let _ = (m.is_well_formed(), m.to_oci(), m.to_docker(), m.layer_compression());
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(serde_json::from_str::<MediaType>(&json).unwrap(), m);
});
