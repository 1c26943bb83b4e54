//! config-windows.md, config-vm.md, config-zos.md, config-freebsd.md (config-solaris.md
//! states no requirement a document can break).

use oci_json::Checker;

use super::{ZOS_NAMESPACES, absolute, linux};
use crate::config::Spec;

pub(super) fn check(c: &mut Checker, spec: &Spec) {
    // [windows.layerFolders.not-empty]
    if let Some(w) = &spec.windows
        && w.layer_folders.is_empty()
    {
        c.field("windows", |c| {
            c.fail_at("layerFolders", "layerFolders must hold at least one folder")
        });
    }
    if let Some(vm) = &spec.vm {
        c.field("vm", |c| {
            // [vm.hypervisor.path-absolute]
            if let Some(h) = &vm.hypervisor {
                c.field("hypervisor", |c| absolute(c, "path", &h.path));
            }
            c.field("kernel", |c| {
                // [vm.kernel.path-absolute]
                absolute(c, "path", &vm.kernel.path);
                // [vm.kernel.initrd-absolute]
                if let Some(initrd) = &vm.kernel.initrd {
                    absolute(c, "initrd", initrd);
                }
            });
            // [vm.image.path-absolute]
            if let Some(image) = &vm.image {
                c.field("image", |c| absolute(c, "path", &image.path));
            }
        });
    }
    // [zos.namespaces.type] [zos.namespaces.path-absolute] [zos.namespaces.unique]: the rules
    // of Linux namespaces, with the types of z/OS.
    if let Some(zos) = &spec.zos {
        c.field("zos", |c| {
            c.field("namespaces", |c| linux::namespaces(c, &zos.namespaces, &ZOS_NAMESPACES))
        });
    }
    if let Some(jail) = spec.freebsd.as_ref().and_then(|f| f.jail.as_ref()) {
        c.field("freebsd", |c| {
            c.field("jail", |c| {
                // [freebsd.jail.vnet-host]
                for (name, value) in [("vnet", &jail.vnet), ("host", &jail.host)] {
                    if value.as_deref().is_some_and(|v| !matches!(v, "new" | "inherit")) {
                        c.fail_at(name, format_args!("{name} must be new or inherit"));
                    }
                }
                // [freebsd.jail.ip-sysv]
                for (name, value) in [
                    ("ip4", &jail.ip4),
                    ("ip6", &jail.ip6),
                    ("sysvmsg", &jail.sysvmsg),
                    ("sysvsem", &jail.sysvsem),
                    ("sysvshm", &jail.sysvshm),
                ] {
                    if value.as_deref().is_some_and(|v| !matches!(v, "disable" | "new" | "inherit"))
                    {
                        c.fail_at(name, format_args!("{name} must be disable, new or inherit"));
                    }
                }
                // [freebsd.jail.enforceStatfs]
                if jail.enforce_statfs.is_some_and(|e| e > 2) {
                    c.fail_at("enforceStatfs", "enforceStatfs must be 0, 1 or 2");
                }
            });
        });
    }
}
