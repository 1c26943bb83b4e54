//! config-linux.md: the `linux` section.

use oci_json::Checker;

use super::{
    MPOL_FLAGS, MPOL_MODES, NAMESPACES, SECCOMP_ACTIONS, SECCOMP_FLAGS, SECCOMP_OPS, absolute,
    each_known, unique,
};
use crate::config::{IntelRdt, Linux, Namespace, Resources, Seccomp};

pub(super) fn check(c: &mut Checker, l: &Linux) {
    c.field("namespaces", |c| namespaces(c, &l.namespaces, &NAMESPACES));
    c.field("timeOffsets", |c| {
        for key in l.time_offsets.keys() {
            // [linux.timeOffsets.clock]
            if !matches!(key.as_str(), "boottime" | "monotonic") {
                c.key(key, |c| c.fail("the clocks of a time namespace are boottime and monotonic"));
            }
        }
    });
    c.field("devices", |c| {
        for (i, d) in l.devices.iter().enumerate() {
            c.index(i, |c| {
                // [linux.devices.type]
                if !matches!(d.typ.as_str(), "c" | "b" | "u" | "p") {
                    c.fail_at(
                        "type",
                        format_args!("device type {:?} is not one of c, b, u, p", d.typ),
                    );
                }
                // [linux.devices.path-full]
                absolute(c, "path", &d.path);
                // [linux.devices.major-minor]
                if d.typ != "p" {
                    for (name, value) in [("major", d.major), ("minor", d.minor)] {
                        if value.is_none() {
                            c.fail_at(name, format_args!("{name} is required unless type is p"));
                        }
                    }
                }
            });
        }
    });
    if let Some(r) = &l.resources {
        c.field("resources", |c| resources(c, r));
    }
    if let Some(rdt) = &l.intel_rdt {
        c.field("intelRdt", |c| intel_rdt(c, rdt));
    }
    if let Some(m) = &l.memory_policy {
        c.field("memoryPolicy", |c| {
            // [linux.memoryPolicy.mode]
            if !MPOL_MODES.contains(&m.mode.as_str()) {
                c.fail_at("mode", format_args!("unknown mode {:?}", m.mode));
            }
            // [linux.memoryPolicy.flags]
            c.field("flags", |c| each_known(c, &m.flags, &MPOL_FLAGS, "memory policy flag"));
        });
    }
    if let Some(s) = &l.seccomp {
        c.field("seccomp", |c| seccomp(c, s));
    }
    // [linux.rootfsPropagation.value]
    if let Some(p) = &l.rootfs_propagation
        && !matches!(p.as_str(), "private" | "shared" | "slave" | "unbindable")
    {
        c.fail_at(
            "rootfsPropagation",
            format_args!("{p:?} is not private, shared, slave or unbindable"),
        );
    }
    // [linux.maskedPaths.absolute] [linux.readonlyPaths.absolute]
    for (name, paths) in [("maskedPaths", &l.masked_paths), ("readonlyPaths", &l.readonly_paths)] {
        c.field(name, |c| {
            for (i, p) in paths.iter().enumerate() {
                if !p.starts_with('/') {
                    c.index(i, |c| c.fail(format_args!("{p:?} must be an absolute path")));
                }
            }
        });
    }
    if let Some(p) = &l.personality {
        c.field("personality", |c| {
            // [linux.personality.domain]
            if !matches!(p.domain.as_str(), "LINUX" | "LINUX32") {
                c.fail_at("domain", format_args!("{:?} is not LINUX or LINUX32", p.domain));
            }
            // [linux.personality.flags]
            c.field("flags", |c| each_known(c, &p.flags, &[], "personality flag"));
        });
    }
}

/// Namespaces of Linux (config-linux.md) and z/OS (config-zos.md), which share rules.
pub(super) fn namespaces(c: &mut Checker, namespaces: &[Namespace], known: &[&str]) {
    // [linux.namespaces.unique]
    unique(c, namespaces, "type", |n| n.typ.as_str(), "namespace");
    for (i, n) in namespaces.iter().enumerate() {
        c.index(i, |c| {
            // [linux.namespaces.type]
            if !known.contains(&n.typ.as_str()) {
                c.fail_at("type", format_args!("unknown namespace type {:?}", n.typ));
            }
            // [linux.namespaces.path-absolute]
            if let Some(p) = &n.path {
                absolute(c, "path", p);
            }
        });
    }
}

