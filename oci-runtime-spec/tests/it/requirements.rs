//! Issue 16: a valid and an invalid document for every row of `REQUIREMENTS.md` that is
//! checked by `validate()` or by parsing, and a check that the table, the code and these
//! cases name the same rows.

use std::collections::BTreeSet;

use oci_runtime_spec::{Features, Spec, State, Violation};
use serde_json::{Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// What the invalid document of a case gets.
enum Expect {
    /// A violation at this JSON path.
    At(&'static str),
    /// An error from `from_slice`.
    Parse,
}

#[derive(Clone, Copy)]
enum Doc {
    /// A minimal Linux config.
    Linux,
    /// A minimal Windows Server container config.
    Windows,
    /// A minimal FreeBSD config (no `linux` section).
    FreeBsd,
    State,
    Features,
}

struct Case {
    id: &'static str,
    doc: Doc,
    /// Merged into the base document (RFC 7386: `null` removes a member).
    valid: Value,
    invalid: Invalid,
    expect: Expect,
}

/// How the invalid document is made.
enum Invalid {
    /// Merged into the base document.
    Patch(Value),
    /// Exact bytes, for what `serde_json` cannot write (bad UTF-8, a repeated key).
    Bytes(&'static [u8]),
}

fn base(doc: Doc) -> Value {
    match doc {
        Doc::Linux => json!({
            "ociVersion": "1.2.1",
            "root": {"path": "rootfs"},
            "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0}},
            "linux": {}
        }),
        Doc::Windows => json!({
            "ociVersion": "1.2.1",
            "root": {"path": "\\\\?\\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\\"},
            "process": {"cwd": "C:\\", "commandLine": "cmd.exe"},
            "windows": {"layerFolders": ["C:\\layers\\base"]}
        }),
        Doc::FreeBsd => json!({
            "ociVersion": "1.2.1",
            "root": {"path": "rootfs"},
            "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0}},
            "freebsd": {}
        }),
        Doc::State => json!({
            "ociVersion": "1.2.1", "id": "c1", "status": "running", "pid": 42, "bundle": "/b"
        }),
        Doc::Features => json!({"ociVersionMin": "1.0.0", "ociVersionMax": "1.2.1"}),
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
    let result = match doc {
        Doc::Linux | Doc::Windows | Doc::FreeBsd => {
            oci_runtime_spec::from_slice::<Spec>(bytes).map(|s| s.validate())
        }
        Doc::State => oci_runtime_spec::from_slice::<State>(bytes).map(|s| s.validate()),
        Doc::Features => oci_runtime_spec::from_slice::<Features>(bytes).map(|s| s.validate()),
    };
    result.map_err(|e| e.to_string())
}

fn case(id: &'static str, doc: Doc, valid: Value, invalid: Value, expect: Expect) -> Case {
    Case { id, doc, valid, invalid: Invalid::Patch(invalid), expect }
}

use Doc::{FreeBsd, Linux, Windows};
use Expect::{At, Parse};

fn cases() -> Vec<Case> {
    vec![
        // config.md
        case("config.ociVersion.required", Linux, json!({}), json!({"ociVersion": null}), Parse),
        case("config.ociVersion.semver", Linux, json!({"ociVersion": "1.0.2-dev"}), json!({"ociVersion": "1.0"}), At("$.ociVersion")),
        case("config.root.windows-server-required", Windows, json!({}), json!({"root": null}), At("$.root")),
        case("config.root.hyperv-not-set", Windows,
            json!({"root": null, "windows": {"hyperv": {}}}),
            json!({"windows": {"hyperv": {}}}), At("$.root")),
        case("config.root.required", Linux, json!({}), json!({"root": null}), At("$.root")),
        case("config.root.path-required", Linux, json!({"root": {"path": "/abs/rootfs"}}), json!({"root": {"path": null, "readonly": true}}), Parse),
        case("config.root.windows-volume-guid", Windows, json!({}), json!({"root": {"path": "C:\\rootfs"}}), At("$.root.path")),
        case("config.root.windows-readonly", Windows, json!({"root": {"readonly": false}}), json!({"root": {"readonly": true}}), At("$.root.readonly")),
        case("config.mounts.destination-required", Linux,
            json!({"mounts": [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]}),
            json!({"mounts": [{"type": "tmpfs", "source": "tmpfs"}]}), Parse),
        case("config.mounts.destination-absolute-windows", Windows,
            json!({"mounts": [{"destination": "C:\\data", "source": "C:\\host"}]}),
            json!({"mounts": [{"destination": "data", "source": "C:\\host"}]}), At("$.mounts[0].destination")),
        case("config.mounts.windows-not-nested", Windows,
            json!({"mounts": [{"destination": "C:\\foo", "source": "C:\\a"}, {"destination": "C:\\foobar", "source": "C:\\b"}]}),
            json!({"mounts": [{"destination": "C:\\foo", "source": "C:\\a"}, {"destination": "c:\\FOO\\bar", "source": "C:\\b"}]}),
            At("$.mounts[1].destination")),
        case("config.mounts.destination-absolute-other", FreeBsd,
            json!({"mounts": [{"destination": "/data", "type": "nullfs", "source": "/srv"}]}),
            json!({"mounts": [{"destination": "data", "type": "nullfs", "source": "/srv"}]}), At("$.mounts[0].destination")),
        case("config.mounts.idmap-both", Linux,
            json!({"mounts": [{"destination": "/d", "type": "bind", "source": "/s", "options": ["rbind", "idmap"],
                "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}], "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]}),
            json!({"mounts": [{"destination": "/d", "type": "bind", "source": "/s", "options": ["rbind", "idmap"],
                "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]}),
            At("$.mounts[0].gidMappings")),
        case("config.consoleSize.fields-required", Linux,
            json!({"process": {"terminal": true, "consoleSize": {"height": 25, "width": 80}}}),
            json!({"process": {"terminal": true, "consoleSize": {"height": 25}}}), Parse),
        case("config.process.cwd-required", Linux, json!({}), json!({"process": {"cwd": null}}), Parse),
        case("config.process.cwd-absolute", Linux, json!({"process": {"cwd": "/home"}}), json!({"process": {"cwd": "home"}}), At("$.process.cwd")),
        case("config.process.args-not-empty", Linux, json!({}), json!({"process": {"args": []}}), At("$.process.args")),
        case("config.process.windows-commandline", Windows,
            json!({"process": {"commandLine": null, "args": ["cmd.exe"]}}),
            json!({"process": {"commandLine": null}}), At("$.process.commandLine")),
        case("config.rlimits.fields-required", Linux,
            json!({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]}}),
            json!({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024}]}}), Parse),
        case("config.rlimits.type-linux", Linux,
            json!({"process": {"rlimits": [{"type": "RLIMIT_MSGQUEUE", "hard": 1, "soft": 1}]}}),
            json!({"process": {"rlimits": [{"type": "RLIMIT_WISHES", "hard": 1, "soft": 1}]}}), At("$.process.rlimits[0].type")),
        case("config.rlimits.soft-le-hard", Linux,
            json!({"process": {"rlimits": [{"type": "RLIMIT_CORE", "hard": 10, "soft": 10}]}}),
            json!({"process": {"rlimits": [{"type": "RLIMIT_CORE", "hard": 10, "soft": 11}]}}), At("$.process.rlimits[0].soft")),
        case("config.rlimits.unique", Linux,
            json!({"process": {"rlimits": [{"type": "RLIMIT_CORE", "hard": 1, "soft": 1}, {"type": "RLIMIT_NOFILE", "hard": 1, "soft": 1}]}}),
            json!({"process": {"rlimits": [{"type": "RLIMIT_CORE", "hard": 1, "soft": 1}, {"type": "RLIMIT_CORE", "hard": 2, "soft": 2}]}}),
            At("$.process.rlimits[1].type")),
        case("config.process.oomScoreAdj-range", Linux, json!({"process": {"oomScoreAdj": -1000}}), json!({"process": {"oomScoreAdj": 1001}}), At("$.process.oomScoreAdj")),
        case("config.scheduler.policy", Linux,
            json!({"process": {"scheduler": {"policy": "SCHED_BATCH"}}}),
            json!({"process": {"scheduler": {"policy": "SCHED_FAST"}}}), At("$.process.scheduler.policy")),
        case("config.scheduler.flags", Linux,
            json!({"process": {"scheduler": {"policy": "SCHED_DEADLINE", "flags": ["SCHED_FLAG_RECLAIM"]}}}),
            json!({"process": {"scheduler": {"policy": "SCHED_DEADLINE", "flags": ["SCHED_FLAG_RECLAIM", "SCHED_FLAG_TURBO"]}}}),
            At("$.process.scheduler.flags[1]")),
        case("config.ioPriority.class", Linux,
            json!({"process": {"ioPriority": {"class": "IOPRIO_CLASS_IDLE", "priority": 7}}}),
            json!({"process": {"ioPriority": {"class": "IOPRIO_CLASS_NONE", "priority": 7}}}), At("$.process.ioPriority.class")),
        case("config.ioPriority.priority-required", Linux,
            json!({"process": {"ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 0}}}),
            json!({"process": {"ioPriority": {"class": "IOPRIO_CLASS_BE"}}}), Parse),
        case("config.user.posix-uid-gid", Linux,
            json!({"process": {"user": {"uid": 1, "gid": 1, "umask": 18}}}),
            json!({"process": {"user": {"uid": 1, "gid": null}}}), At("$.process.user.gid")),
        case("config.hooks.path-required", Linux,
            json!({"hooks": {"poststop": [{"path": "/bin/cleanup"}]}}),
            json!({"hooks": {"poststop": [{"args": ["cleanup"]}]}}), Parse),
        case("config.hooks.path-absolute", Linux,
            json!({"hooks": {"createRuntime": [{"path": "/bin/net"}]}}),
            json!({"hooks": {"createRuntime": [{"path": "bin/net"}]}}), At("$.hooks.createRuntime[0].path")),
        case("config.hooks.timeout-positive", Linux,
            json!({"hooks": {"prestart": [{"path": "/bin/x", "timeout": 1}]}}),
            json!({"hooks": {"prestart": [{"path": "/bin/x", "timeout": 0}]}}), At("$.hooks.prestart[0].timeout")),
        case("config.annotations.map", Linux, json!({"annotations": {"a": "1", "b": ""}}), json!({"annotations": {"a": 1}}), Parse),
        case("config.annotations.key-not-empty", Linux, json!({"annotations": {"k": ""}}), json!({"annotations": {"": "v"}}), At("$.annotations[\"\"]")),
        case("config.annotations.image-created", Linux,
            json!({"annotations": {"org.opencontainers.image.created": "2015-10-31T22:22:56.015925234Z"}}),
            json!({"annotations": {"org.opencontainers.image.created": "yesterday"}}),
            At("$.annotations[\"org.opencontainers.image.created\"]")),
        // config-linux.md
        case("linux.namespaces.type-required", Linux, json!({"linux": {"namespaces": [{"type": "pid"}]}}), json!({"linux": {"namespaces": [{"path": "/proc/1/ns/pid"}]}}), Parse),
        case("linux.namespaces.type", Linux, json!({"linux": {"namespaces": [{"type": "time"}]}}), json!({"linux": {"namespaces": [{"type": "time"}, {"type": "vfs"}]}}), At("$.linux.namespaces[1].type")),
        case("linux.namespaces.path-absolute", Linux,
            json!({"linux": {"namespaces": [{"type": "network", "path": "/var/run/netns/a"}]}}),
            json!({"linux": {"namespaces": [{"type": "network", "path": "netns/a"}]}}), At("$.linux.namespaces[0].path")),
        case("linux.namespaces.unique", Linux,
            json!({"linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}]}}),
            json!({"linux": {"namespaces": [{"type": "pid"}, {"type": "pid", "path": "/proc/1/ns/pid"}]}}), At("$.linux.namespaces[1].type")),
        case("linux.idMappings.fields-required", Linux,
            json!({"linux": {"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}]}}),
            json!({"linux": {"uidMappings": [{"containerID": 0, "hostID": 1000, "size": -1}]}}), Parse),
        case("linux.devices.type", Linux,
            json!({"linux": {"devices": [{"type": "p", "path": "/dev/fifo"}]}}),
            json!({"linux": {"devices": [{"type": "x", "path": "/dev/x", "major": 1, "minor": 1}]}}), At("$.linux.devices[0].type")),
        case("linux.devices.path-full", Linux,
            json!({"linux": {"devices": [{"type": "c", "path": "/opt/fuse", "major": 10, "minor": 229}]}}),
            json!({"linux": {"devices": [{"type": "c", "path": "dev/fuse", "major": 10, "minor": 229}]}}), At("$.linux.devices[0].path")),
        case("linux.devices.major-minor", Linux,
            json!({"linux": {"devices": [{"type": "b", "path": "/dev/sda", "major": 8, "minor": 0}]}}),
            json!({"linux": {"devices": [{"type": "b", "path": "/dev/sda", "major": 8}]}}), At("$.linux.devices[0].minor")),
        case("linux.resources.devices.allow-required", Linux,
            json!({"linux": {"resources": {"devices": [{"allow": false}]}}}),
            json!({"linux": {"resources": {"devices": [{"access": "rwm"}]}}}), Parse),
        case("linux.resources.devices.type", Linux,
            json!({"linux": {"resources": {"devices": [{"allow": true, "type": "a"}]}}}),
            json!({"linux": {"resources": {"devices": [{"allow": true, "type": "u"}]}}}), At("$.linux.resources.devices[0].type")),
        case("linux.resources.devices.access", Linux,
            json!({"linux": {"resources": {"devices": [{"allow": true, "access": "rm"}]}}}),
            json!({"linux": {"resources": {"devices": [{"allow": true, "access": "rwx"}]}}}), At("$.linux.resources.devices[0].access")),
        case("linux.resources.cpu.quota-burst", Linux,
            json!({"linux": {"resources": {"cpu": {"quota": -1, "burst": 5000}}}}),
            json!({"linux": {"resources": {"cpu": {"quota": 1000, "burst": 5000}}}}), At("$.linux.resources.cpu.burst")),
        case("linux.resources.blockIO.fields-required", Linux,
            json!({"linux": {"resources": {"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}]}}}}),
            json!({"linux": {"resources": {"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0}]}}}}), Parse),
        case("linux.resources.blockIO.weight-or-leaf", Linux,
            json!({"linux": {"resources": {"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "leafWeight": 300}]}}}}),
            json!({"linux": {"resources": {"blockIO": {"weightDevice": [{"major": 8, "minor": 0}]}}}}),
            At("$.linux.resources.blockIO.weightDevice[0]")),
        case("linux.resources.hugepageLimits.fields-required", Linux,
            json!({"linux": {"resources": {"hugepageLimits": [{"pageSize": "2MB", "limit": 1}]}}}),
            json!({"linux": {"resources": {"hugepageLimits": [{"pageSize": "2MB"}]}}}), Parse),
        case("linux.resources.hugepageLimits.pageSize", Linux,
            json!({"linux": {"resources": {"hugepageLimits": [{"pageSize": "1GB", "limit": 1}]}}}),
            json!({"linux": {"resources": {"hugepageLimits": [{"pageSize": "2M", "limit": 1}]}}}),
            At("$.linux.resources.hugepageLimits[0].pageSize")),
        case("linux.resources.network.fields-required", Linux,
            json!({"linux": {"resources": {"network": {"priorities": [{"name": "eth0", "priority": 500}]}}}}),
            json!({"linux": {"resources": {"network": {"priorities": [{"name": "eth0"}]}}}}), Parse),
        case("linux.resources.rdma.one-limit", Linux,
            json!({"linux": {"resources": {"rdma": {"mlx5_1": {"hcaObjects": 10}}}}}),
            json!({"linux": {"resources": {"rdma": {"mlx5_1": {}}}}}), At("$.linux.resources.rdma.mlx5_1")),
        case("linux.intelRdt.memBwSchema", Linux,
            json!({"linux": {"intelRdt": {"memBwSchema": "MB:0=20;1=70"}}}),
            json!({"linux": {"intelRdt": {"memBwSchema": "L3:0=20"}}}), At("$.linux.intelRdt.memBwSchema")),
        case("linux.intelRdt.schemata-newlines", Linux,
            json!({"linux": {"intelRdt": {"schemata": ["L3:0=7f0", "MB:0=20"]}}}),
            json!({"linux": {"intelRdt": {"schemata": ["L3:0=7f0\nMB:0=20"]}}}), At("$.linux.intelRdt.schemata[0]")),
        case("linux.memoryPolicy.mode", Linux,
            json!({"linux": {"memoryPolicy": {"mode": "MPOL_LOCAL"}}}),
            json!({"linux": {"memoryPolicy": {"mode": "MPOL_NEAREST"}}}), At("$.linux.memoryPolicy.mode")),
        case("linux.memoryPolicy.flags", Linux,
            json!({"linux": {"memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_RELATIVE_NODES"]}}}),
            json!({"linux": {"memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_FAST"]}}}),
            At("$.linux.memoryPolicy.flags[0]")),
        case("linux.seccomp.defaultAction", Linux,
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_KILL_PROCESS"}}}),
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_MAYBE"}}}), At("$.linux.seccomp.defaultAction")),
        case("linux.seccomp.defaultErrnoRet", Linux,
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_TRACE", "defaultErrnoRet": 1}}}),
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1}}}), At("$.linux.seccomp.defaultErrnoRet")),
        case("linux.seccomp.flags", Linux,
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"]}}}),
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_FAST"]}}}), At("$.linux.seccomp.flags[0]")),
        case("linux.seccomp.architectures", Linux,
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_RISCV64"]}}}),
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["x86_64"]}}}), At("$.linux.seccomp.architectures[0]")),
        case("linux.seccomp.listenerMetadata", Linux,
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/agent", "listenerMetadata": "m"}}}),
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_NOTIFY", "listenerMetadata": "m"}}}), At("$.linux.seccomp.listenerMetadata")),
        case("linux.seccomp.syscalls.names", Linux,
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG"}]}}}),
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_LOG"}]}}}),
            At("$.linux.seccomp.syscalls[0].names")),
        case("linux.seccomp.syscalls.action", Linux,
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL_THREAD"}]}}}),
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_DENY"}]}}}),
            At("$.linux.seccomp.syscalls[0].action")),
        case("linux.seccomp.syscalls.errnoRet", Linux,
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}}}),
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]}}}),
            At("$.linux.seccomp.syscalls[0].errnoRet")),
        case("linux.seccomp.syscalls.args.fields-required", Linux,
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}}}),
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]}]}}}),
            Parse),
        case("linux.seccomp.syscalls.args.op", Linux,
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]}]}}}),
            json!({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_IN"}]}]}}}),
            At("$.linux.seccomp.syscalls[0].args[0].op")),
        case("linux.maskedPaths.absolute", Linux, json!({"linux": {"maskedPaths": ["/proc/kcore"]}}), json!({"linux": {"maskedPaths": ["/proc/kcore", "proc/keys"]}}), At("$.linux.maskedPaths[1]")),
        case("linux.readonlyPaths.absolute", Linux, json!({"linux": {"readonlyPaths": ["/proc/sys"]}}), json!({"linux": {"readonlyPaths": ["sys"]}}), At("$.linux.readonlyPaths[0]")),
        case("linux.personality.domain", Linux,
            json!({"linux": {"personality": {"domain": "LINUX32"}}}),
            json!({"linux": {"personality": {"domain": "LINUX64"}}}), At("$.linux.personality.domain")),
        case("linux.personality.flags", Linux,
            json!({"linux": {"personality": {"domain": "LINUX", "flags": []}}}),
            json!({"linux": {"personality": {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}}}), At("$.linux.personality.flags[0]")),
        case("linux.timeOffsets.clock", Linux,
            json!({"linux": {"timeOffsets": {"boottime": {"secs": 1}, "monotonic": {"nanosecs": 5}}}}),
            json!({"linux": {"timeOffsets": {"realtime": {"secs": 1}}}}), At("$.linux.timeOffsets.realtime")),
        case("linux.rootfsPropagation.value", Linux, json!({"linux": {"rootfsPropagation": "unbindable"}}), json!({"linux": {"rootfsPropagation": "rshared"}}), At("$.linux.rootfsPropagation")),
        // config-windows.md
        case("windows.layerFolders.not-empty", Windows,
            json!({"root": null, "windows": {"layerFolders": ["C:\\l1", "C:\\l0"], "hyperv": {}}}),
            json!({"root": null, "windows": {"layerFolders": [], "hyperv": {}}}), At("$.windows.layerFolders")),
        case("windows.devices.fields-required", Windows,
            json!({"windows": {"devices": [{"id": "24E552D7-6523-47F7-A647-D3465BF1F5CA", "idType": "class"}]}}),
            json!({"windows": {"devices": [{"id": "24E552D7-6523-47F7-A647-D3465BF1F5CA"}]}}), Parse),
        case("windows.cpu.affinity.fields-required", Windows,
            json!({"windows": {"resources": {"cpu": {"affinity": [{"mask": 3, "group": 0}]}}}}),
            json!({"windows": {"resources": {"cpu": {"affinity": [{"mask": 3}]}}}}), Parse),
        // config-vm.md
        case("vm.hypervisor.path-required", Linux,
            json!({"vm": {"hypervisor": {"path": "/usr/bin/qemu"}, "kernel": {"path": "/k"}}}),
            json!({"vm": {"hypervisor": {"parameters": ["-x"]}, "kernel": {"path": "/k"}}}), Parse),
        case("vm.hypervisor.path-absolute", Linux,
            json!({"vm": {"hypervisor": {"path": "/usr/bin/qemu"}, "kernel": {"path": "/k"}}}),
            json!({"vm": {"hypervisor": {"path": "qemu"}, "kernel": {"path": "/k"}}}), At("$.vm.hypervisor.path")),
        case("vm.kernel.required", Linux, json!({"vm": {"kernel": {"path": "/k"}}}), json!({"vm": {"image": {"path": "/i", "format": "raw"}}}), Parse),
        case("vm.kernel.path-absolute", Linux, json!({"vm": {"kernel": {"path": "/vmlinuz"}}}), json!({"vm": {"kernel": {"path": "vmlinuz"}}}), At("$.vm.kernel.path")),
        case("vm.kernel.initrd-absolute", Linux,
            json!({"vm": {"kernel": {"path": "/vmlinuz", "initrd": "/initrd.img"}}}),
            json!({"vm": {"kernel": {"path": "/vmlinuz", "initrd": "initrd.img"}}}), At("$.vm.kernel.initrd")),
        case("vm.image.fields-required", Linux,
            json!({"vm": {"kernel": {"path": "/k"}, "image": {"path": "/i", "format": "qcow2"}}}),
            json!({"vm": {"kernel": {"path": "/k"}, "image": {"path": "/i"}}}), Parse),
        case("vm.image.path-absolute", Linux,
            json!({"vm": {"kernel": {"path": "/k"}, "image": {"path": "/i", "format": "raw"}}}),
            json!({"vm": {"kernel": {"path": "/k"}, "image": {"path": "i", "format": "raw"}}}), At("$.vm.image.path")),
        case("vm.hwConfig.iomems.fields-required", Linux,
            json!({"vm": {"kernel": {"path": "/k"}, "hwConfig": {"iomems": [{"firstGFN": 1, "firstMFN": 1, "nrMFNs": 1}]}}}),
            json!({"vm": {"kernel": {"path": "/k"}, "hwConfig": {"iomems": [{"firstGFN": 1, "firstMFN": 1}]}}}), Parse),
        // config-freebsd.md
        case("freebsd.devices.path-required", FreeBsd, json!({"freebsd": {"devices": [{"path": "pf"}]}}), json!({"freebsd": {"devices": [{"mode": 384}]}}), Parse),
        case("freebsd.jail.vnet-host", FreeBsd,
            json!({"freebsd": {"jail": {"vnet": "new", "host": "inherit"}}}),
            json!({"freebsd": {"jail": {"vnet": "disable"}}}), At("$.freebsd.jail.vnet")),
        case("freebsd.jail.ip-sysv", FreeBsd,
            json!({"freebsd": {"jail": {"ip4": "disable", "sysvshm": "new"}}}),
            json!({"freebsd": {"jail": {"sysvshm": "shared"}}}), At("$.freebsd.jail.sysvshm")),
        case("freebsd.jail.enforceStatfs", FreeBsd,
            json!({"freebsd": {"jail": {"enforceStatfs": 0}}}),
            json!({"freebsd": {"jail": {"enforceStatfs": 3}}}), At("$.freebsd.jail.enforceStatfs")),
        // config-zos.md
        case("zos.namespaces.type", Linux,
            json!({"zos": {"namespaces": [{"type": "uts"}]}}),
            json!({"zos": {"namespaces": [{"type": "network"}]}}), At("$.zos.namespaces[0].type")),
        case("zos.namespaces.path-absolute", Linux,
            json!({"zos": {"namespaces": [{"type": "mount", "path": "/proc/1/ns/mnt"}]}}),
            json!({"zos": {"namespaces": [{"type": "mount", "path": "ns/mnt"}]}}), At("$.zos.namespaces[0].path")),
        case("zos.namespaces.unique", Linux,
            json!({"zos": {"namespaces": [{"type": "pid"}, {"type": "ipc"}]}}),
            json!({"zos": {"namespaces": [{"type": "ipc"}, {"type": "ipc"}]}}), At("$.zos.namespaces[1].type")),
        // runtime.md
        case("runtime.state.fields-required", Doc::State, json!({}), json!({"bundle": null}), Parse),
        case("runtime.state.status", Doc::State, json!({"status": "stopped"}), json!({"status": "paused"}), Parse),
        case("runtime.state.pid-required", Doc::State, json!({"status": "creating", "pid": null}), json!({"status": "created", "pid": null}), At("$.pid")),
        case("runtime.state.bundle-absolute", Doc::State, json!({"bundle": "/containers/redis"}), json!({"bundle": "containers/redis"}), At("$.bundle")),
        case("runtime.state.schema", Doc::State, json!({"annotations": {"k": "v"}}), json!({"pid": -1}), Parse),
        // features.md, features-linux.md
        case("features.null-not-empty", Doc::Features, json!({"hooks": []}), json!({"hooks": [null]}), Parse),
        case("features.ociVersion.required", Doc::Features, json!({}), json!({"ociVersionMax": null}), Parse),
        case("features.ociVersion.semver", Doc::Features, json!({"ociVersionMin": "1.0.0-rc.1"}), json!({"ociVersionMin": "1"}), At("$.ociVersionMin")),
        case("features.ociVersionMax.not-less", Doc::Features,
            json!({"ociVersionMin": "1.2.1", "ociVersionMax": "1.2.1"}),
            json!({"ociVersionMin": "1.2.1", "ociVersionMax": "1.2.1-rc.1"}), At("$.ociVersionMax")),
        case("features.no-unknown-properties", Doc::Features,
            json!({"linux": {"seccomp": {"enabled": true, "knownFlags": []}, "mountExtensions": {"idmap": {"enabled": true}}, "netDevices": {"enabled": false}}}),
            json!({"linux": {"mountExtensions": {"idmap": {"enabled": true, "recursive": true}}}}),
            At("$.linux.mountExtensions.idmap.recursive")),
        case("features.annotations.key-not-empty", Doc::Features,
            json!({"annotations": {"org.opencontainers.runc.version": "1.1.0"}}),
            json!({"annotations": {"": "1.1.0"}}), At("$.annotations[\"\"]")),
        // glossary.md
        Case {
            id: "glossary.json.utf8",
            doc: Linux,
            valid: json!({"hostname": "h\u{e9}"}),
            invalid: Invalid::Bytes(b"{\"ociVersion\":\"1.2.1\",\"root\":{\"path\":\"rootfs\"},\"hostname\":\"h\xe9\"}"),
            expect: Parse,
        },
        Case {
            id: "glossary.json.no-duplicates",
            doc: Linux,
            valid: json!({"annotations": {"a": "1", "b": "1"}}),
            invalid: Invalid::Bytes(b"{\"ociVersion\":\"1.2.1\",\"root\":{\"path\":\"rootfs\"},\"annotations\":{\"a\":\"1\",\"a\":\"2\"}}"),
            expect: Parse,
        },
    ]
}

