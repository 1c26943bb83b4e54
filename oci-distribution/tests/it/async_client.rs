//! The async driver against the real registry and the fault proxy: the same operations
//! and the same faults as the blocking driver (`client.rs` runs its fault rules through
//! both), from one protocol core.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use oci_distribution::ClientOptions;
use oci_distribution::Error;
use oci_distribution::async_client::{Client, copy};
use oci_distribution::auth::Credentials;
use oci_distribution::endpoint::Deletion;
use oci_distribution::proto::{AuthFailure, UploadOutcome};
use oci_image::content::{self, CopyOptions, MemoryStore, Source, Target};
use oci_image::{Descriptor, ImageManifest, MediaType};

use crate::client::{assert_same, multi, noise, options, reference};
use crate::proxy::{Bearer, Fault, Proxy};
use crate::support::Registry;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Pushes the image tagged `multi` in `source` to `HOST/PATH:v1` with the async driver,
/// pulls it back into a new store, and returns that store.
pub(crate) fn push_pull(
    host: &str,
    path: &str,
    source: &Arc<MemoryStore>,
    root: &Descriptor,
) -> Arc<MemoryStore> {
    push_pull_with(options(), host, path, source, root)
}

/// [`push_pull`] with these client options.
pub(crate) fn push_pull_with(
    options: ClientOptions,
    host: &str,
    path: &str,
    source: &Arc<MemoryStore>,
    root: &Descriptor,
) -> Arc<MemoryStore> {
    runtime().block_on(async {
        let client = Client::new(options).unwrap();
        let remote = client.repository(&reference(host, &format!("{path}:v1")));
        let pushed = copy(source.clone(), "multi", remote.blocking(), "v1", CopyOptions::default())
            .await
            .unwrap();
        assert_eq!(&pushed, root);
        let back = Arc::new(MemoryStore::new());
        let pulled = copy(remote.blocking(), "v1", back.clone(), "v1", CopyOptions::default())
            .await
            .unwrap();
        assert_eq!(&pulled, root);
        back
    })
}

