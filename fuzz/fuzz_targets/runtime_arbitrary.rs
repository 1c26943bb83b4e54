//! Structured runtime documents from `arbitrary`: validation never panics and a round
//! trip through JSON gives the same value.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use oci_runtime_spec::{Features, Spec, State};

#[derive(Debug, Arbitrary)]
enum Input {
    Spec(Box<Spec>),
    State(State),
    Features(Features),
}

fn check<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let bytes = serde_json::to_vec(value).unwrap();
    let back: T = oci_runtime_spec::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
    assert_eq!(&back, value);
}

fuzz_target!(|input: Input| {
    match &input {
        Input::Spec(s) => {
            let _ = s.validate();
            check(s.as_ref());
        }
        Input::State(s) => {
            let _ = s.validate();
            check(s);
        }
        Input::Features(f) => {
            let _ = f.validate();
            check(f);
        }
    }
});
