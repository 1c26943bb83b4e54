//! TLS with a CA of the test's own (made with the `openssl` program): the registry's
//! certificate verifies only with the CA from a `certs.d`-style directory, in both
//! drivers, and a certificate that does not verify is an error naming the host.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use oci_distribution::ClientOptions;
use oci_distribution::tls::Trust;
use oci_image::content::{CopyOptions, MemoryStore, copy};

use crate::client::{assert_same, multi, reference};
use crate::support::Registry;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").current_dir(dir).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `openssl` ({e}): install it (apt-get install openssl)")
    });
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA, and a certificate for 127.0.0.1 and localhost signed by it: `(ca.crt,
/// server.crt, server.key)` in `dir`.
pub(crate) fn make_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=oci-rs test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.crt",
        ],
    );
    (dir.join("ca.crt"), dir.join("server.crt"), dir.join("server.key"))
}

#[test]
fn a_private_ca_from_a_cert_dir_in_both_drivers() {
    let work = tempfile::tempdir().unwrap();
    let (ca, certificate, key) = make_ca(work.path());
    let registry = Registry::start_with(None, Some((&certificate, &key)));
    let host = registry.host();
    // A certs.d directory as skopeo's --cert-dir takes it: *.crt are CAs.
    let certs = work.path().join("certs.d").join(&host);
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(&ca, certs.join("ca.crt")).unwrap();
    let trust = Trust::for_registry(&host, Some(&certs)).unwrap();
    assert_eq!(trust.extra_roots.len(), 1);
    let options = || {
        ClientOptions::default().retries(
            1,
            std::time::Duration::from_millis(10),
            std::time::Duration::from_millis(10),
        )
    };

    let source = Arc::new(MemoryStore::new());
    let root = multi(&source, 300 << 10);
    let path = reference(&host, "tls/app:v1");

    // Blocking: without the CA the certificate does not verify, and the error names
    // the host; with it, push and pull.
    let untrusted = oci_distribution::client::Client::new(options()).repository(&path);
    let err = copy(&*source, "multi", &untrusted, "v1", &CopyOptions::default()).unwrap_err();
    let message = oci_distribution::Error::of_content(&err).map(error_chain).unwrap_or_default();
    assert!(message.contains(&host), "{message}");
    assert!(
        message.to_ascii_lowercase().contains("certificate") || message.contains("UnknownIssuer"),
        "{message}"
    );
    let trusted =
        oci_distribution::client::Client::new(options().trust(trust.clone())).repository(&path);
    assert_eq!(copy(&*source, "multi", &trusted, "v1", &CopyOptions::default()).unwrap(), root);
    let back = MemoryStore::new();
    copy(&trusted, "v1", &back, "v1", &CopyOptions::default()).unwrap();
    assert_same(&source, &back, &root);

    // Async: the same.
    #[cfg(feature = "async-client")]
    {
        use oci_distribution::async_client::{Client, copy as async_copy};
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let untrusted = Client::new(options()).unwrap().repository(&path);
            let err = untrusted.resolve("v1").await.unwrap_err();
            let message = error_chain(&err);
            assert!(message.contains(&host), "{message}");
            let trusted = Client::new(options().trust(trust)).unwrap().repository(&path);
            let back = Arc::new(MemoryStore::new());
            async_copy(trusted.blocking(), "v1", back.clone(), "v1", CopyOptions::default())
                .await
                .unwrap();
            assert_same(&source, &back, &root);
        });
    }
}

fn error_chain(e: &oci_distribution::Error) -> String {
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        message.push_str(": ");
        message.push_str(&c.to_string());
        cause = c.source();
    }
    message
}

#[test]
fn a_client_certificate_from_a_cert_dir() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let (ca, certificate, key) = make_ca(dir);
    // A client certificate signed by the same CA.
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=client",
            "-keyout",
            "client.key",
            "-out",
            "client.csr",
        ],
    );
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "client.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "client.ext",
            "-out",
            "client.cert",
        ],
    );
    let clientcas = format!(
        "  tls:\n    certificate: {}\n    key: {}\n    clientcas:\n      - {}\n",
        certificate.display(),
        key.display(),
        ca.display()
    );
    let registry = Registry::start_custom_http(&clientcas);
    let host = registry.host();
    let certs = dir.join("certs.d").join(&host);
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(&ca, certs.join("ca.crt")).unwrap();
    let without = Trust::for_registry(&host, Some(&certs)).unwrap();
    std::fs::copy(dir.join("client.cert"), certs.join("client.cert")).unwrap();
    std::fs::copy(dir.join("client.key"), certs.join("client.key")).unwrap();
    let with = Trust::for_registry(&host, Some(&certs)).unwrap();
    assert!(with.client.is_some());
    let options = |trust: Trust| {
        ClientOptions::default().trust(trust).retries(
            1,
            std::time::Duration::from_millis(10),
            std::time::Duration::from_millis(10),
        )
    };
    let source = Arc::new(MemoryStore::new());
    let root = multi(&source, 100 << 10);
    let path = reference(&host, "mtls/app:v1");
    let refused = oci_distribution::client::Client::new(options(without.clone())).repository(&path);
    assert!(copy(&*source, "multi", &refused, "v1", &CopyOptions::default()).is_err());
    let accepted = oci_distribution::client::Client::new(options(with.clone())).repository(&path);
    assert_eq!(copy(&*source, "multi", &accepted, "v1", &CopyOptions::default()).unwrap(), root);
    #[cfg(feature = "async-client")]
    {
        use oci_distribution::async_client::{Client, copy as async_copy};
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let refused = Client::new(options(without)).unwrap().repository(&path);
            assert!(refused.resolve("v1").await.is_err());
            let accepted = Client::new(options(with)).unwrap().repository(&path);
            let back = Arc::new(MemoryStore::new());
            async_copy(accepted.blocking(), "v1", back.clone(), "v1", CopyOptions::default())
                .await
                .unwrap();
            assert_same(&source, &back, &root);
        });
    }
}