#[test]
fn every_operation() {
    let registry = Registry::start(None);
    let source = Arc::new(MemoryStore::new());
    let root = multi(&source, 600 << 10);
    runtime().block_on(async {
        let client = Client::new(options()).unwrap();
        let app = client.repository(&reference(&registry.host(), "team/app:v1"));
        copy(source.clone(), "multi", app.blocking(), "v1", CopyOptions::default()).await.unwrap();
        assert_eq!(app.resolve("v1").await.unwrap(), root);
        let (descriptor, bytes) = app.get_manifest(root.digest.as_str()).await.unwrap();
        assert_eq!(descriptor.digest, root.digest);
        assert_eq!(Some(bytes.as_slice()), source.get(&root.digest).as_deref());

        // Blobs as streams, and pushed from an AsyncRead.
        let blob = noise(3, 700 << 10);
        let layer = Descriptor::for_bytes(MediaType::ImageLayerGzip, &blob);
        assert!(!app.exists(&layer).await.unwrap());
        assert_eq!(app.push_blob(&layer, &mut &blob[..]).await.unwrap(), UploadOutcome::Uploaded);
        assert!(app.exists(&layer).await.unwrap());
        let mut stream = app.fetch_blob(&layer).await.unwrap();
        let mut got = Vec::new();
        while let Some(chunk) = stream.next().await {
            got.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(got, blob);
        // Content that does not match its descriptor is refused here.
        let mut wrong = blob.clone();
        wrong[1000] ^= 1;
        let other = Descriptor::for_bytes(MediaType::ImageLayerGzip, &noise(4, 10));
        let mut lie = other.clone();
        lie.size = wrong.len() as u64;
        let err = app.push_blob(&lie, &mut &wrong[..]).await.unwrap_err();
        assert!(matches!(err, Error::Verify { .. }), "{err:?}");
        assert!(!app.exists(&lie).await.unwrap());

        // Tags with pagination, the catalog.
        for tag in ["a", "b", "c"] {
            app.put_manifest(tag, &root.media_type, &source.get(&root.digest).unwrap())
                .await
                .unwrap();
        }
        let mut tags = app.tags(Some(2)).await.unwrap();
        tags.sort();
        assert_eq!(tags, ["a", "b", "c", "v1"]);

        // A referrer: pushed with its subject, listed (the fallback tag on this registry).
        let config = source.push_bytes(MediaType::Empty, b"{}").unwrap();
        let manifests = oci_image::json::from_slice::<oci_image::ImageIndex>(
            &source.get(&root.digest).unwrap(),
        )
        .unwrap()
        .manifests;
        let mut sig = ImageManifest::new(config, Vec::new());
        sig.artifact_type = Some(MediaType::from("application/x-test-signature"));
        sig.subject = Some(manifests[0].clone());
        let sig = source.push_json(MediaType::ImageManifest, &sig).unwrap();
        let store = source.clone();
        copy_graph_async(store, sig.clone(), app.blocking()).await;
        let referrers = app.referrers(&manifests[0].digest, None).await.unwrap();
        assert_eq!(referrers.iter().map(|d| &d.digest).collect::<Vec<_>>(), [&sig.digest]);
        assert!(
            app.referrers(&manifests[0].digest, Some(&MediaType::from("application/x-other")))
                .await
                .unwrap()
                .is_empty()
        );

        // A cross-repository mount: the layer is not uploaded again.
        let other =
            client.repository(&reference(&registry.host(), "team/other:v1")).mount_from("team/app");
        assert_eq!(other.push_blob(&layer, &mut &[][..]).await.unwrap(), UploadOutcome::Mounted);
        assert!(other.exists(&layer).await.unwrap());
        assert_eq!(
            client.catalog(app.registry(), Some(1)).await.unwrap(),
            ["team/app", "team/other"]
        );

        // Deletes.
        app.delete(Deletion::Manifest(sig.digest.as_str())).await.unwrap();
        let err = app.get_manifest(sig.digest.as_str()).await.unwrap_err();
        assert_eq!(err.status(), Some(http::StatusCode::NOT_FOUND), "{err:?}");
    });
}

/// Copies the graph under `root` from a store to the remote, on the blocking pool.
async fn copy_graph_async(
    source: Arc<MemoryStore>,
    root: Descriptor,
    target: oci_distribution::async_client::BlockingRepository,
) {
    tokio::task::spawn_blocking(move || {
        content::copy_graph(&*source, &target, &root, &CopyOptions::default()).unwrap()
    })
    .await
    .unwrap();
}

#[test]
fn bearer_tokens_anywhere_the_registry_says() {
    let registry = Registry::start(None);
    let bearer = Bearer {
        user: "bob".into(),
        password: "pw".into(),
        token: "tok-456".into(),
        realm_host: "localhost",
    };
    let proxy = Proxy::start(registry.port, Some(bearer), |_| Fault::Pass);
    let source = Arc::new(MemoryStore::new());
    let root = multi(&source, 300 << 10);
    let path = reference(&proxy.host(), "tokens/app:v1");
    runtime().block_on(async {
        let anonymous = Client::new(options()).unwrap().repository(&path);
        let err = anonymous.resolve("v1").await.unwrap_err();
        assert_eq!(err.auth_failure(), Some(AuthFailure::NoCredentials), "{err:?}");
        let wrong =
            Client::new(options().credentials(Some(Credentials::new("bob", "nope")))).unwrap();
        let err = wrong.repository(&path).resolve("v1").await.unwrap_err();
        assert_eq!(err.auth_failure(), Some(AuthFailure::Refused), "{err:?}");

        let client =
            Client::new(options().credentials(Some(Credentials::new("bob", "pw")))).unwrap();
        let repo = client.repository(&path);
        copy(source.clone(), "multi", repo.blocking(), "v1", CopyOptions::default()).await.unwrap();
        let back = Arc::new(MemoryStore::new());
        copy(repo.blocking(), "v1", back.clone(), "v1", CopyOptions::default()).await.unwrap();
        assert_same(&source, &back, &root);
        // A failure reaches copy's caller as the registry's typed error.
        let err = copy(
            anonymous.blocking(),
            "v1",
            Arc::new(MemoryStore::new()),
            "v1",
            CopyOptions::default(),
        )
        .await
        .unwrap_err();
        assert_eq!(
            Error::of_content(&err).and_then(Error::auth_failure),
            Some(AuthFailure::NoCredentials)
        );
    });
}

#[test]
fn corrupt_downloads_end_in_a_clear_error_and_store_nothing() {
    let registry = Registry::start(None);
    let source = Arc::new(MemoryStore::new());
    let root = multi(&source, 1 << 20);
    push_pull(&registry.host(), "corrupt/app", &source, &root);
    let proxy = Proxy::start(registry.port, None, |s| {
        if s.method == "GET" && s.path.contains("/blobs/") { Fault::Corrupt } else { Fault::Pass }
    });
    let target = Arc::new(MemoryStore::new());
    let err = runtime().block_on(async {
        let repo =
            Client::new(options()).unwrap().repository(&reference(&proxy.host(), "corrupt/app:v1"));
        copy(repo.blocking(), "v1", target.clone(), "v1", CopyOptions::default()).await.unwrap_err()
    });
    assert!(matches!(err, content::Error::Verify { .. }), "{err:?}");
    assert!(target.tags().is_empty());
    content::walk(&*source, &root, 1 << 20, |node: &content::Node<'_>| {
        if node.descriptor.media_type.is_layer() {
            assert!(target.get(&node.descriptor.digest).is_none());
        }
        Ok(content::WalkControl::Continue)
    })
    .unwrap();
}

