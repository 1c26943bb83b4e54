//! Issue 16: a valid and an invalid document for every row of `REQUIREMENTS.md` that is
//! checked by `validate()` or by parsing, and a check that the table, the code and these
//! cases name the same rows.

use std::collections::BTreeSet;

use oci_image::{
    Descriptor, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest, Violation,
};
use serde_json::{Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The SHA-256 of no bytes.
const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const LAYER: &str = "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0";

#[derive(Clone, Copy)]
enum Doc {
    Manifest,
    Index,
    Config,
    Descriptor,
    Layout,
}

enum Expect {
    At(&'static str),
    Parse,
}

struct Case {
    id: &'static str,
    doc: Doc,
    valid: Value,
    invalid: Value,
    expect: Expect,
}

fn layer(media_type: &str) -> Value {
    json!({"mediaType": media_type, "digest": LAYER, "size": 32654})
}

fn base(doc: Doc) -> Value {
    match doc {
        Doc::Manifest => json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": EMPTY, "size": 0},
            "layers": [layer("application/vnd.oci.image.layer.v1.tar+gzip")]
        }),
        Doc::Index => json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": LAYER,
                           "size": 7143, "platform": {"architecture": "ppc64le", "os": "linux"}}]
        }),
        Doc::Config => json!({
            "architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [LAYER]}
        }),
        Doc::Descriptor => layer("application/vnd.oci.image.layer.v1.tar+gzip"),
        Doc::Layout => json!({"imageLayoutVersion": "1.0.0"}),
    }
}

fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

fn outcome(doc: Doc, bytes: &[u8]) -> Result<Vec<Violation>, String> {
    use oci_image::json::from_slice;
    let result = match doc {
        Doc::Manifest => from_slice::<ImageManifest>(bytes).map(|d| d.validate()),
        Doc::Index => from_slice::<ImageIndex>(bytes).map(|d| d.validate()),
        Doc::Config => from_slice::<ImageConfiguration>(bytes).map(|d| d.validate()),
        Doc::Descriptor => from_slice::<Descriptor>(bytes).map(|d| d.validate()),
        Doc::Layout => from_slice::<ImageLayout>(bytes).map(|d| d.validate()),
    };
    result.map_err(|e| e.to_string())
}

fn case(id: &'static str, doc: Doc, valid: Value, invalid: Value, expect: Expect) -> Case {
    Case { id, doc, valid, invalid, expect }
}

use Doc::{Config, Descriptor as Desc, Index, Layout, Manifest};
use Expect::{At, Parse};

