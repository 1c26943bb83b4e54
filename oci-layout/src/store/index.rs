//! `index.json`: read, changed atomically under a lock, its tags set and listed (whole,
//! or one entry at a time in bounded memory).

use std::collections::HashSet;
use std::fmt;
use std::io::{BufReader, Read};

use oci_image::annotations::{REF_NAME, is_valid_ref_name};
use oci_image::{Descriptor, ImageIndex};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{INDEX_FILE, LOCK_FILE, MAX_INDEX_SIZE, read_small};
use crate::fs::{self, fd};
use crate::{Error, Layout};

impl Layout {
    /// The layout's `index.json`.
    ///
    /// # Errors
    /// [`Error::Json`] if it does not parse, [`Error::Io`].
    pub fn index(&self) -> Result<ImageIndex, Error> {
        let bytes = read_small(&self.root, INDEX_FILE, MAX_INDEX_SIZE)
            .map_err(Error::io("read", INDEX_FILE))?;
        oci_image::json::from_slice(&bytes)
            .map_err(|source| Error::Json { path: INDEX_FILE.into(), source })
    }

    /// Reads, changes and atomically replaces `index.json` under an exclusive lock, so
    /// concurrent writers (threads or processes) lose nothing.
    ///
    /// # Errors
    /// Whatever `change` returns (then nothing is written), or I/O errors.
    pub fn update_index<R>(
        &self,
        change: impl FnOnce(&mut ImageIndex) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let _lock =
            fs::lock_exclusive(fd(&self.root), LOCK_FILE).map_err(Error::io("lock", LOCK_FILE))?;
        let mut index = self.index()?;
        let result = change(&mut index)?;
        let bytes = oci_image::json::to_vec(&index)
            .map_err(|source| Error::Json { path: INDEX_FILE.into(), source })?;
        fs::write_atomic(fd(&self.root), INDEX_FILE, &bytes)
            .map_err(Error::io("write", INDEX_FILE))?;
        Ok(result)
    }

    /// Points the tag `name` at `descriptor` (which the layout must hold), replacing
    /// entries that had the tag: an `index.json` entry with the
    /// `org.opencontainers.image.ref.name` annotation.
    ///
    /// # Errors
    /// [`Error::InvalidRefName`] for a name outside the ref-name grammar,
    /// [`Error::BlobNotFound`] if the layout does not hold the content.
    pub fn tag(&self, descriptor: &Descriptor, name: &str) -> Result<(), Error> {
        if !is_valid_ref_name(name) {
            return Err(Error::InvalidRefName(name.to_owned()));
        }
        if self.blob_size(&descriptor.digest)? != Some(descriptor.size) {
            return Err(Error::BlobNotFound(descriptor.digest.clone()));
        }
        let mut entry = descriptor.clone();
        entry.annotations.insert(REF_NAME.to_owned(), name.to_owned());
        self.update_index(|index| {
            index.manifests.retain(|m| ref_name(m) != Some(name));
            index.manifests.push(entry);
            Ok(())
        })
    }

    /// Removes the tag `name`; `false` if no entry had it. The content stays until
    /// [`Layout::gc`].
    ///
    /// # Errors
    /// I/O errors.
    pub fn untag(&self, name: &str) -> Result<bool, Error> {
        self.update_index(|index| {
            let before = index.manifests.len();
            index.manifests.retain(|m| ref_name(m) != Some(name));
            Ok(index.manifests.len() != before)
        })
    }

    /// The tagged entries of `index.json`, as (tag, descriptor), in index order.
    ///
    /// # Errors
    /// As [`Layout::index`].
    pub fn tags(&self) -> Result<Vec<(String, Descriptor)>, Error> {
        Ok(self
            .index()?
            .manifests
            .into_iter()
            .filter_map(|m| Some((ref_name(&m)?.to_owned(), m)))
            .collect())
    }
}

