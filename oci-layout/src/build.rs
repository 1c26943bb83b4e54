//! Building and changing images in a layout. Every change writes new documents (serialised
//! once, stored as those bytes, described from those bytes) and returns the new manifest's
//! descriptor; tag it to publish it.

use std::collections::BTreeMap;

use oci_image::{
    Descriptor, Digest, Document, History, ImageConfiguration, ImageIndex, ImageManifest, MediaType,
};

use crate::{Error, Layout};

/// A manifest and its configuration, as read from a layout.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Image {
    /// The manifest's descriptor.
    pub descriptor: Descriptor,
    /// The manifest.
    pub manifest: ImageManifest,
    /// The configuration the manifest points to.
    pub config: ImageConfiguration,
}

/// Largest configuration read whole.
const MAX_CONFIG_SIZE: u64 = 16 << 20;

impl Layout {
    /// Reads the image (manifest and configuration) `descriptor` names.
    ///
    /// # Errors
    /// [`Error::WrongMediaType`] if it is not an image manifest (or its configuration is
    /// not an image configuration), or the read errors.
    pub fn image(&self, descriptor: &Descriptor) -> Result<Image, Error> {
        if !descriptor.media_type.is_manifest() {
            return Err(Error::WrongMediaType {
                digest: descriptor.digest.clone(),
                media_type: descriptor.media_type.clone(),
                expected: "an image manifest",
            });
        }
        let bytes =
            self.read_blob_bytes(descriptor, oci_image::content::DEFAULT_MAX_DOCUMENT_SIZE)?;
        let Document::Manifest(manifest) = Document::parse(&descriptor.media_type, &bytes)
            .map_err(|source| Error::Document { digest: descriptor.digest.clone(), source })?
        else {
            return Err(Error::WrongMediaType {
                digest: descriptor.digest.clone(),
                media_type: descriptor.media_type.clone(),
                expected: "an image manifest",
            });
        };
        if !manifest.config.media_type.is_config() {
            return Err(Error::WrongMediaType {
                digest: manifest.config.digest,
                media_type: manifest.config.media_type,
                expected: "an image configuration",
            });
        }
        let config_bytes = self.read_blob_bytes(&manifest.config, MAX_CONFIG_SIZE)?;
        let config: ImageConfiguration =
            oci_image::json::from_slice(&config_bytes).map_err(|source| Error::Json {
                path: format!("blob {}", manifest.config.digest).into(),
                source,
            })?;
        Ok(Image { descriptor: descriptor.clone(), manifest, config })
    }

    /// Writes an image of layers made by [`Layout::put_layer`]: `config` with each layer's
    /// diff_id appended to its `rootfs`, and a manifest of it and the layers. Returns the
    /// manifest's descriptor.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use oci_image::ImageConfiguration;
    /// use oci_layout::Layout;
    /// use oci_layout::layer::CreateOptions;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let tree = dir.path().join("tree");
    /// std::fs::create_dir(&tree)?;
    /// std::fs::write(tree.join("hello.txt"), "hello")?;
    /// let layout = Layout::create(dir.path().join("layout"))?;
    /// let layer = layout.put_layer(&tree, None, &CreateOptions::default())?;
    /// let image = layout.write_image_of(ImageConfiguration::new("linux", "amd64"), &[layer], Default::default())?;
    /// layout.tag(&image, "v1")?;
    /// assert_eq!(layout.image(&image)?.config.rootfs.diff_ids.len(), 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Layout::write_image`].
    pub fn write_image_of(
        &self,
        mut config: ImageConfiguration,
        layers: &[crate::layer::CreatedLayer],
        annotations: BTreeMap<String, String>,
    ) -> Result<Descriptor, Error> {
        config.rootfs.diff_ids.extend(layers.iter().map(|l| l.diff_id.clone()));
        let descriptors = layers.iter().map(|l| l.descriptor.clone()).collect();
        self.write_image(&config, descriptors, annotations)
    }

    /// Writes `config` and a manifest of it and `layers` (all of which the layout must
    /// hold), and returns the manifest's descriptor.
    ///
    /// # Errors
    /// [`Error::BlobNotFound`] for a layer the layout does not hold,
    /// [`Error::DiffIdCount`] if the configuration's diff_ids do not count one per layer.
    pub fn write_image(
        &self,
        config: &ImageConfiguration,
        layers: Vec<Descriptor>,
        annotations: BTreeMap<String, String>,
    ) -> Result<Descriptor, Error> {
        if config.rootfs.diff_ids.len() != layers.len() {
            return Err(Error::DiffIdCount {
                layers: layers.len(),
                diff_ids: config.rootfs.diff_ids.len(),
            });
        }
        for layer in &layers {
            if self.blob_size(&layer.digest)? != Some(layer.size) {
                return Err(Error::BlobNotFound(layer.digest.clone()));
            }
        }
        let config = self.put_json(MediaType::ImageConfig, config)?;
        let mut manifest = ImageManifest::new(config, layers);
        manifest.annotations = annotations;
        self.put_json(MediaType::ImageManifest, &manifest)
    }

    /// Writes an index of `manifests` and returns its descriptor.
    ///
    /// # Errors
    /// [`Error::BlobNotFound`] for a manifest the layout does not hold.
    pub fn write_index(&self, manifests: Vec<Descriptor>) -> Result<Descriptor, Error> {
        for m in &manifests {
            if self.blob_size(&m.digest)? != Some(m.size) {
                return Err(Error::BlobNotFound(m.digest.clone()));
            }
        }
        self.put_json(MediaType::ImageIndex, &ImageIndex::new(manifests))
    }

    /// A new image: `image` plus `layer` (which the layout must hold) on top, with its
    /// `diff_id` and a history entry added to the configuration.
    ///
    /// # Errors
    /// As [`Layout::image`] and [`Layout::write_image`].
    pub fn append_layer(
        &self,
        image: &Descriptor,
        layer: Descriptor,
        diff_id: Digest,
        history: History,
    ) -> Result<Descriptor, Error> {
        let Image { manifest, mut config, .. } = self.image(image)?;
        config.rootfs.diff_ids.push(diff_id);
        config.history.push(history);
        let mut layers = manifest.layers;
        layers.push(layer);
        let mut out = self.write_image(&config, layers, manifest.annotations)?;
        out.platform = image.platform.clone();
        Ok(out)
    }

    /// A new image with its configuration changed by `change`.
    ///
    /// # Errors
    /// As [`Layout::image`] and [`Layout::write_image`].
    pub fn update_config(
        &self,
        image: &Descriptor,
        change: impl FnOnce(&mut ImageConfiguration),
    ) -> Result<Descriptor, Error> {
        let Image { manifest, mut config, .. } = self.image(image)?;
        change(&mut config);
        let mut out = self.write_image(&config, manifest.layers, manifest.annotations)?;
        out.platform = image.platform.clone();
        Ok(out)
    }

    /// A new image whose manifest has `annotations` (replacing the old ones).
    ///
    /// # Errors
    /// As [`Layout::image`].
    pub fn set_annotations(
        &self,
        image: &Descriptor,
        annotations: BTreeMap<String, String>,
    ) -> Result<Descriptor, Error> {
        let Image { mut manifest, .. } = self.image(image)?;
        manifest.annotations = annotations;
        let mut out = self.put_json(image.media_type.clone(), &manifest)?;
        out.platform = image.platform.clone();
        Ok(out)
    }
}