fn cases() -> Vec<Case> {
    vec![
        // manifest.md
        case(
            "manifest.schemaVersion.required",
            Manifest,
            json!({}),
            json!({"schemaVersion": null}),
            Parse,
        ),
        case(
            "manifest.schemaVersion.2",
            Manifest,
            json!({"schemaVersion": 2}),
            json!({"schemaVersion": 1}),
            At("$.schemaVersion"),
        ),
        case(
            "manifest.mediaType",
            Manifest,
            json!({"mediaType": null}),
            json!({"mediaType": "application/vnd.oci.image.index.v1+json"}),
            At("$.mediaType"),
        ),
        case(
            "manifest.artifactType.empty-config",
            Manifest,
            json!({"artifactType": "application/vnd.example.sbom", "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": EMPTY, "size": 0}}),
            json!({"config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": EMPTY, "size": 0}}),
            At("$.artifactType"),
        ),
        case(
            "manifest.artifactType.rfc6838",
            Manifest,
            json!({"artifactType": "application/vnd.example.sbom+json"}),
            json!({"artifactType": "application/.sbom"}),
            At("$.artifactType"),
        ),
        case("manifest.config.required", Manifest, json!({}), json!({"config": null}), Parse),
        case(
            "manifest.config.mediaType-rfc6838",
            Manifest,
            json!({"artifactType": "application/x", "config": {"mediaType": "application/vnd.example.config+json", "digest": EMPTY, "size": 0}}),
            json!({"config": {"mediaType": "config", "digest": EMPTY, "size": 0}}),
            At("$.config.mediaType"),
        ),
        case("manifest.layers.descriptors", Manifest, json!({}), json!({"layers": [LAYER]}), Parse),
        case(
            "manifest.layers.mediaType-rfc6838",
            Manifest,
            json!({"layers": [layer("application/vnd.example.layer.v1+tar")]}),
            json!({"layers": [layer("application/vnd example")]}),
            At("$.layers[0].mediaType"),
        ),
        case(
            "manifest.annotations.rules",
            Manifest,
            json!({"annotations": {"org.opencontainers.image.title": "", "com.example.k": "v"}}),
            json!({"annotations": {"com.example.k": ["v"]}}),
            Parse,
        ),
        case(
            "manifest.layers.not-empty",
            Manifest,
            json!({}),
            json!({"layers": []}),
            At("$.layers"),
        ),
        case(
            "manifest.not-an-index",
            Manifest,
            json!({"x-extension": []}),
            json!({"manifests": []}),
            At("$.manifests"),
        ),
        // image-index.md
        case(
            "index.schemaVersion.required",
            Index,
            json!({}),
            json!({"schemaVersion": null}),
            Parse,
        ),
        case(
            "index.schemaVersion.2",
            Index,
            json!({}),
            json!({"schemaVersion": 3}),
            At("$.schemaVersion"),
        ),
        case(
            "index.mediaType",
            Index,
            json!({"mediaType": null}),
            json!({"mediaType": "application/vnd.oci.image.manifest.v1+json"}),
            At("$.mediaType"),
        ),
        case(
            "index.artifactType.rfc6838",
            Index,
            json!({"artifactType": "application/vnd.example"}),
            json!({"artifactType": "example"}),
            At("$.artifactType"),
        ),
        case(
            "index.manifests.required",
            Index,
            json!({"manifests": []}),
            json!({"manifests": null}),
            Parse,
        ),
        case(
            "index.manifests.mediaType-rfc6838",
            Index,
            json!({"manifests": [{"mediaType": "application/vnd.example.manifest.v2+json", "digest": LAYER, "size": 1}]}),
            json!({"manifests": [{"mediaType": "", "digest": LAYER, "size": 1}]}),
            At("$.manifests[0].mediaType"),
        ),
        case(
            "index.platform.architecture-required",
            Index,
            json!({"manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": LAYER, "size": 1, "platform": {"architecture": "s390x", "os": "linux"}}]}),
            json!({"manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": LAYER, "size": 1, "platform": {"os": "linux"}}]}),
            Parse,
        ),
        case(
            "index.platform.os-required",
            Index,
            json!({"manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": LAYER, "size": 1, "platform": {"architecture": "arm64", "os": "windows", "os.version": "10.0.17763"}}]}),
            json!({"manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": LAYER, "size": 1, "platform": {"architecture": "arm64"}}]}),
            Parse,
        ),
        case(
            "index.annotations.rules",
            Index,
            json!({"annotations": {"k": "v"}}),
            json!({"annotations": {"k": null}}),
            Parse,
        ),
        case("index.not-a-manifest", Index, json!({}), json!({"layers": []}), At("$.layers")),
        case(
            "index.platform.not-empty",
            Index,
            json!({"manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": LAYER, "size": 1, "platform": {"architecture": "amd64", "os": "linux"}}]}),
            json!({"manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": LAYER, "size": 1, "platform": {"architecture": "amd64", "os": ""}}]}),
            At("$.manifests[0].platform.os"),
        ),
        // config.md
        case(
            "config.architecture.required",
            Config,
            json!({}),
            json!({"architecture": null}),
            Parse,
        ),
        case("config.os.required", Config, json!({}), json!({"os": null}), Parse),
        case(
            "config.Labels.rules",
            Config,
            json!({"config": {"Labels": {"a": ""}}}),
            json!({"config": {"Labels": {"a": 1}}}),
            Parse,
        ),
        case(
            "config.rootfs.required",
            Config,
            json!({"rootfs": {"type": "layers", "diff_ids": []}}),
            json!({"rootfs": {"diff_ids": null}}),
            Parse,
        ),
        case(
            "config.rootfs.type-layers",
            Config,
            json!({}),
            json!({"rootfs": {"type": "snapshots"}}),
            At("$.rootfs.type"),
        ),
        case(
            "config.created.rfc3339",
            Config,
            json!({"created": "2015-10-31T22:22:56.015925234Z"}),
            json!({"created": "2015-10-31 22:22"}),
            At("$.created"),
        ),
        case(
            "config.history.created.rfc3339",
            Config,
            json!({"history": [{"created": "2015-10-31T22:22:54.690851953Z", "created_by": "/bin/sh"}]}),
            json!({"history": [{"created_by": "/bin/sh"}, {"created": "Oct 31"}]}),
            At("$.history[1].created"),
        ),
        case(
            "config.Env.format",
            Config,
            json!({"config": {"Env": ["A=", "PATH=/bin"]}}),
            json!({"config": {"Env": ["A=1", "foo"]}}),
            At("$.config.Env[1]"),
        ),
        // descriptor.md
        case("descriptor.mediaType.required", Desc, json!({}), json!({"mediaType": null}), Parse),
        case(
            "descriptor.mediaType.rfc6838",
            Desc,
            json!({"mediaType": "text/plain"}),
            json!({"mediaType": "text/.plain"}),
            At("$.mediaType"),
        ),
        case("descriptor.digest.required", Desc, json!({}), json!({"digest": null}), Parse),
        case("descriptor.size.required", Desc, json!({}), json!({"size": null}), Parse),
        case("descriptor.size.not-negative", Desc, json!({"size": 0}), json!({"size": -1}), Parse),
        case(
            "descriptor.size.int64",
            Desc,
            json!({"size": 9223372036854775807u64}),
            json!({"size": 9223372036854775808u64}),
            At("$.size"),
        ),
        case(
            "descriptor.urls.rfc3986",
            Desc,
            json!({"urls": ["https://example.com/layer.tar"]}),
            json!({"urls": ["https://example.com/a", "not a uri"]}),
            At("$.urls[1]"),
        ),
        case(
            "descriptor.annotations.rules",
            Desc,
            json!({"annotations": {"k": "v"}}),
            json!({"annotations": ["k"]}),
            Parse,
        ),
        case(
            "descriptor.data.base64",
            Desc,
            json!({"digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2, "data": "e30="}),
            json!({"digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2, "data": "e30"}),
            Parse,
        ),
        case(
            "descriptor.data.identical",
            Desc,
            json!({"digest": EMPTY, "size": 0, "data": ""}),
            json!({"digest": EMPTY, "size": 2, "data": "e30="}),
            At("$.data"),
        ),
        case(
            "descriptor.artifactType.rfc6838",
            Desc,
            json!({"artifactType": "application/vnd.example+type"}),
            json!({"artifactType": "vnd.example"}),
            At("$.artifactType"),
        ),
        case(
            "descriptor.digest.grammar",
            Desc,
            json!({"digest": "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"}),
            json!({"digest": "sha256+-b64:abc"}),
            Parse,
        ),
        case(
            "descriptor.digest.sha256-hex",
            Desc,
            json!({}),
            json!({"digest": LAYER.to_uppercase().replace("SHA256", "sha256")}),
            Parse,
        ),
        case(
            "descriptor.digest.sha512-hex",
            Desc,
            json!({"digest": format!("sha512:{}", "ab".repeat(64))}),
            json!({"digest": format!("sha512:{}", "ab".repeat(32))}),
            Parse,
        ),
        case(
            "descriptor.digest.blake3-hex",
            Desc,
            json!({"digest": format!("blake3:{}", "0f".repeat(32))}),
            json!({"digest": format!("blake3:{}", "0f".repeat(64))}),
            Parse,
        ),
        // image-layout.md
        case(
            "layout.oci-layout.object",
            Layout,
            json!({"x-extension": true}),
            json!({"imageLayoutVersion": null}),
            Parse,
        ),
        case(
            "layout.imageLayoutVersion.value",
            Layout,
            json!({}),
            json!({"imageLayoutVersion": "1.1.0"}),
            At("$.imageLayoutVersion"),
        ),
        case(
            "layout.index.is-index",
            Index,
            json!({"manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": LAYER, "size": 7143,
                                  "annotations": {"org.opencontainers.image.ref.name": "v1.0"}}]}),
            json!({"manifests": {"v1.0": LAYER}}),
            Parse,
        ),
        // annotations.md
        case(
            "annotations.strings",
            Desc,
            json!({"annotations": {"k": ""}}),
            json!({"annotations": {"k": true}}),
            Parse,
        ),
        case(
            "annotations.unique",
            Desc,
            json!({"annotations": {"a": "1", "b": "1"}}),
            json!({"annotations": "duplicate"}),
            Parse,
        ),
    ]
}