#[test]
fn a_download_that_never_progresses_gives_up() {
    let registry = Registry::start(None);
    let bytes = noise(5, 300 << 10);
    let blob = Descriptor::for_bytes(MediaType::ImageLayerGzip, &bytes);
    let proxy = Proxy::start(registry.port, None, |s| {
        if s.method == "GET" && s.path.contains("/blobs/sha256:") {
            Fault::Truncate(0)
        } else {
            Fault::Pass
        }
    });
    runtime().block_on(async {
        let direct =
            Client::new(options()).unwrap().repository(&reference(&registry.host(), "stuck/app"));
        direct.push_blob(&blob, &mut &bytes[..]).await.unwrap();
        let repo =
            Client::new(options()).unwrap().repository(&reference(&proxy.host(), "stuck/app"));
        let started = std::time::Instant::now();
        let mut stream = repo.fetch_blob(&blob).await.unwrap();
        let mut last = None;
        while let Some(item) = stream.next().await {
            last = Some(item);
        }
        assert!(matches!(last, Some(Err(_))), "{last:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
    });
    // The first attempt and six retries, as with the blocking driver.
    assert_eq!(proxy.faults().len(), 7, "{:?}", proxy.faults());
}

#[test]
fn options_are_shared_with_the_blocking_client() {
    let options = ClientOptions::default().chunk_size(1 << 20).plain_http(true);
    let client = Client::new(options).unwrap();
    assert_eq!(client.options().chunk_size, 1 << 20);
    let registry = client.registry(&"127.0.0.1:1/a".parse().unwrap());
    assert_eq!(registry.scheme, "http");
    // The stores a copy reads and writes can be shared.
    let store = Arc::new(MemoryStore::new());
    let d = store.push_bytes(MediaType::ImageLayerGzip, b"x").unwrap();
    assert!(Target::exists(&store, &d).unwrap());
    assert!(Source::fetch(&store, &d).is_ok());
}

/// A hostile registry sends the upload session and the next catalog page to another origin:
/// no credentials go there, in either driver, and the operation fails cleanly.
#[test]
fn credentials_never_follow_a_location_or_link_to_another_origin() {
    let registry = Registry::start(Some(("frank", "pw")));
    let source = Arc::new(MemoryStore::new());
    let root = multi(&source, 300 << 10);
    let frank = || Some(Credentials::new("frank", "pw"));
    // Content and tags put there directly.
    let direct = oci_distribution::client::Client::new(options().credentials(frank()))
        .repository(&reference(&registry.host(), "hostile/app:v1"));
    content::copy(&*source, "multi", &direct, "v1", &CopyOptions::default()).unwrap();
    content::copy(&*source, "multi", &direct, "v2", &CopyOptions::default()).unwrap();
    let proxy = Proxy::start(registry.port, None, |s| {
        if (s.method == "POST" && s.path.ends_with("/blobs/uploads/")) || s.path == "/v2/_catalog" {
            Fault::Relocate("localhost")
        } else {
            Fault::Pass
        }
    });
    let path = reference(&proxy.host(), "hostile/other:v1");
    let listed = reference(&proxy.host(), "hostile/app:v1");
    let blocking = oci_distribution::client::Client::new(options().credentials(frank()));
    assert!(
        content::copy(
            &*source,
            "multi",
            &blocking.repository(&path),
            "v1",
            &CopyOptions::default()
        )
        .is_err()
    );
    let catalog = blocking.catalog(&blocking.registry(&listed), Some(1));
    assert!(catalog.is_err(), "{catalog:?}");
    runtime().block_on(async {
        let client = Client::new(options().credentials(frank())).unwrap();
        assert!(
            copy(
                source.clone(),
                "multi",
                client.repository(&path).blocking(),
                "v1",
                CopyOptions::default()
            )
            .await
            .is_err()
        );
        assert!(client.catalog(&client.registry(&listed), Some(1)).await.is_err());
    });
    let log = proxy.log.lock().unwrap().clone();
    assert!(
        log.iter().any(|l| l.contains("[localhost no-auth]")),
        "the client never went there: {log:#?}"
    );
    assert!(!log.iter().any(|l| l.contains("[localhost auth]")), "credentials leaked: {log:#?}");
    assert!(log.iter().any(|l| l.starts_with("GET /v2/_catalog [localhost no-auth]")), "{log:#?}");
    assert!(log.iter().any(|l| l.contains("[127.0.0.1 auth]")), "{log:#?}");
    let _ = root;
}

/// A registry that sends a head and then nothing: each attempt ends at the read
/// timeout, and the retries end in bounded time, in either driver.
#[test]
fn a_stalled_body_times_out_and_gives_up() {
    let registry = Registry::start(None);
    let bytes = noise(6, 200 << 10);
    let blob = Descriptor::for_bytes(MediaType::ImageLayerGzip, &bytes);
    oci_distribution::client::Client::new(options())
        .repository(&reference(&registry.host(), "stall/app"))
        .push(&blob, &mut &bytes[..])
        .unwrap();
    let proxy = Proxy::start(registry.port, None, |s| {
        if s.method == "GET" && s.path.contains("/blobs/sha256:") {
            Fault::Stall(3_000)
        } else {
            Fault::Pass
        }
    });
    let quick = || {
        options().timeouts(Duration::from_secs(2), Duration::from_millis(300)).retries(
            2,
            Duration::from_millis(10),
            Duration::from_millis(20),
        )
    };
    let path = reference(&proxy.host(), "stall/app");
    let started = std::time::Instant::now();
    let repo = oci_distribution::client::Client::new(quick()).repository(&path);
    let mut out = Vec::new();
    let failed = repo
        .fetch(&blob)
        .and_then(|mut r| std::io::Read::read_to_end(&mut r, &mut out).map_err(content::Error::Io));
    assert!(failed.is_err());
    runtime().block_on(async {
        let repo = Client::new(quick()).unwrap().repository(&path);
        let result = match repo.fetch_blob(&blob).await {
            Ok(mut stream) => {
                let mut last = None;
                while let Some(item) = stream.next().await {
                    last = Some(item.map(drop));
                }
                last.unwrap_or(Ok(()))
            }
            Err(e) => Err(e),
        };
        assert!(result.is_err());
    });
    // Three attempts of 0.3 s each per driver, not three of the 3 s stall.
    assert!(started.elapsed() < Duration::from_secs(6), "{:?}", started.elapsed());
}

#[test]
fn foreign_layers_are_fetched_without_registry_credentials() {
    use std::io::{BufRead, BufReader, Write};
    let registry = Registry::start(Some(("dave", "pw")));
    let bytes = noise(98, 40_000);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = bytes.clone();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(&stream);
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            head.push(line.trim().to_owned());
        }
        let mut out = &stream;
        write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            served.len()
        )
        .unwrap();
        out.write_all(&served).unwrap();
        head
    });
    let mut layer = Descriptor::for_bytes(MediaType::ImageLayerNonDistributableGzip, &bytes);
    layer.urls =
        vec!["ftp://ignored.example/x".into(), format!("http://127.0.0.1:{port}/layer.tar.gz")];
    let got = runtime().block_on(async {
        let client =
            Client::new(options().credentials(Some(Credentials::new("dave", "pw")))).unwrap();
        let repo = client.repository(&reference(&registry.host(), "foreign/app"));
        // Authenticated with the registry first, so that the client holds its credentials.
        assert!(
            !repo.exists(&Descriptor::for_bytes(MediaType::ImageLayerGzip, b"x")).await.unwrap()
        );
        let blocking = repo.blocking();
        tokio::task::spawn_blocking(move || {
            let mut got = Vec::new();
            std::io::Read::read_to_end(&mut blocking.fetch(&layer).unwrap(), &mut got).unwrap();
            got
        })
        .await
        .unwrap()
    });
    assert_eq!(got, bytes);
    let head = server.join().unwrap();
    assert!(head[0].starts_with("GET /layer.tar.gz"), "{head:?}");
    assert!(!head.iter().any(|h| h.to_ascii_lowercase().starts_with("authorization")), "{head:?}");
}

