//! Profiling aid: parses one fixture in a loop, ours or oci-spec's (`ours`, `theirs`:
//! the image config; `rt-ours`, `rt-parse`, `rt-theirs`: runc's config.json; `rt-ex-ours`,
//! `rt-ex-theirs`: the config.md example; `manifest`, `manifest-theirs`).
#![allow(missing_docs, clippy::expect_used)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map(String::as_str).unwrap_or("ours");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let bytes = include_bytes!("../fixtures/config-100-history.json");
    let rt = include_bytes!("../fixtures/runc-spec.json");
    let manifest = include_bytes!("../fixtures/app-manifest.json");
    let ex = include_bytes!("../../conformance/runtime-spec/examples/config.md-example.json");
    let mut total = 0usize;
    for _ in 0..n {
        total += match which {
            "ours" => {
                let c: oci_image::ImageConfiguration =
                    oci_image::json::from_slice(std::hint::black_box(bytes)).expect("parses");
                c.validate().len() + c.history.len()
            }
            "theirs" => {
                let c: oci_spec::image::ImageConfiguration =
                    serde_json::from_slice(std::hint::black_box(bytes)).expect("parses");
                c.history().as_ref().map_or(0, Vec::len)
            }
            "rt-ours" => {
                let s: oci_runtime_spec::Spec =
                    oci_runtime_spec::from_slice(std::hint::black_box(rt)).expect("parses");
                s.validate().len()
            }
            "manifest" => {
                let m: oci_image::ImageManifest =
                    oci_image::json::from_slice(std::hint::black_box(manifest)).expect("parses");
                m.validate().len()
            }
            "manifest-theirs" => {
                let m: oci_spec::image::ImageManifest =
                    serde_json::from_slice(std::hint::black_box(manifest)).expect("parses");
                m.layers().len()
            }
            "rt-parse" => {
                let s: oci_runtime_spec::Spec =
                    oci_runtime_spec::from_slice(std::hint::black_box(rt)).expect("parses");
                s.mounts.len()
            }
            "rt-ex-ours" => {
                let s: oci_runtime_spec::Spec =
                    oci_runtime_spec::from_slice(std::hint::black_box(ex)).expect("parses");
                s.validate().len()
            }
            "rt-ex-theirs" => {
                let s: oci_spec::runtime::Spec =
                    serde_json::from_slice(std::hint::black_box(ex)).expect("parses");
                s.mounts().as_ref().map_or(0, Vec::len)
            }
            "rt-theirs" => {
                let s: oci_spec::runtime::Spec =
                    serde_json::from_slice(std::hint::black_box(rt)).expect("parses");
                s.mounts().as_ref().map_or(0, Vec::len)
            }
            _ => 0,
        };
    }
    println!("{total}");
}
