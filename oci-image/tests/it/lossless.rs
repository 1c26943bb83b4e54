//! Issue 16: every spec object keeps an unknown member through `json::from_slice` +
//! `json::to_vec`, and refuses that member twice; the free-form values of
//! `ExposedPorts` and `Volumes` are kept as they came.

use oci_image::{Descriptor, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest};
use serde_json::{Value, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lossless");

/// Members whose value maps names the document chooses to values.
const MAPS: [&str; 4] = ["annotations", "Labels", "ExposedPorts", "Volumes"];

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

fn check<T: serde::de::DeserializeOwned + serde::Serialize>(value: Value, objects: usize) {
    let mut value = value;
    let mut added = 0;
    with_unknown(&mut value, &mut added);
    assert_eq!(added, objects, "{value}: spec objects");
    let bytes = serde_json::to_vec(&value).unwrap();
    let parsed: T = oci_image::json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}: {value}"));
    let again: Value = serde_json::from_slice(&oci_image::json::to_vec(&parsed).unwrap()).unwrap();
    assert_eq!(again, value, "the round trip changed the document");
    let mut written = Vec::new();
    oci_image::json::to_writer(&mut written, &parsed).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&written).unwrap(), value);

    let text = String::from_utf8(bytes).unwrap();
    for n in 0..added {
        let key = format!("\"x-unknown-{n}\":");
        let twice = text.replacen(&key, &format!("{key}0,{key}"), 1);
        let err = oci_image::json::from_slice::<T>(twice.as_bytes()).err();
        assert!(
            err.as_ref().is_some_and(|e| e.to_string().contains("duplicate")),
            "x-unknown-{n} twice: {err:?}"
        );
    }
}

fn fixture(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(format!("{FIXTURES}/{name}")).unwrap()).unwrap()
}

#[test]
fn every_object_of_each_document_keeps_unknown_members() {
    // manifest, config, layer, subject
    check::<ImageManifest>(fixture("manifest.json"), 4);
    // index, manifest descriptor, its platform, subject
    check::<ImageIndex>(fixture("index.json"), 4);
    // configuration, config, two map values, healthcheck, rootfs, history entry
    check::<ImageConfiguration>(fixture("config.json"), 7);
    check::<ImageLayout>(fixture("layout.json"), 1);
    check::<Descriptor>(fixture("manifest.json")["layers"][0].clone(), 1);
}

#[test]
fn exposed_ports_and_volumes_values_kept_as_they_came() {
    let mut config = fixture("config.json");
    config["config"]["ExposedPorts"]["53/udp"] = json!({"note": "resolver"});
    config["config"]["Volumes"]["/cache"] = json!({});
    let parsed: ImageConfiguration =
        oci_image::json::from_slice(&serde_json::to_vec(&config).unwrap()).unwrap();
    assert_eq!(parsed.config.exposed_ports["53/udp"], json!({"note": "resolver"}));
    let mut built = ImageConfiguration::new("linux", "amd64");
    built.config.expose("80/tcp");
    built.config.add_volume("/data");
    let json: Value = serde_json::to_value(&built).unwrap();
    assert_eq!(json["config"], json!({"ExposedPorts": {"80/tcp": {}}, "Volumes": {"/data": {}}}));
}

#[test]
fn history_and_configuration_constructors() {
    let mut config = ImageConfiguration::from_platform(&"windows/amd64".parse().unwrap());
    config.history.push(oci_image::History::new("COPY app /app"));
    config.history.push(oci_image::History::empty_layer("CMD [\"/app\"]"));
    assert_eq!(config.os, "windows");
    assert_eq!(config.history[1].empty_layer, Some(true));
    assert!(config.validate().is_empty());
    let again: ImageConfiguration =
        oci_image::json::from_slice(&oci_image::json::to_vec(&config).unwrap()).unwrap();
    assert_eq!(again, config);
}