#[test]
fn every_checkable_row_gets_the_spec_verdict() {
    let mut failures = Vec::new();
    for case in cases() {
        let mut valid = base(case.doc);
        merge(&mut valid, &case.valid);
        let invalid = match &case.invalid {
            Invalid::Patch(patch) => {
                let mut invalid = base(case.doc);
                merge(&mut invalid, patch);
                serde_json::to_vec(&invalid).unwrap()
            }
            Invalid::Bytes(bytes) => bytes.to_vec(),
        };
        match outcome(case.doc, &serde_json::to_vec(&valid).unwrap()) {
            Ok(v) if v.is_empty() => {}
            other => failures.push(format!("{}: valid document got {other:?}", case.id)),
        }
        let got = outcome(case.doc, &invalid);
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

/// The ids of rows of `REQUIREMENTS.md`, by whether their check is `validate`/`parse`.
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
        } else if check.contains("validate `") {
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
    // Each `validate` row is named in the code that checks it.
    let mut code = String::new();
    for entry in std::fs::read_dir(format!("{ROOT}/src/validate")).unwrap() {
        code += &std::fs::read_to_string(entry.unwrap().path()).unwrap();
    }
    for id in &validated {
        assert!(code.contains(&format!("[{id}]")), "{id} is not named in src/validate");
    }
    // The counts the closing note of issue 16 gives.
    eprintln!(
        "REQUIREMENTS.md: {} rows, {} checked ({} by validate, {} by parsing), {} not checkable",
        validated.len() + parsed.len() + unchecked.len(),
        checkable.len(),
        validated.len(),
        parsed.len(),
        unchecked.len()
    );
}
