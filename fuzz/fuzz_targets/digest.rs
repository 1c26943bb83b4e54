//! Digest: parsing never panics; what parses prints back identically and survives JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_image::Digest;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(d) = s.parse::<Digest>() {
        assert_eq!(d.as_str(), s);
        assert_eq!(format!("{}:{}", d.algorithm(), d.encoded()), s);
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), d);
        if let Ok(mut h) = d.hasher() {
            h.update(data);
            let other = h.finalize();
            assert_eq!(other.as_str().parse::<Digest>().unwrap(), other);
        }
    }
});
