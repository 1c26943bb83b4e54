//! The defaults: [`Spec::default`] is what `runc spec` writes, [`Spec::rootless`] what
//! `runc spec --rootless` writes.

use std::collections::BTreeMap;

use crate::config::{
    Capabilities, DeviceCgroup, Extra, IdMapping, Linux, Mount, Namespace, Process, Resources,
    Rlimit, Root, Spec, User,
};

const DEFAULT_CAPS: [&str; 3] = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

fn caps() -> Option<Vec<String>> {
    Some(DEFAULT_CAPS.iter().map(|&c| c.to_owned()).collect())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|&s| s.to_owned()).collect()
}

impl Default for Spec {
    /// The configuration `runc spec` writes, with `ociVersion` [`crate::VERSION`].
    fn default() -> Self {
        let process = Process {
            terminal: Some(true),
            user: Some(User { uid: Some(0), gid: Some(0), ..User::default() }),
            args: strings(&["sh"]),
            env: strings(&[
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "TERM=xterm",
            ]),
            cwd: "/".to_owned(),
            capabilities: Some(Capabilities {
                bounding: caps(),
                effective: caps(),
                permitted: caps(),
                ambient: caps(),
                ..Capabilities::default()
            }),
            rlimits: vec![Rlimit::new("RLIMIT_NOFILE", 1024, 1024)],
            no_new_privileges: Some(true),
            ..Process::default()
        };
        let linux = Linux {
            resources: Some(Resources {
                devices: vec![DeviceCgroup {
                    allow: false,
                    access: Some("rwm".to_owned()),
                    ..DeviceCgroup::default()
                }],
                ..Resources::default()
            }),
            namespaces: ["pid", "network", "ipc", "uts", "mount"]
                .iter()
                .map(|t| Namespace::new(t))
                .collect(),
            masked_paths: strings(&[
                "/proc/acpi",
                "/proc/asound",
                "/proc/kcore",
                "/proc/keys",
                "/proc/latency_stats",
                "/proc/timer_list",
                "/proc/timer_stats",
                "/proc/sched_debug",
                "/sys/firmware",
                "/proc/scsi",
            ]),
            readonly_paths: strings(&[
                "/proc/bus",
                "/proc/fs",
                "/proc/irq",
                "/proc/sys",
                "/proc/sysrq-trigger",
            ]),
            ..Linux::default()
        };
        Self {
            oci_version: crate::VERSION.to_owned(),
            root: Some(Root {
                path: "rootfs".to_owned(),
                readonly: Some(true),
                extra: Extra::new(),
            }),
            mounts: vec![
                Mount::new("/proc", "proc", "proc", &[]),
                Mount::new(
                    "/dev",
                    "tmpfs",
                    "tmpfs",
                    &["nosuid", "strictatime", "mode=755", "size=65536k"],
                ),
                Mount::new(
                    "/dev/pts",
                    "devpts",
                    "devpts",
                    &["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
                ),
                Mount::new(
                    "/dev/shm",
                    "tmpfs",
                    "shm",
                    &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
                ),
                Mount::new("/dev/mqueue", "mqueue", "mqueue", &["nosuid", "noexec", "nodev"]),
                Mount::new("/sys", "sysfs", "sysfs", &["nosuid", "noexec", "nodev", "ro"]),
                Mount::new(
                    "/sys/fs/cgroup",
                    "cgroup",
                    "cgroup",
                    &["nosuid", "noexec", "nodev", "relatime", "ro"],
                ),
            ],
            process: Some(process),
            hostname: Some("runc".to_owned()),
            domainname: None,
            hooks: None,
            annotations: BTreeMap::new(),
            linux: Some(linux),
            solaris: None,
            windows: None,
            vm: None,
            zos: None,
            freebsd: None,
            extra: Extra::new(),
        }
    }
}

impl Spec {
    /// The configuration `runc spec --rootless` writes for the calling user: a user
    /// namespace mapping root in the container to this process's effective user and group
    /// (read from the owner of `/proc/self`; 0 where that cannot be read), no network
    /// namespace, `/sys` bind-mounted, no device cgroup rules, no `gid=5` on `/dev/pts`.
    pub fn rootless() -> Self {
        let (uid, gid) = current_ids();
        Self::rootless_for(uid, gid)
    }

    /// [`Spec::rootless`] for the host user `uid`:`gid`.
    pub fn rootless_for(uid: u32, gid: u32) -> Self {
        let mut spec = Self::default();
        for m in &mut spec.mounts {
            if m.destination == "/dev/pts" {
                m.options.retain(|o| o != "gid=5");
            }
            if m.destination == "/sys" {
                *m = Mount::new(
                    "/sys",
                    "none",
                    "/sys",
                    &["rbind", "nosuid", "noexec", "nodev", "ro"],
                );
            }
        }
        if let Some(linux) = &mut spec.linux {
            linux.resources = None;
            linux.namespaces.retain(|n| n.typ != "network");
            linux.namespaces.push(Namespace::new("user"));
            linux.uid_mappings = vec![IdMapping::new(0, uid, 1)];
            linux.gid_mappings = vec![IdMapping::new(0, gid, 1)];
        }
        spec
    }
}

#[cfg(unix)]
fn current_ids() -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map_or((0, 0), |m| (m.uid(), m.gid()))
}

#[cfg(not(unix))]
fn current_ids() -> (u32, u32) {
    (0, 0)
}
