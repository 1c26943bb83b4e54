//! Mounts, runtime-spec [`config.md` § Mounts](https://github.com/opencontainers/runtime-spec/blob/v1.2.1/config.md#mounts),
//! with the ID mappings of idmapped mounts (also used by user namespaces).

use serde::Serialize;

use crate::config::Extra;

/// A mount.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Mount {
    /// REQUIRED. Where to mount, inside the container (absolute on Linux).
    pub destination: String,
    /// OPTIONAL. The file system type (`proc`, `tmpfs`, `bind`, ...).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// OPTIONAL. What to mount: a device, a path, or a name for pseudo file systems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// OPTIONAL. Mount options (an open set: `ro`, `nosuid`, `mode=755`, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// OPTIONAL. User ID mappings of an idmapped mount.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uid_mappings: Vec<IdMapping>,
    /// OPTIONAL. Group ID mappings of an idmapped mount.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gid_mappings: Vec<IdMapping>,
    /// Fields this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(Mount, "Mount", {
    destination: "destination" required;
    typ: "type";
    source: "source";
    options: "options";
    uid_mappings: "uidMappings";
    gid_mappings: "gidMappings";
});

impl Mount {
    /// A mount of `source` (of type `typ`) at `destination` with `options`.
    pub fn new(destination: &str, typ: &str, source: &str, options: &[&str]) -> Self {
        Self {
            destination: destination.to_owned(),
            typ: Some(typ.to_owned()),
            source: Some(source.to_owned()),
            options: options.iter().map(|&s| s.to_owned()).collect(),
            ..Self::default()
        }
    }
}

/// A range of IDs mapped from the host into the container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct IdMapping {
    /// REQUIRED. First ID in the container.
    #[serde(rename = "containerID")]
    pub container_id: u32,
    /// REQUIRED. First ID on the host.
    #[serde(rename = "hostID")]
    pub host_id: u32,
    /// REQUIRED. How many IDs.
    pub size: u32,
    /// Members this crate does not know, kept.
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::arb::extra))]
    pub extra: Extra,
}

oci_json::deserialize_object!(IdMapping, "IdMapping", {
    container_id: "containerID" required;
    host_id: "hostID" required;
    size: "size" required;
});

impl IdMapping {
    /// `size` IDs from `host_id` on the host to `container_id` in the container.
    pub fn new(container_id: u32, host_id: u32, size: u32) -> Self {
        Self { container_id, host_id, size, extra: Extra::new() }
    }
}
