//! Platform: parsing never panics; the printed normal form parses to the same value;
//! matching is reflexive for what parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_image::Platform;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(p) = s.parse::<Platform>() {
        let printed = p.to_string();
        let again: Platform = printed.parse().unwrap();
        assert_eq!(again, p, "{s:?} printed as {printed:?}");
        assert_eq!(p.normalized(), p);
        assert!(p.matches(&p));
    }
    // Matching arbitrary JSON platforms against each other never panics.
    if let Ok(list) = serde_json::from_slice::<Vec<Platform>>(data) {
        if let Some(first) = list.first() {
            let _ = first.best_match(&list);
        }
    }
});
