//! Integration tests of `oci-runtime-spec`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod constructors;
mod lossless;
mod requirements;

use std::process::Command;

use oci_runtime_spec::{Features, Spec, State};
use serde::Deserialize;
use serde_json::Value;

const CONFORMANCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../conformance");

/// `value` without nulls and empty arrays or objects, which a round trip may drop.
fn without_empty(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), without_empty(v)))
                .filter(|(_, v)| {
                    !matches!(v, Value::Null)
                        && v != &Value::Array(vec![])
                        && v != &Value::Object(Default::default())
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_empty).collect()),
        other => other.clone(),
    }
}

fn assert_lossless<T: serde::de::DeserializeOwned + serde::Serialize>(
    bytes: &[u8],
    what: &str,
) -> T {
    let parsed: T = serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    let again = serde_json::to_vec(&parsed).unwrap();
    let original: Value = serde_json::from_slice(bytes).unwrap();
    let reparsed: Value = serde_json::from_slice(&again).unwrap();
    assert_eq!(
        without_empty(&original),
        without_empty(&reparsed),
        "{what}: round trip changed the document"
    );
    parsed
}

#[derive(Deserialize)]
struct Case {
    spec: String,
    kind: String,
    file: String,
    expect: String,
}

fn check(kind: &str, bytes: &[u8], lossless: bool) -> Result<usize, String> {
    fn run<T: serde::de::DeserializeOwned + serde::Serialize>(
        bytes: &[u8],
        lossless: bool,
        validate: impl Fn(&T) -> Vec<oci_runtime_spec::Violation>,
    ) -> Result<usize, String> {
        let value: T = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if lossless {
            assert_lossless::<T>(bytes, "case");
        }
        Ok(validate(&value).len())
    }
    match kind {
        "runtime-config" => run(bytes, lossless, Spec::validate),
        "state" => run(bytes, lossless, State::validate),
        "features" => run(bytes, lossless, Features::validate),
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn every_runtime_spec_case() {
    let cases: Vec<Case> =
        serde_json::from_slice(&std::fs::read(format!("{CONFORMANCE}/cases.json")).unwrap())
            .unwrap();
    let cases: Vec<Case> = cases.into_iter().filter(|c| c.spec == "runtime-spec").collect();
    assert_eq!(cases.len(), 21);
    let mut failures = Vec::new();
    for case in &cases {
        let bytes = std::fs::read(format!("{CONFORMANCE}/{}", case.file)).unwrap();
        let valid = case.expect == "valid";
        match (valid, check(&case.kind, &bytes, valid)) {
            (true, Ok(0)) | (false, Err(_)) => {}
            (false, Ok(n)) if n > 0 => {}
            (_, outcome) => failures.push(format!("{} ({}): {outcome:?}", case.file, case.expect)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn tool(name: &str, args: &[&str], dir: &std::path::Path) {
    let out = Command::new(name).args(args).current_dir(dir).output().unwrap_or_else(|e| {
        panic!("cannot run `{name}` ({e}): install it (apt-get install {name}) to run this test")
    });
    assert!(
        out.status.success(),
        "`{name} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// runc's config with its own ociVersion replaced by ours, for comparison.
fn runc_spec(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    tool("runc", args, dir.path());
    let bytes = std::fs::read(dir.path().join("config.json")).unwrap();
    assert_lossless::<Spec>(&bytes, "runc spec");
    let mut value: Value = serde_json::from_slice(&bytes).unwrap();
    value["ociVersion"] = Value::String(oci_runtime_spec::VERSION.to_owned());
    value
}

#[test]
fn defaults_equal_runc_spec() {
    assert_eq!(serde_json::to_value(Spec::default()).unwrap(), runc_spec(&["spec"]));
    assert_eq!(serde_json::to_value(Spec::rootless()).unwrap(), runc_spec(&["spec", "--rootless"]));
    assert!(Spec::default().validate().is_empty());
    assert!(Spec::rootless().validate().is_empty());
}

#[test]
fn configs_real_tools_write_round_trip() {
    for args in [&["spec"][..], &["spec", "--rootless"]] {
        let dir = tempfile::tempdir().unwrap();
        tool("crun", args, dir.path());
        let bytes = std::fs::read(dir.path().join("config.json")).unwrap();
        let spec = assert_lossless::<Spec>(&bytes, "crun spec");
        assert!(spec.validate().is_empty(), "{:?}", spec.validate());
    }
    // umoci writes a config.json when it unpacks a bundle.
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let l = layout.to_str().unwrap();
    tool("umoci", &["init", "--layout", l], dir.path());
    tool("umoci", &["new", "--image", &format!("{l}:t")], dir.path());
    tool(
        "umoci",
        &[
            "config",
            "--image",
            &format!("{l}:t"),
            "--config.cmd",
            "/bin/true",
            "--config.env",
            "A=b",
        ],
        dir.path(),
    );
    tool("umoci", &["unpack", "--rootless", "--image", &format!("{l}:t"), "bundle"], dir.path());
    let bytes = std::fs::read(dir.path().join("bundle/config.json")).unwrap();
    let spec = assert_lossless::<Spec>(&bytes, "umoci unpack");
    assert_eq!(spec.process.unwrap().args, ["/bin/true"]);
}

#[test]
fn unknown_open_set_values_parse_and_invalid_values_are_flagged() {
    let mut value = serde_json::to_value(Spec::default()).unwrap();
    value["process"]["capabilities"]["bounding"]
        .as_array_mut()
        .unwrap()
        .push("CAP_FROM_THE_FUTURE".into());
    value["linux"]["namespaces"].as_array_mut().unwrap().push(serde_json::json!({"type": "pid"}));
    value["linux"]["seccomp"] = serde_json::json!({"defaultAction": "SCMP_ACT_NEW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_WHAT"}]}]});
    value["hooks"] = serde_json::json!({"poststop": [{"path": "relative/hook", "timeout": 0}]});
    let spec: Spec = serde_json::from_value(value).unwrap();
    let paths: Vec<String> = spec.validate().into_iter().map(|v| v.path).collect();
    // Unknown capabilities are for the runtime to warn about, not an invalid document.
    assert!(!paths.iter().any(|p| p.contains("capabilities")), "{paths:?}");
    for expected in [
        "$.linux.namespaces[5].type",
        "$.linux.seccomp.defaultAction",
        "$.linux.seccomp.syscalls[0].args[0].op",
        "$.hooks.poststop[0].path",
        "$.hooks.poststop[0].timeout",
    ] {
        assert!(paths.iter().any(|p| p == expected), "{expected} not in {paths:?}");
    }
}

#[test]
fn duplicate_keys_are_errors() {
    assert!(
        serde_json::from_str::<State>(
            r#"{"ociVersion":"1.0.0","id":"a","id":"b","status":"created","pid":1,"bundle":"/b"}"#
        )
        .is_err()
    );
    assert!(serde_json::from_str::<State>(r#"{"ociVersion":"1.0.0","id":"a","status":"created","pid":1,"bundle":"/b","annotations":{"k":"1","k":"2"}}"#).is_err());
    assert!(serde_json::from_str::<State>(r#"{"ociVersion":"1.0.0","id":"a","status":"created","pid":1,"bundle":"/b","x":1,"x":2}"#).is_err());
    let state: State = serde_json::from_str(
        r#"{"ociVersion":"1.0.0","id":"a","status":"running","bundle":"rel"}"#,
    )
    .unwrap();
    let v: Vec<String> = state.validate().into_iter().map(|v| v.path).collect();
    assert_eq!(v, ["$.bundle", "$.pid"]);
}

#[test]
fn platform_sections_are_typed_and_lossless() {
    let doc = br#"{
      "ociVersion": "1.2.1",
      "process": {"cwd": "C:\\", "commandLine": "cmd.exe", "user": {"username": "ContainerUser"}},
      "windows": {
        "layerFolders": ["C:\\Layers\\layer2", "C:\\Layers\\layer1"],
        "devices": [{"id": "24E552D7-6523-47F7-A647-D3465BF1F5CA", "idType": "class"}],
        "resources": {"memory": {"limit": 2097152}, "cpu": {"count": 2, "shares": 256, "maximum": 5000,
                      "affinity": [{"mask": 3, "group": 0}]}, "storage": {"iops": 50, "bps": 1000, "sandboxSize": 10}},
        "network": {"endpointList": ["7a010682-17e0-4455-a838-02e5d9655fe6"], "allowUnqualifiedDNSQuery": true,
                    "DNSSearchList": ["a.com"], "networkSharedContainerName": "c", "networkNamespace": "n"},
        "credentialSpec": {"anything": ["opaque"]},
        "servicing": true, "ignoreFlushesDuringBoot": true,
        "hyperv": {"utilityVMPath": "C:\\path\\to\\uvm"}
      },
      "vm": {"hypervisor": {"path": "/usr/bin/qemu", "parameters": ["-x"]}, "kernel": {"path": "/k", "initrd": "/i"},
             "image": {"path": "/img", "format": "raw"},
             "hwConfig": {"vcpus": 2, "memory": 512, "dtdevs": ["/a"], "iomems": [{"firstGFN": 1, "firstMFN": 2, "nrMFNs": 3}], "irqs": [5]}},
      "solaris": {"milestone": "svc:/milestone/container:default", "limitpriv": "default", "maxShmMemory": "512m",
                  "cappedCPU": {"ncpus": "8"}, "cappedMemory": {"physical": "512m", "swap": "512m"},
                  "anet": [{"linkname": "net0", "allowedAddress": "172.17.0.2/16", "configureAllowedAddress": "true",
                            "defrouter": "172.17.0.1/16", "linkProtection": "mac-nospoof, ip-nospoof", "macAddress": "02:42:f8:52:c7:16"}]},
      "freebsd": {"devices": [{"path": "pf", "mode": 432}], "jail": {"host": "new", "vnet": "new", "ip4": "disable",
                  "vnetInterfaces": ["epair0b"], "enforceStatfs": 2, "allow": {"rawSockets": true, "mount": ["tmpfs"]}}}
    }"#;
    let spec = assert_lossless::<Spec>(doc, "platform sections");
    let w = spec.windows.as_ref().unwrap();
    assert_eq!(w.devices[0].id_type, "class");
    assert_eq!(w.resources.as_ref().unwrap().cpu.as_ref().unwrap().affinity[0].mask, 3);
    assert_eq!(w.network.as_ref().unwrap().dns_search_list, ["a.com"]);
    let vm = spec.vm.as_ref().unwrap();
    assert_eq!(vm.hw_config.as_ref().unwrap().iomems[0].nr_mfns, 3);
    assert_eq!(spec.solaris.as_ref().unwrap().anet[0].linkname.as_deref(), Some("net0"));
    let jail = spec.freebsd.as_ref().unwrap().jail.as_ref().unwrap();
    assert_eq!(jail.allow.as_ref().unwrap().mount, ["tmpfs"]);
    assert!(spec.validate().is_empty(), "{:?}", spec.validate());
    let mut bad = spec.clone();
    bad.freebsd.as_mut().unwrap().jail.as_mut().unwrap().sysvshm = Some("sometimes".into());
    assert_eq!(bad.validate()[0].path, "$.freebsd.jail.sysvshm");
}
