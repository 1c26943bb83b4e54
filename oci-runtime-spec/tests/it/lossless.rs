//! Issue 16: every spec object keeps an unknown member through `from_slice` + `to_vec`,
//! and refuses that member twice.

use oci_runtime_spec::{Features, Spec, State};
use serde_json::{Map, Value, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lossless");

/// Members whose value is a map from names the document chooses to values: the map is
/// not a spec object, but its values may be.
const MAPS: [&str; 6] = ["annotations", "sysctl", "unified", "rdma", "netDevices", "timeOffsets"];

/// `value` with a distinct unknown member (`x-unknown-N`, a nested value) added to every
/// spec object; returns how many were added.
fn with_unknown(value: &mut Value, next: &mut usize) {
    match value {
        Value::Object(members) => {
            for (key, member) in members.iter_mut() {
                match member {
                    Value::Object(map) if MAPS.contains(&key.as_str()) => {
                        map.values_mut().for_each(|v| with_unknown(v, next));
                    }
                    _ => with_unknown(member, next),
                }
            }
            let name = format!("x-unknown-{next}");
            *next += 1;
            members.insert(name, json!({"nested": [1, {"deep": true}], "s": "kept"}));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| with_unknown(v, next)),
        _ => {}
    }
}

fn check<T: serde::de::DeserializeOwned + serde::Serialize>(file: &str, objects: usize) {
    let mut value: Value =
        serde_json::from_slice(&std::fs::read(format!("{FIXTURES}/{file}")).unwrap()).unwrap();
    let mut added = 0;
    with_unknown(&mut value, &mut added);
    assert_eq!(added, objects, "{file}: spec objects in the fixture");
    let bytes = serde_json::to_vec(&value).unwrap();
    let parsed: T = oci_runtime_spec::from_slice(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
    let again: Value = serde_json::from_slice(&oci_runtime_spec::to_vec(&parsed).unwrap()).unwrap();
    assert_eq!(again, value, "{file}: the round trip changed the document");

    // Every object refuses its unknown member twice.
    let text = String::from_utf8(bytes).unwrap();
    for n in 0..added {
        let key = format!("\"x-unknown-{n}\":");
        let twice = text.replacen(&key, &format!("{key}0,{key}"), 1);
        let err = oci_runtime_spec::from_slice::<T>(twice.as_bytes()).err();
        assert!(
            err.as_ref().is_some_and(|e| e.to_string().contains("duplicate")),
            "{file}: x-unknown-{n} twice: {err:?}"
        );
    }
}

#[test]
fn every_object_of_a_runtime_config_keeps_unknown_members() {
    check::<Spec>("config-every-object.json", 82);
}

#[test]
fn state_and_features_keep_unknown_members() {
    check::<State>("state-every-object.json", 1);
    // Features and its linux object, and the objects of features-linux.md kept as JSON.
    check::<Features>("features-every-object.json", 10);
}

#[test]
fn known_members_refused_twice_and_null_read_as_go_does() {
    let base = r#"{"ociVersion":"1.2.1","linux":{"resources":{"memory":{"limit":1}}}}"#;
    let twice = base.replace(r#""limit":1"#, r#""limit":1,"limit":2"#);
    assert!(oci_runtime_spec::from_slice::<Spec>(twice.as_bytes()).is_err());
    let nulls = r#"{"ociVersion":"1.2.1","mounts":null,"annotations":null,"process":null,
        "linux":{"namespaces":null,"sysctl":null,"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":null}}}"#;
    let spec: Spec = oci_runtime_spec::from_slice(nulls.as_bytes()).unwrap();
    assert!(spec.mounts.is_empty() && spec.process.is_none());
    let mut extra = Map::new();
    extra.insert("x".into(), Value::Null);
    let with_null = r#"{"ociVersion":"1.2.1","x":null}"#;
    assert_eq!(oci_runtime_spec::from_slice::<Spec>(with_null.as_bytes()).unwrap().extra, extra);
}

#[test]
fn features_keep_empty_apart_from_absent() {
    // features.md: `null` must not be confused with an empty value.
    for json in [
        r#"{"ociVersionMin":"1.0.0","ociVersionMax":"1.2.1","annotations":{},"hooks":[],"linux":{"namespaces":[]}}"#,
        r#"{"ociVersionMin":"1.0.0","ociVersionMax":"1.2.1"}"#,
    ] {
        let features: Features = oci_runtime_spec::from_slice(json.as_bytes()).unwrap();
        let again: Value =
            serde_json::from_slice(&oci_runtime_spec::to_vec(&features).unwrap()).unwrap();
        assert_eq!(again, serde_json::from_str::<Value>(json).unwrap());
    }
}