/// A registry that redirects blob downloads to another origin (storage, in real life):
/// the redirect is followed without the registry's credentials, in either driver.
#[test]
fn redirects_to_another_origin_carry_no_credentials() {
    let registry = Registry::start(Some(("gina", "pw")));
    let bytes = noise(7, 50_000);
    let blob = Descriptor::for_bytes(MediaType::ImageLayerGzip, &bytes);
    let gina = || Some(Credentials::new("gina", "pw"));
    oci_distribution::client::Client::new(options().credentials(gina()))
        .repository(&reference(&registry.host(), "redirect/app"))
        .push(&blob, &mut &bytes[..])
        .unwrap();
    let proxy = Proxy::start(registry.port, None, |s| {
        if s.method == "GET" && s.path.contains("/blobs/sha256:") && s.host == "127.0.0.1" {
            Fault::Redirect("localhost")
        } else {
            Fault::Pass
        }
    });
    let path = reference(&proxy.host(), "redirect/app");
    let repo =
        oci_distribution::client::Client::new(options().credentials(gina())).repository(&path);
    assert!(repo.exists(&blob).unwrap());
    let mut out = Vec::new();
    // The storage here is the registry itself, which wants credentials: the download
    // fails rather than send them.
    let fetched = repo
        .fetch(&blob)
        .and_then(|mut r| std::io::Read::read_to_end(&mut r, &mut out).map_err(content::Error::Io));
    assert!(fetched.is_err());
    runtime().block_on(async {
        let repo = Client::new(options().credentials(gina())).unwrap().repository(&path);
        assert!(repo.exists(&blob).await.unwrap());
        assert!(repo.fetch_blob(&blob).await.is_err());
    });
    let log = proxy.log.lock().unwrap().clone();
    assert!(
        log.iter().any(|l| l.contains("[localhost no-auth]")),
        "no redirect was followed: {log:#?}"
    );
    assert!(
        !log.iter().any(|l| l.contains("[localhost auth]")),
        "credentials followed a redirect: {log:#?}"
    );
}
