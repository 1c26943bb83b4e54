//! Runtime documents (config.json, state, features): parse, validate, serialise, parse
//! again and compare. The first byte picks the document type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_runtime_spec::{Features, Spec, State, Status};
use serde::{Serialize, de::DeserializeOwned};

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(bytes: &[u8], check: impl Fn(&T)) {
    let Ok(first) = oci_runtime_spec::from_slice::<T>(bytes) else { return };
    check(&first);
    let serialised = serde_json::to_vec(&first).unwrap();
    let second: T = oci_runtime_spec::from_slice(&serialised)
        .unwrap_or_else(|e| panic!("our own output does not parse: {e}\n{}", String::from_utf8_lossy(&serialised)));
    assert_eq!(first, second);
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else { return };
    match which % 3 {
        0 => round_trip::<Spec>(bytes, |s| drop(s.validate())),
        1 => round_trip::<State>(bytes, |s| {
            drop(s.validate());
            for op in [oci_runtime_spec::Operation::Start, oci_runtime_spec::Operation::Kill, oci_runtime_spec::Operation::Delete] {
                let _ = s.status.apply(op);
            }
            let _ = Status::Created;
        }),
        _ => round_trip::<Features>(bytes, |f| drop(f.validate())),
    }
});
