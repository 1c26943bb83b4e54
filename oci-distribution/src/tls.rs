//! Whom a client trusts over TLS: the system's roots, plus a registry's own CAs and
//! client certificate from a `certs.d` directory, the way the container tools do it
//! (containers-certs.d(5)):
//!
//! - `*.crt` files in the directory are extra CAs;
//! - a `NAME.cert` with its `NAME.key` is a client certificate and its key.
//!
//! By default the directories are `/etc/containers/certs.d/HOST[:PORT]/` and
//! `/etc/docker/certs.d/HOST[:PORT]/`; a directory given explicitly (`--cert-dir`)
//! replaces them. The CAs that trust the registry also trust its token service (one
//! client, one trust). A certificate that does not verify fails the request with an
//! error naming the host: there is no silent downgrade to plain HTTP.

use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The default `certs.d` roots, each holding one directory per `HOST[:PORT]`.
pub const DEFAULT_CERT_DIRS: [&str; 2] = ["/etc/containers/certs.d", "/etc/docker/certs.d"];

/// Why a trust configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file or directory could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file that holds no usable certificate or key.
    #[error("{path} is not a PEM {what}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// A certificate or a key.
        what: &'static str,
    },
    /// A client certificate without its key, or a key without its certificate.
    #[error("{path} has no matching {missing}")]
    Unpaired {
        /// The file found.
        path: PathBuf,
        /// `.key` or `.cert`.
        missing: &'static str,
    },
}

/// The certificates a client trusts and presents.
#[derive(Default)]
#[non_exhaustive]
pub struct Trust {
    /// Extra CAs (DER), beside the system's roots.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// A client certificate chain and its key, for registries that ask for one.
    pub client: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    /// Where they came from, for messages.
    pub sources: Vec<PathBuf>,
}

impl Clone for Trust {
    fn clone(&self) -> Self {
        Self {
            extra_roots: self.extra_roots.clone(),
            client: self.client.as_ref().map(|(chain, key)| (chain.clone(), key.clone_key())),
            sources: self.sources.clone(),
        }
    }
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("extra_roots", &self.extra_roots.len())
            .field("client", &self.client.as_ref().map(|(chain, _)| chain.len()))
            .field("sources", &self.sources)
            .finish()
    }
}

impl Trust {
    /// The trust for a registry `host` (`HOST[:PORT]`): from `cert_dir` when given, else
    /// from the default directories that exist for it.
    ///
    /// # Errors
    /// [`TlsError`] for a directory or file that cannot be read or parsed.
    pub fn for_registry(host: &str, cert_dir: Option<&Path>) -> Result<Self, TlsError> {
        let mut trust = Self::default();
        match cert_dir {
            Some(dir) => trust.add_dir(dir)?,
            None => {
                // A host name cannot lead out of the roots: no `/` and no `..`.
                if host.contains('/') || host.contains("..") || host.is_empty() {
                    return Ok(trust);
                }
                for root in DEFAULT_CERT_DIRS {
                    let dir = Path::new(root).join(host);
                    if dir.is_dir() {
                        trust.add_dir(&dir)?;
                    }
                }
            }
        }
        Ok(trust)
    }

    /// Adds the CAs and the client certificate of one `certs.d` directory.
    ///
    /// # Errors
    /// [`TlsError`].
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), TlsError> {
        let read = |source| TlsError::Read { path: dir.to_owned(), source };
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(read)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        names.sort();
        for path in names {
            match path.extension().and_then(|e| e.to_str()) {
                Some("crt") => {
                    let certs = certificates(&path)?;
                    self.extra_roots.extend(certs);
                    self.sources.push(path);
                }
                Some("cert") => {
                    let key = path.with_extension("key");
                    if !key.is_file() {
                        return Err(TlsError::Unpaired { path, missing: ".key" });
                    }
                    let chain = certificates(&path)?;
                    let private = PrivateKeyDer::from_pem_file(&key)
                        .map_err(|_| TlsError::Pem { path: key.clone(), what: "private key" })?;
                    self.client = Some((chain, private));
                    self.sources.push(path);
                }
                Some("key") if !path.with_extension("cert").is_file() => {
                    return Err(TlsError::Unpaired { path, missing: ".cert" });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The system's roots and the extra ones, as DER certificates.
    pub(crate) fn roots(&self) -> Vec<CertificateDer<'static>> {
        // Unreadable system stores leave the extra roots; a client with no root at all
        // verifies nothing and says so at the first request.
        let mut roots = rustls_native_certs::load_native_certs().certs;
        roots.extend(self.extra_roots.iter().cloned());
        roots
    }
}

/// A PEM block of `der` under `label`.
pub(crate) fn pem_block(label: &str, der: &[u8]) -> Vec<u8> {
    let encoded = oci_image::EmbeddedData::encode(der);
    let mut out = format!("-----BEGIN {label}-----\n").into_bytes();
    for line in encoded.as_str().as_bytes().chunks(64) {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.extend_from_slice(format!("-----END {label}-----\n").as_bytes());
    out
}

/// A private key as PEM, labelled by its kind.
pub(crate) fn key_pem(key: &PrivateKeyDer<'_>) -> Vec<u8> {
    let label = match key {
        PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
        PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
        _ => "PRIVATE KEY",
    };
    pem_block(label, key.secret_der())
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|_| TlsError::Pem { path: path.to_owned(), what: "certificate" })?
        .collect::<Result<_, _>>()
        .map_err(|_| TlsError::Pem { path: path.to_owned(), what: "certificate" })?;
    if certs.is_empty() {
        return Err(TlsError::Pem { path: path.to_owned(), what: "certificate" });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cert_dirs() {
        let dir = tempfile::tempdir().unwrap();
        // No openssl here: a structurally valid PEM is enough to parse.
        let pem = "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n";
        std::fs::write(dir.path().join("ca.crt"), pem).unwrap();
        let trust = Trust::for_registry("reg.example:5000", Some(dir.path())).unwrap();
        assert_eq!(trust.extra_roots.len(), 1);
        assert!(trust.client.is_none());
        std::fs::write(dir.path().join("client.cert"), pem).unwrap();
        assert!(matches!(
            Trust::for_registry("x", Some(dir.path())),
            Err(TlsError::Unpaired { .. })
        ));
        std::fs::write(dir.path().join("bad.crt"), "not pem").unwrap();
        std::fs::remove_file(dir.path().join("client.cert")).unwrap();
        assert!(matches!(Trust::for_registry("x", Some(dir.path())), Err(TlsError::Pem { .. })));
        // Hosts that would leave the default roots are not looked up.
        assert!(Trust::for_registry("../../etc", None).unwrap().sources.is_empty());
    }
}
