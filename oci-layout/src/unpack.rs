//! Unpacking an image into a root filesystem, all or nothing.

use std::path::{Path, PathBuf};

use oci_image::Platform;

use crate::layer::{self, ApplyOptions, ApplyReport, LayerError};
use crate::{Error, Image, Layout};

/// What [`Layout::unpack`] did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct UnpackReport {
    /// The image unpacked.
    pub image: Image,
    /// One report per layer, base first.
    pub layers: Vec<ApplyReport>,
}

/// Why an unpack failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnpackError {
    /// Reading the layout failed.
    #[error(transparent)]
    Layout(#[from] Error),
    /// A layer failed to apply or verify.
    #[error("layer {index} ({digest}) could not be applied")]
    Layer {
        /// Its position, base layer 0.
        index: usize,
        /// Its digest.
        digest: oci_image::Digest,
        /// Why.
        #[source]
        source: LayerError,
    },
    /// The destination is not a new or empty directory.
    #[error("{0:?} exists and is not an empty directory")]
    Destination(PathBuf),
}

/// Fills `dest`, a new or empty directory, all or nothing: `fill` writes into a private
/// staging directory (mode 0700) beside it, which is renamed to `dest` (and given mode
/// 0755) only once `fill` succeeds. On any failure the staging directory is removed
/// whole, whatever `fill` left in it (directories of mode 0000 included), and `dest` is
/// left as it was.
///
/// # Errors
/// [`UnpackError::Destination`] when `dest` is neither new nor an empty directory,
/// `fill`'s error, or the failure to move the result into place.
pub(crate) fn publish<T>(
    dest: &Path,
    fill: impl FnOnce(&Path) -> Result<T, UnpackError>,
) -> Result<T, UnpackError> {
    let dest_exists = match std::fs::symlink_metadata(dest) {
        Ok(m) if m.is_dir() => {
            let empty = std::fs::read_dir(dest).map_err(Error::io("list", dest))?.next().is_none();
            if !empty {
                return Err(UnpackError::Destination(dest.to_owned()));
            }
            true
        }
        Ok(_) => return Err(UnpackError::Destination(dest.to_owned())),
        Err(_) => false,
    };
    let staging = staging_dir(dest)?;
    let result = fill(&staging).and_then(|value| {
        if dest_exists {
            std::fs::remove_dir(dest).map_err(Error::io("replace", dest))?;
        }
        std::fs::rename(&staging, dest).map_err(Error::io("rename into place", dest))?;
        std::fs::set_permissions(dest, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .map_err(Error::io("chmod", dest))?;
        Ok(value)
    });
    if result.is_err() {
        // Nothing half-made remains (no link is followed, no mode stops the removal).
        let _ = layer::remove_all(&staging);
        if dest_exists && !dest.exists() {
            let _ = std::fs::create_dir(dest);
        }
    }
    result
}

fn staging_dir(dest: &Path) -> Result<PathBuf, UnpackError> {
    let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rootfs".into());
    for attempt in 0u32.. {
        let candidate = parent.join(format!(".{name}.unpacking-{}-{attempt}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io("create", candidate)(e).into()),
        }
    }
    Err(UnpackError::Destination(dest.to_owned()))
}

impl Layout {
    /// Unpacks the image `reference` names (for `platform`, if it names an index; default:
    /// this machine's) into `dest`, which must be a new or empty directory.
    ///
    /// Layers are applied base first into a private staging directory (mode 0700) beside
    /// `dest`, each verified against its descriptor and diff_id; only when all have been
    /// applied is it renamed to `dest` (and given mode 0755). On any error the staging
    /// directory is removed and `dest` is left as it was.
    ///
    /// # Security
    ///
    /// Layers are applied by [`crate::layer::apply`], whose `# Security` section says how
    /// every entry stays inside the root. On top of it:
    ///
    /// - Nothing is visible at `dest` before every layer has applied and verified: a
    ///   layer that fails halfway leaves no partial tree for a runtime to start from.
    /// - The staging directory is private (0700) while it is filled, so no other user can
    ///   race the applier inside it.
    /// - Cleanup after a failure removes everything the unpack created without following
    ///   a link, and opens up directories a layer left shut (mode 0000): nothing is left
    ///   behind, also without privilege.
    /// - `dest` must be new or an empty directory: a symbolic link, a file or a
    ///   populated directory is refused, never written through.
    ///
    /// # Errors
    /// [`UnpackError`] naming the layer or what else failed.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// use oci_layout::Layout;
    /// use oci_layout::layer::{ApplyOptions, CreateOptions};
    /// use oci_layout::oci_image::{ImageConfiguration, Platform};
    ///
    /// // An image of one directory, for this machine.
    /// let tree = dir.path().join("tree");
    /// std::fs::create_dir_all(tree.join("etc"))?;
    /// std::fs::write(tree.join("etc/hello"), "hello")?;
    /// let layout = Layout::create(dir.path().join("layout"))?;
    /// let layer = layout.put_layer(&tree, None, &CreateOptions::default())?;
    /// let host = Platform::host();
    /// let mut config = ImageConfiguration::new(host.os.as_str(), host.architecture.as_str());
    /// config.rootfs.diff_ids.push(layer.diff_id);
    /// let image = layout.write_image(&config, vec![layer.descriptor], Default::default())?;
    /// layout.tag(&image, "v1")?;
    ///
    /// let rootfs = dir.path().join("rootfs");
    /// let options = ApplyOptions::default().rootless(true);
    /// let report = layout.unpack("v1", None, &rootfs, &options)?;
    /// assert_eq!(report.layers.len(), 1);
    /// assert_eq!(std::fs::read_to_string(rootfs.join("etc/hello"))?, "hello");
    /// # Ok(()) }
    /// ```
    pub fn unpack(
        &self,
        reference: &str,
        platform: Option<&Platform>,
        dest: impl AsRef<Path>,
        options: &ApplyOptions,
    ) -> Result<UnpackReport, UnpackError> {
        let dest = dest.as_ref();
        let host = Platform::host();
        let descriptor = self.resolve(reference, Some(platform.unwrap_or(&host)))?;
        let image = self.image(&descriptor)?;
        if image.config.rootfs.diff_ids.len() != image.manifest.layers.len() {
            return Err(Error::DiffIdCount {
                layers: image.manifest.layers.len(),
                diff_ids: image.config.rootfs.diff_ids.len(),
            }
            .into());
        }
        let layers = publish(dest, |staging| self.apply_all(&image, staging, options))?;
        Ok(UnpackReport { image, layers })
    }

    fn apply_all(
        &self,
        image: &Image,
        root: &Path,
        options: &ApplyOptions,
    ) -> Result<Vec<ApplyReport>, UnpackError> {
        let mut reports = Vec::new();
        for (index, (layer, diff_id)) in
            image.manifest.layers.iter().zip(&image.config.rootfs.diff_ids).enumerate()
        {
            // The applier verifies size and digest itself, in the same pass as diff_id.
            let file = self.open_blob(&layer.digest)?;
            let report = layer::apply(root, file, layer, diff_id, options).map_err(|source| {
                UnpackError::Layer { index, digest: layer.digest.clone(), source }
            })?;
            reports.push(report);
        }
        Ok(reports)
    }
}