/// The invalid bytes of a case: one needs a repeated key, which `serde_json` cannot write.
fn invalid_bytes(case: &Case) -> Vec<u8> {
    let mut invalid = base(case.doc);
    merge(&mut invalid, &case.invalid);
    let bytes = serde_json::to_vec(&invalid).unwrap();
    if case.id == "annotations.unique" {
        let text = String::from_utf8(bytes).unwrap();
        return text
            .replace(r#""annotations":"duplicate""#, r#""annotations":{"a":"1","a":"2"}"#)
            .into_bytes();
    }
    bytes
}

#[test]
fn every_checkable_row_gets_the_spec_verdict() {
    let mut failures = Vec::new();
    for case in cases() {
        let mut valid = base(case.doc);
        merge(&mut valid, &case.valid);
        match outcome(case.doc, &serde_json::to_vec(&valid).unwrap()) {
            Ok(v) if v.is_empty() => {}
            other => failures.push(format!("{}: valid document got {other:?}", case.id)),
        }
        let got = outcome(case.doc, &invalid_bytes(&case));
        let ok = match (&case.expect, &got) {
            (Expect::Parse, Err(_)) => true,
            (Expect::At(path), Ok(v)) => v.iter().any(|v| v.path == *path),
            _ => false,
        };
        if !ok {
            failures.push(format!("{}: invalid document got {got:?}", case.id));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn table() -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let text = std::fs::read_to_string(format!("{ROOT}/REQUIREMENTS.md")).unwrap();
    let (mut validated, mut parsed, mut unchecked) = Default::default();
    for line in text
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| id ") && !l.starts_with("| ---"))
    {
        let cells: Vec<&str> = line.split(" | ").collect();
        let (id, check) = (cells[0].trim_start_matches("| ").to_owned(), cells[3]);
        let set: &mut BTreeSet<String> = if check.starts_with("not checkable") {
            &mut unchecked
        } else if check.starts_with("validate `") {
            &mut validated
        } else {
            assert!(check.starts_with("parse"), "{id}: check {check:?}");
            &mut parsed
        };
        assert!(set.insert(id.clone()), "row {id} twice");
    }
    (validated, parsed, unchecked)
}

#[test]
fn every_checkable_row_has_a_test() {
    let (validated, parsed, unchecked) = table();
    let tested: BTreeSet<String> = cases().iter().map(|c| c.id.to_owned()).collect();
    let checkable: BTreeSet<String> = validated.union(&parsed).cloned().collect();
    assert_eq!(tested, checkable, "cases and checkable rows differ");
    assert!(tested.is_disjoint(&unchecked));
    let mut code = String::new();
    for entry in std::fs::read_dir(format!("{ROOT}/src")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            code += &std::fs::read_to_string(path).unwrap();
        }
    }
    for id in &validated {
        assert!(code.contains(&format!("[{id}]")), "{id} is not named in src/");
    }
    eprintln!(
        "REQUIREMENTS.md: {} rows, {} checked ({} by validate, {} by parsing), {} not checkable",
        validated.len() + parsed.len() + unchecked.len(),
        checkable.len(),
        validated.len(),
        parsed.len(),
        unchecked.len()
    );
}
