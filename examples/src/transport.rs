//! Image names on the command line, with skopeo's transport syntax:
//! `oci:PATH[:REF]`, `oci-archive:FILE[:REF]`, `docker-archive:FILE[:NAME:TAG]`.

use std::path::PathBuf;

/// Where an image is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// An image layout directory and a reference in it.
    Oci {
        /// The layout directory.
        path: PathBuf,
        /// A tag or digest; `None` when not given.
        reference: Option<String>,
    },
    /// A tarred image layout.
    OciArchive {
        /// The archive file.
        path: PathBuf,
        /// A tag or digest in the archive's index.
        reference: Option<String>,
    },
    /// A `docker save` archive.
    DockerArchive {
        /// The archive file.
        path: PathBuf,
        /// `NAME:TAG` to write into (or pick from) the archive.
        name: Option<String>,
    },
    /// A registry image `HOST[:PORT]/REPO[:TAG|@DIGEST]`.
    Docker {
        /// Everything after `docker://`.
        reference: String,
    },
}

/// Why an image name does not parse.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0:?} is not an image name: use oci:PATH[:REF], oci-archive:FILE[:REF], docker-archive:FILE or docker://HOST/REPO[:TAG]"
)]
pub struct ParseTransportError(String);

impl std::str::FromStr for Transport {
    type Err = ParseTransportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseTransportError(s.to_owned());
        if let Some(rest) = s.strip_prefix("docker://") {
            return if rest.is_empty() {
                Err(err())
            } else {
                Ok(Self::Docker { reference: rest.to_owned() })
            };
        }
        let (kind, rest) = s.split_once(':').ok_or_else(err)?;
        // The path ends at the first ':'; what follows names the image (as skopeo does).
        let (path, name) = match rest.split_once(':') {
            Some((p, r)) if !r.is_empty() => (p, Some(r.to_owned())),
            Some((p, _)) => (p, None),
            None => (rest, None),
        };
        if path.is_empty() {
            return Err(err());
        }
        let path = PathBuf::from(path);
        match kind {
            "oci" => Ok(Self::Oci { path, reference: name }),
            "oci-archive" => Ok(Self::OciArchive { path, reference: name }),
            "docker-archive" => Ok(Self::DockerArchive { path, name }),
            _ => Err(err()),
        }
    }
}

impl Transport {
    /// The layout path and reference of an `oci:` name, or an error naming `what` needs one.
    ///
    /// # Errors
    /// For any other transport.
    pub fn layout(&self, what: &str) -> Result<(&PathBuf, Option<&str>), crate::Failure> {
        match self {
            Self::Oci { path, reference } => Ok((path, reference.as_deref())),
            _ => Err(format!("{what} works on image layouts: name one as oci:PATH[:REF]").into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_skopeo_names() {
        assert_eq!(
            "oci:/tmp/l:v1".parse::<Transport>().unwrap(),
            Transport::Oci { path: "/tmp/l".into(), reference: Some("v1".into()) }
        );
        assert_eq!(
            "oci:l".parse::<Transport>().unwrap(),
            Transport::Oci { path: "l".into(), reference: None }
        );
        assert_eq!(
            "docker-archive:a.tar:example/app:v1".parse::<Transport>().unwrap(),
            Transport::DockerArchive { path: "a.tar".into(), name: Some("example/app:v1".into()) }
        );
        assert_eq!(
            "docker://127.0.0.1:5000/app:v1".parse::<Transport>().unwrap(),
            Transport::Docker { reference: "127.0.0.1:5000/app:v1".into() }
        );
        for bad in ["", "oci", "oci:", "nope:x", "docker://"] {
            assert!(bad.parse::<Transport>().is_err(), "{bad}");
        }
    }
}
