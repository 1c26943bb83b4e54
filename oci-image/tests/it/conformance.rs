//! Every image-spec case of `conformance/cases.json`: valid ones parse, validate clean and
//! round-trip losslessly; invalid ones fail to parse or yield a violation.

use oci_image::{
    Descriptor, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest, Violation,
};
use serde::Deserialize;

use crate::{CONFORMANCE, assert_lossless};

#[derive(Deserialize)]
struct Case {
    spec: String,
    kind: String,
    file: String,
    expect: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    original_file: Option<String>,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read(format!("{CONFORMANCE}/cases.json")).unwrap();
    serde_json::from_slice::<Vec<Case>>(&text)
        .unwrap()
        .into_iter()
        .filter(|c| c.spec == "image-spec")
        .collect()
}

/// Parses and validates: `Err` with the parse error, or the violations.
fn check(kind: &str, bytes: &[u8], lossless: bool) -> Result<Vec<Violation>, String> {
    fn run<T: serde::de::DeserializeOwned + serde::Serialize>(
        bytes: &[u8],
        lossless: bool,
        validate: impl Fn(&T) -> Vec<Violation>,
    ) -> Result<Vec<Violation>, String> {
        let value: T = oci_image::json::from_slice(bytes).map_err(|e| e.to_string())?;
        if lossless {
            assert_lossless::<T>(bytes, "case");
        }
        Ok(validate(&value))
    }
    match kind {
        "descriptor" => run(bytes, lossless, Descriptor::validate),
        "manifest" => run(bytes, lossless, ImageManifest::validate),
        "index" => run(bytes, lossless, ImageIndex::validate),
        "config" => run(bytes, lossless, ImageConfiguration::validate),
        "layout" => run(bytes, lossless, ImageLayout::validate),
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn every_image_spec_case() {
    let cases = cases();
    assert_eq!(cases.len(), 84, "cases.json should list 84 image-spec cases");
    let mut failures = Vec::new();
    for case in &cases {
        let bytes = std::fs::read(format!("{CONFORMANCE}/{}", case.file)).unwrap();
        let valid = case.expect == "valid";
        let outcome = check(&case.kind, &bytes, valid);
        match (valid, &outcome) {
            (true, Ok(v)) if v.is_empty() => {}
            (false, Err(_)) => {}
            (false, Ok(v)) if !v.is_empty() => {}
            _ => failures
                .push(format!("{} ({}; {}): {:?}", case.file, case.expect, case.note, outcome)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn invalid_cases_say_where() {
    // Spot checks that violations carry the JSON path of the offending field.
    let expect = [
        (
            "image-spec/cases/descriptor/17-invalid-urls-does-not-match-format-invalide-url-char.json",
            "$.urls[0]",
        ),
        (
            "image-spec/cases/descriptor/19-invalid-artifacttype-does-not-match-pattern-invalid.json",
            "$.artifactType",
        ),
        (
            "image-spec/cases/manifest/00-invalid-mediatype-does-not-match-pattern.json",
            "$.config.mediaType",
        ),
        ("image-spec/cases/manifest/05-invalid-empty-layer-expected-at-least-one.json", "$.layers"),
        (
            "image-spec/cases/index/05-invalid-empty-referenced-manifest-media-type.json",
            "$.manifests[0].mediaType",
        ),
        ("image-spec/cases/config/09-invalid-env-is-invalid.json", "$.config.Env[0]"),
    ];
    for (file, path) in expect {
        let case = cases().into_iter().find(|c| c.file == file).unwrap();
        let bytes = std::fs::read(format!("{CONFORMANCE}/{file}")).unwrap();
        let violations = check(&case.kind, &bytes, false).unwrap();
        assert!(violations.iter().any(|v| v.path == path), "{file}: {violations:?}");
    }
}

#[test]
fn docker_originals_parse_and_convert() {
    for case in cases().iter().filter(|c| c.original_file.is_some()) {
        let original =
            std::fs::read(format!("{CONFORMANCE}/{}", case.original_file.as_deref().unwrap()))
                .unwrap();
        let transformed: serde_json::Value =
            serde_json::from_slice(&std::fs::read(format!("{CONFORMANCE}/{}", case.file)).unwrap())
                .unwrap();
        let converted = match case.kind.as_str() {
            "manifest" => {
                let m = assert_lossless::<ImageManifest>(&original, &case.file);
                assert!(m.validate().is_empty());
                serde_json::to_value(m.to_oci().unwrap()).unwrap()
            }
            "index" => {
                let i = assert_lossless::<ImageIndex>(&original, &case.file);
                assert!(i.validate().is_empty());
                let converted = i
                    .to_oci(|d| {
                        Ok(Descriptor::new(d.media_type.to_oci(), d.size, d.digest.clone()))
                    })
                    .unwrap();
                serde_json::to_value(converted).unwrap()
            }
            "config" => {
                let c = assert_lossless::<ImageConfiguration>(&original, &case.file);
                assert!(c.validate().is_empty());
                // Configurations are not rewritten when converting: same bytes.
                serde_json::to_value(c).unwrap()
            }
            other => panic!("{other}"),
        };
        assert_eq!(
            crate::without_empty(&converted),
            crate::without_empty(&transformed),
            "{}",
            case.file
        );
    }
}