fn resources(c: &mut Checker, r: &Resources) {
    c.field("devices", |c| {
        for (i, d) in r.devices.iter().enumerate() {
            c.index(i, |c| {
                // [linux.resources.devices.type]
                if d.typ.as_deref().is_some_and(|t| !matches!(t, "a" | "c" | "b")) {
                    c.fail_at("type", "type must be a, c or b");
                }
                // [linux.resources.devices.access]
                if d.access
                    .as_deref()
                    .is_some_and(|a| !a.chars().all(|ch| matches!(ch, 'r' | 'w' | 'm')))
                {
                    c.fail_at("access", "access must combine r, w and m");
                }
            });
        }
    });
    // [linux.resources.cpu.quota-burst]
    if let Some(cpu) = &r.cpu
        && let (Some(quota), Some(burst)) = (cpu.quota, cpu.burst)
        && quota > 0
        && u64::try_from(quota).is_ok_and(|q| q < burst)
    {
        c.field("cpu", |c| c.fail_at("burst", "burst must be no larger than a positive quota"));
    }
    if let Some(b) = &r.block_io {
        c.field("blockIO", |c| {
            c.field("weightDevice", |c| {
                for (i, w) in b.weight_device.iter().enumerate() {
                    // [linux.resources.blockIO.weight-or-leaf]
                    if w.weight.is_none() && w.leaf_weight.is_none() {
                        c.index(i, |c| c.fail("at least one of weight and leafWeight is required"));
                    }
                }
            });
        });
    }
    c.field("hugepageLimits", |c| {
        for (i, h) in r.hugepage_limits.iter().enumerate() {
            // [linux.resources.hugepageLimits.pageSize]
            if !hugepage_size_ok(&h.page_size) {
                c.index(i, |c| {
                    c.fail_at(
                        "pageSize",
                        format_args!("{:?} is not of the form <size><K|M|G>B", h.page_size),
                    )
                });
            }
        }
    });
    c.field("rdma", |c| {
        for (device, limit) in &r.rdma {
            // [linux.resources.rdma.one-limit]
            if limit.hca_handles.is_none() && limit.hca_objects.is_none() {
                c.key(device, |c| c.fail("at least one of hcaHandles and hcaObjects is required"));
            }
        }
    });
}

/// `<size><unit-prefix>B` with a unit prefix of K, M or G (64KB, 2MB, 1GB).
pub(crate) fn hugepage_size_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 3
        && b[0] != b'0'
        && b[..b.len() - 2].iter().all(u8::is_ascii_digit)
        && matches!(b[b.len() - 2], b'K' | b'M' | b'G')
        && b[b.len() - 1] == b'B'
}

fn intel_rdt(c: &mut Checker, rdt: &IntelRdt) {
    // [linux.intelRdt.memBwSchema]
    if let Some(mb) = &rdt.mem_bw_schema
        && (!mb.starts_with("MB:") || mb.contains('\n'))
    {
        c.fail_at("memBwSchema", "memBwSchema must start with MB: and hold no newline");
    }
    // [linux.intelRdt.schemata-newlines]
    c.field("schemata", |c| {
        for (i, line) in rdt.schemata.iter().enumerate() {
            if line.contains('\n') {
                c.index(i, |c| c.fail("a schemata line must hold no newline"));
            }
        }
    });
}

fn seccomp(c: &mut Checker, s: &Seccomp) {
    // Actions that take an errno (libseccomp's SCMP_ACT_ERRNO(x), SCMP_ACT_TRACE(x)).
    let takes_errno = |action: &str| matches!(action, "SCMP_ACT_ERRNO" | "SCMP_ACT_TRACE");
    // [linux.seccomp.defaultAction]
    if !SECCOMP_ACTIONS.contains(&s.default_action.as_str()) {
        c.fail_at("defaultAction", format_args!("unknown action {:?}", s.default_action));
    }
    // [linux.seccomp.defaultErrnoRet]
    if s.default_errno_ret.is_some() && !takes_errno(&s.default_action) {
        c.fail_at("defaultErrnoRet", format_args!("{} takes no errno", s.default_action));
    }
    // [linux.seccomp.flags]
    c.field("flags", |c| each_known(c, &s.flags, &SECCOMP_FLAGS, "seccomp flag"));
    c.field("architectures", |c| {
        for (i, a) in s.architectures.iter().enumerate() {
            // [linux.seccomp.architectures]
            if !a.starts_with("SCMP_ARCH_") {
                c.index(i, |c| c.fail(format_args!("unknown architecture {a:?}")));
            }
        }
    });
    // [linux.seccomp.listenerMetadata]
    if s.listener_metadata.is_some() && s.listener_path.is_none() {
        c.fail_at("listenerMetadata", "listenerMetadata must not be set without listenerPath");
    }
    c.field("syscalls", |c| {
        for (i, r) in s.syscalls.iter().enumerate() {
            c.index(i, |c| {
                // [linux.seccomp.syscalls.names]
                if r.names.is_empty() {
                    c.fail_at("names", "names must hold at least one syscall");
                }
                // [linux.seccomp.syscalls.action]
                if !SECCOMP_ACTIONS.contains(&r.action.as_str()) {
                    c.fail_at("action", format_args!("unknown action {:?}", r.action));
                }
                // [linux.seccomp.syscalls.errnoRet]
                if r.errno_ret.is_some() && !takes_errno(&r.action) {
                    c.fail_at("errnoRet", format_args!("{} takes no errno", r.action));
                }
                c.field("args", |c| {
                    for (j, a) in r.args.iter().enumerate() {
                        // [linux.seccomp.syscalls.args.op]
                        if !SECCOMP_OPS.contains(&a.op.as_str()) {
                            c.index(j, |c| {
                                c.fail_at("op", format_args!("unknown operator {:?}", a.op))
                            });
                        }
                    }
                });
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hugepages() {
        assert!(hugepage_size_ok("2MB") && hugepage_size_ok("64KB") && hugepage_size_ok("1GB"));
        assert!(!hugepage_size_ok("64kB") && !hugepage_size_ok("0MB") && !hugepage_size_ok("MB"));
    }
}
