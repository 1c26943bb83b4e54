//! features.md and features-linux.md.

use std::cmp::Ordering;

use oci_json::{Checker, Extra};
use serde_json::Value;

use super::{Violation, is_semver, semver_cmp};
use crate::{Features, LinuxFeatures};

/// The members each object of features-linux.md defines (`idmap` is an object in
/// `mountExtensions`).
const LINUX_OBJECTS: [(&str, &[&str]); 8] = [
    ("cgroup", &["v1", "v2", "systemd", "systemdUser", "rdma"]),
    ("seccomp", &["enabled", "actions", "operators", "archs", "knownFlags", "supportedFlags"]),
    ("apparmor", &["enabled"]),
    ("selinux", &["enabled"]),
    ("intelRdt", &["enabled", "schemata", "monitoring"]),
    ("mountExtensions", &["idmap"]),
    ("memoryPolicy", &["modes", "flags"]),
    ("netDevices", &["enabled"]),
];

impl Features {
    /// Every violated requirement of runtime-spec `features.md` and `features-linux.md`.
    ///
    /// A Features document MUST NOT contain properties this version of the spec does not
    /// define, so unlike the other documents, every unknown member is a violation here
    /// (it is still kept in `extra`).
    pub fn validate(&self) -> Vec<Violation> {
        let mut c = Checker::new();
        for (name, v) in
            [("ociVersionMin", &self.oci_version_min), ("ociVersionMax", &self.oci_version_max)]
        {
            // [features.ociVersion.semver]
            if !is_semver(v) {
                c.fail_at(name, format_args!("{v:?} is not a SemVer 2.0.0 version"));
            }
        }
        // [features.ociVersionMax.not-less]
        if semver_cmp(&self.oci_version_max, &self.oci_version_min) == Some(Ordering::Less) {
            c.fail_at("ociVersionMax", "ociVersionMax must not be less than ociVersionMin");
        }
        // [features.annotations.key-not-empty]
        c.field("annotations", |c| {
            if self.annotations.as_ref().is_some_and(|a| a.contains_key("")) {
                c.key("", |c| c.fail("annotation keys must not be empty"));
            }
        });
        // [features.no-unknown-properties]
        unknown(&mut c, &self.extra);
        if let Some(linux) = &self.linux {
            c.field("linux", |c| linux_features(c, linux));
        }
        c.finish()
    }
}

fn unknown(c: &mut Checker, extra: &Extra) {
    for key in extra.keys() {
        c.key(key, |c| {
            c.fail("a Features document must not hold properties the spec does not define")
        });
    }
}

fn linux_features(c: &mut Checker, l: &LinuxFeatures) {
    unknown(c, &l.extra);
    let objects = [
        &l.cgroup,
        &l.seccomp,
        &l.apparmor,
        &l.selinux,
        &l.intel_rdt,
        &l.mount_extensions,
        &l.memory_policy,
        &l.net_devices,
    ];
    for ((name, members), value) in LINUX_OBJECTS.iter().zip(objects) {
        let Some(Value::Object(object)) = value else { continue };
        c.field(name, |c| {
            for (key, member) in object {
                if !members.contains(&key.as_str()) {
                    c.key(key, |c| {
                        c.fail("a Features document must not hold properties the spec does not define")
                    });
                } else if *name == "mountExtensions"
                    && let Value::Object(idmap) = member
                {
                    c.key(key, |c| {
                        for inner in idmap.keys().filter(|k| *k != "enabled") {
                            c.key(inner, |c| {
                                c.fail("a Features document must not hold properties the spec does not define")
                            });
                        }
                    });
                }
            }
        });
    }
}