impl Layout {
    /// Calls `each` with every tagged entry of `index.json` (tag, descriptor), in index
    /// order, reading the file as a stream: memory holds one entry at a time, however
    /// many tags the layout has (where [`Layout::tags`] returns them all). The first error
    /// of `each` ends the walk and is returned.
    ///
    /// Entries are parsed as [`Layout::index`] parses them (a duplicate key in one is an
    /// error); of the index's other members only the `manifests` key is checked not to
    /// repeat.
    ///
    /// # Errors
    /// [`Error::Json`] if `index.json` does not parse, [`Error::Io`] (both converted to
    /// `E`), or `each`'s error.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// use oci_image::MediaType;
    /// let layout = oci_layout::Layout::create(dir.path())?;
    /// let blob = layout.put_bytes(MediaType::ImageLayer, b"x")?;
    /// layout.tag(&blob, "v1")?;
    /// let mut tags = Vec::new();
    /// layout.for_each_tag(|tag, _| {
    ///     tags.push(tag.to_owned());
    ///     Ok::<_, oci_layout::Error>(())
    /// })?;
    /// assert_eq!(tags, ["v1"]);
    /// # Ok(()) }
    /// ```
    pub fn for_each_tag<E: From<Error>>(
        &self,
        mut each: impl FnMut(&str, &Descriptor) -> Result<(), E>,
    ) -> Result<(), E> {
        let file = fs::open_regular(fd(self.root_fd()), INDEX_FILE)
            .map_err(Error::io("read", INDEX_FILE))?;
        let size = file.metadata().map_err(Error::io("inspect", INDEX_FILE))?.len();
        if size > MAX_INDEX_SIZE {
            return Err(Error::io("read", INDEX_FILE)(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{INDEX_FILE} is larger than {MAX_INDEX_SIZE} bytes"),
            ))
            .into());
        }
        let reader = BufReader::with_capacity(1 << 16, file.take(MAX_INDEX_SIZE));
        let mut failed = None;
        let mut visit = |d: Descriptor| match ref_name(&d) {
            Some(tag) => each(tag, &d),
            None => Ok(()),
        };
        let mut deserializer = serde_json::Deserializer::from_reader(reader);
        let parsed = de::Deserializer::deserialize_map(
            &mut deserializer,
            IndexVisitor { each: &mut visit, failed: &mut failed },
        )
        .and_then(|()| deserializer.end());
        match (failed, parsed) {
            (Some(e), _) => Err(e),
            (None, Err(source)) => Err(Error::Json { path: INDEX_FILE.into(), source }.into()),
            (None, Ok(())) => Ok(()),
        }
    }
}

/// The top-level object of `index.json`: `manifests` streamed, the rest skipped.
struct IndexVisitor<'a, E> {
    each: &'a mut dyn FnMut(Descriptor) -> Result<(), E>,
    failed: &'a mut Option<E>,
}

impl<'de, E> Visitor<'de> for IndexVisitor<'_, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an image index object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            if key == "manifests" {
                map.next_value_seed(Manifests {
                    each: &mut *self.each,
                    failed: &mut *self.failed,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The `manifests` array, one descriptor at a time.
struct Manifests<'a, E> {
    each: &'a mut dyn FnMut(Descriptor) -> Result<(), E>,
    failed: &'a mut Option<E>,
}

impl<'de, E> DeserializeSeed<'de> for Manifests<'_, E> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, E> Visitor<'de> for Manifests<'_, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of descriptors")
    }

    fn visit_unit<F: de::Error>(self) -> Result<(), F> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(descriptor) = seq.next_element::<Descriptor>()? {
            if let Err(e) = (self.each)(descriptor) {
                *self.failed = Some(e);
                return Err(de::Error::custom("stopped by the caller"));
            }
        }
        Ok(())
    }
}

/// The tag of an `index.json` entry.
pub(crate) fn ref_name(descriptor: &Descriptor) -> Option<&str> {
    descriptor.annotations.get(REF_NAME).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use oci_image::MediaType;

    use super::*;

    #[test]
    fn streams_the_tags_of_index_json_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::create(dir.path()).unwrap();
        let blob = layout.put_bytes(MediaType::ImageLayer, b"x").unwrap();
        for tag in ["b", "a", "c"] {
            layout.tag(&blob, tag).unwrap();
        }
        // An untagged entry is passed over.
        layout
            .update_index(|i| {
                i.manifests.push(blob.clone());
                Ok(())
            })
            .unwrap();
        let mut seen = Vec::new();
        layout
            .for_each_tag(|tag, d| {
                assert_eq!(d.digest, blob.digest);
                seen.push(tag.to_owned());
                Ok::<_, Error>(())
            })
            .unwrap();
        let listed: Vec<String> = layout.tags().unwrap().into_iter().map(|(t, _)| t).collect();
        assert_eq!(seen, listed);
        assert_eq!(seen, ["b", "a", "c"]);
        // The caller's error ends the walk and is returned as it is.
        let mut calls = 0;
        let err = layout
            .for_each_tag(|tag, _| {
                calls += 1;
                Err(Error::ReferenceNotFound(tag.to_owned()))
            })
            .unwrap_err();
        assert!(matches!(err, Error::ReferenceNotFound(t) if t == "b"));
        assert_eq!(calls, 1);
        // A repeated `manifests` key is refused, as a last-one-wins reader would differ.
        std::fs::write(
            dir.path().join("index.json"),
            br#"{"schemaVersion":2,"manifests":[],"manifests":[]}"#,
        )
        .unwrap();
        assert!(matches!(layout.for_each_tag(|_, _| Ok::<_, Error>(())), Err(Error::Json { .. })));
    }
}
