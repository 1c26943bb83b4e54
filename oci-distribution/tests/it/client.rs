//! The client against the real registry: push and pull of single and multi-platform
//! images, by tag and digest, chunked and monolithic uploads, tags with pagination,
//! catalog, referrers through the fallback tag, cross-repository mount, deletes, Basic
//! and Bearer authentication, and faults injected by the test proxy.

use std::time::Duration;

use oci_distribution::Reference;
use oci_distribution::auth::Credentials;
use oci_distribution::client::{Client, ClientError, ClientOptions};
use oci_distribution::endpoint::Deletion;
use oci_distribution::proto::AuthFailure;
use oci_image::content::{self, CopyOptions, MemoryStore, Source, Target, copy, copy_graph};
use oci_image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType};

use crate::proxy::{Bearer, Fault, Proxy};
use crate::support::Registry;

/// Deterministic bytes that do not compress.
pub(crate) fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// An image of `arch` with a small layer and one of `big` bytes.
pub(crate) fn image(store: &MemoryStore, arch: &str, big: usize) -> Descriptor {
    let small = store.push_bytes(MediaType::ImageLayerGzip, arch.as_bytes()).unwrap();
    let large = store
        .push_bytes(MediaType::ImageLayerGzip, &noise(arch.len() as u64 + big as u64, big))
        .unwrap();
    let config =
        store.push_json(MediaType::ImageConfig, &ImageConfiguration::new("linux", arch)).unwrap();
    let mut d = store
        .push_json(MediaType::ImageManifest, &ImageManifest::new(config, vec![small, large]))
        .unwrap();
    d.platform = Some(format!("linux/{arch}").parse().unwrap());
    d
}

pub(crate) fn multi(store: &MemoryStore, big: usize) -> Descriptor {
    let index = ImageIndex::new(vec![image(store, "amd64", big), image(store, "arm64", big / 2)]);
    let root = store.push_json(MediaType::ImageIndex, &index).unwrap();
    store.tag(&root, "multi").unwrap();
    root
}

pub(crate) fn options() -> ClientOptions {
    ClientOptions::default().plain_http(true).chunk_size(256 << 10).retries(
        6,
        Duration::from_millis(20),
        Duration::from_millis(200),
    )
}

pub(crate) fn reference(host: &str, path: &str) -> Reference {
    format!("{host}/{path}").parse().unwrap()
}

/// Every blob of `a` is in `b` with the same bytes.
pub(crate) fn assert_same(a: &MemoryStore, b: &MemoryStore, root: &Descriptor) {
    content::walk(a, root, 1 << 20, |node: &content::Node<'_>| {
        let d = node.descriptor;
        if d.embedded().is_none() {
            assert_eq!(a.get(&d.digest), b.get(&d.digest), "{}", d.digest);
        }
        Ok(content::WalkControl::Continue)
    })
    .unwrap();
}

#[test]
fn push_pull_tags_catalog_referrers_mount_delete() {
    let registry = Registry::start(None);
    let client = Client::new(options());
    let app = client.repository(&reference(&registry.host(), "team/app:v1"));
    client.ping(app.registry()).unwrap();

    // Push a two-platform index: the large layers go up in chunks, the rest in one PUT.
    let source = MemoryStore::new();
    let root = multi(&source, 1 << 20);
    let pushed = copy(&source, "multi", &app, "v1", &CopyOptions::default()).unwrap();
    assert_eq!(pushed, root);

    // Pull it back whole, by tag, then by digest.
    let all = MemoryStore::new();
    assert_eq!(copy(&app, "v1", &all, "v1", &CopyOptions::default()).unwrap().digest, root.digest);
    assert_eq!(all.len(), source.len());
    assert_same(&source, &all, &root);
    let by_digest = MemoryStore::new();
    let d = copy(&app, root.digest.as_str(), &by_digest, "d", &CopyOptions::default()).unwrap();
    assert_eq!(d, root);

    // One platform: the copy is that manifest.
    let arm = MemoryStore::new();
    let one = CopyOptions::default().platform("linux/arm64".parse().unwrap());
    let manifest = copy(&app, "v1", &arm, "arm", &one).unwrap();
    assert_eq!(manifest.media_type, MediaType::ImageManifest);
    assert_eq!(arm.len(), 4);

    // A second push skips everything.
    let stats = content::copy_graph(&source, &app, &root, &CopyOptions::default()).unwrap();
    assert_eq!((stats.blobs_copied, stats.blobs_skipped), (0, 1));

    // Tags with pagination, and the catalog.
    for tag in ["a", "b", "c", "d"] {
        app.tag(&root, tag).unwrap();
    }
    let mut tags = app.tags(Some(2)).unwrap();
    tags.sort();
    assert_eq!(tags, ["a", "b", "c", "d", "v1"]);
    assert_eq!(app.tags(None).unwrap().len(), 5);

    // A signature that refers to the amd64 manifest: the registry (2.8) has no referrers
    // API, so the client keeps the fallback tag up to date.
    let amd64 = source.fetch_bytes(&root, 1 << 20).unwrap();
    let index: ImageIndex = oci_image::json::from_slice(&amd64).unwrap();
    let subject = index.manifests[0].clone();
    let mut sig = ImageManifest::new(
        Descriptor::empty(),
        vec![source.push_bytes(MediaType::from("application/x-sig"), b"signed").unwrap()],
    );
    sig.artifact_type = Some(MediaType::from("application/x-signature"));
    sig.subject =
        Some(Descriptor::new(subject.media_type.clone(), subject.size, subject.digest.clone()));
    let sig = source.push_json(MediaType::ImageManifest, &sig).unwrap();
    copy_graph(&source, &app, &sig, &CopyOptions::default()).unwrap();
    let referrers = app.referrers(&subject, None).unwrap();
    assert_eq!(referrers.len(), 1);
    assert_eq!(referrers[0].digest, sig.digest);
    assert_eq!(referrers[0].artifact_type, Some(MediaType::from("application/x-signature")));
    assert!(
        app.referrers(&subject, Some(&MediaType::from("application/other"))).unwrap().is_empty()
    );
    assert!(
        app.tags(None)
            .unwrap()
            .contains(&oci_distribution::endpoint::referrers_fallback_tag(&subject.digest))
    );
    // A copy with referrers brings the signature along.
    let with = MemoryStore::new();
    let mut options = CopyOptions::default();
    options.referrers = true;
    copy(&app, "v1", &with, "v1", &options).unwrap();
    assert!(with.exists(&sig).unwrap());

    // Cross-repository mount: the blobs are mounted, not uploaded.
    let other =
        client.repository(&reference(&registry.host(), "team/other:v1")).mount_from("team/app");
    let before = source.len();
    let stats = copy_graph(&all, &other, &root, &CopyOptions::default()).unwrap();
    assert_eq!(source.len(), before);
    // Only the three documents are pushed; every layer and config is mounted.
    assert_eq!(stats.blobs_copied, 3, "{stats:?}");
    assert_eq!(stats.blobs_skipped, 6, "{stats:?}");
    other.tag(&root, "v1").unwrap();
    let catalog = client.catalog(app.registry(), Some(1)).unwrap();
    assert_eq!(catalog, ["team/app", "team/other"]);

    // Deletes: the manifest is gone, the tag with it.
    other.delete(Deletion::Manifest(root.digest.as_str())).unwrap();
    assert!(matches!(other.resolve("v1"), Err(content::Error::ReferenceNotFound(_))));
    assert!(matches!(app.resolve("nope"), Err(content::Error::ReferenceNotFound(_))));
    assert!(matches!(app.resolve("Not A Tag!"), Err(content::Error::InvalidReference(_))));
}

#[test]
fn bad_content_is_never_stored() {
    let registry = Registry::start(None);
    {
        let client = Client::new(options());
        let repo = client.repository(&reference(&registry.host(), "bad/content"));
        for size in [1000usize, 600 << 10] {
            let bytes = noise(7 + size as u64, size);
            let good = Descriptor::for_bytes(MediaType::ImageLayerGzip, &bytes);
            let mut wrong = bytes.clone();
            wrong[size / 2] ^= 1;
            // The wrong bytes are refused here, before anything is committed.
            let err = repo.push(&good, &mut &wrong[..]).unwrap_err();
            assert!(matches!(err, content::Error::Verify { .. }), "{err:?}");
            // Short and long content: the size is always checked here.
            let err = repo.push(&good, &mut &bytes[..size - 1]).unwrap_err();
            assert!(matches!(err, content::Error::Verify { .. }), "{err:?}");
            let mut longer = bytes.clone();
            longer.push(0);
            let err = repo.push(&good, &mut &longer[..]).unwrap_err();
            assert!(matches!(err, content::Error::Verify { .. }), "{err:?}");
            assert!(!repo.exists(&good).unwrap());
            repo.push(&good, &mut &bytes[..]).unwrap();
            assert!(repo.exists(&good).unwrap());
            // Fetching with a descriptor that lies about the size fails verification.
            let mut lie = good.clone();
            lie.size -= 1;
            let mut out = Vec::new();
            let err =
                std::io::Read::read_to_end(&mut repo.fetch(&lie).unwrap(), &mut out).unwrap_err();
            assert!(oci_image::VerifyError::from_io(&err).is_some(), "{err:?}");
        }
        let missing = Descriptor::for_bytes(MediaType::ImageLayerGzip, b"never pushed");
        assert!(matches!(repo.fetch(&missing), Err(content::Error::NotFound(_))));
    }
}

#[test]
fn basic_auth() {
    let registry = Registry::start(Some(("alice", "s3cret")));
    let source = MemoryStore::new();
    let root = multi(&source, 300 << 10);
    let path = reference(&registry.host(), "private/app:v1");

    let anonymous = Client::new(options()).repository(&path);
    let err = copy(&source, "multi", &anonymous, "v1", &CopyOptions::default()).unwrap_err();
    assert!(format!("{:?}", err).contains("credentials"), "{err:?}");

    let wrong = Client::new(options().credentials(Some(creds("alice", "nope")))).repository(&path);
    let err = wrong.resolve("v1").unwrap_err();
    let e = ClientError::of_content(&err).expect("a registry error");
    assert_eq!(e.auth_failure(), Some(AuthFailure::Refused), "{e:?}");

    // Credentials from a Docker config.json.
    let config = format!(r#"{{"auths":{{"{}":{{"auth":"YWxpY2U6czNjcmV0"}}}}}}"#, registry.host());
    let found =
        oci_distribution::auth::credentials_from_docker_config(config.as_bytes(), &registry.host())
            .unwrap();
    let client = Client::new(options().credentials(found));
    let repo = client.repository(&path);
    assert_eq!(copy(&source, "multi", &repo, "v1", &CopyOptions::default()).unwrap(), root);
    let back = MemoryStore::new();
    copy(&repo, "v1", &back, "v1", &CopyOptions::default()).unwrap();
    assert_same(&source, &back, &root);
}

fn creds(user: &str, password: &str) -> Credentials {
    Credentials::new(user, password)
}

#[test]
fn bearer_tokens() {
    let registry = Registry::start(None);
    let bearer = Bearer {
        user: "bob".into(),
        password: "pw".into(),
        token: "tok-123".into(),
        realm_host: "127.0.0.1",
    };
    let proxy = Proxy::start(registry.port, Some(bearer.clone()), |_| Fault::Pass);
    let source = MemoryStore::new();
    let root = multi(&source, 300 << 10);
    let path = reference(&proxy.host(), "tokens/app:v1");

    let anonymous = Client::new(options()).repository(&path);
    let err = anonymous.resolve("v1").unwrap_err();
    let registry_error = ClientError::of_content(&err).expect("a registry error");
    assert_eq!(registry_error.auth_failure(), Some(AuthFailure::NoCredentials), "{err:?}");
    assert!(format!("{registry_error}").contains(&proxy.host()), "{registry_error}");
    let wrong = Client::new(options().credentials(Some(creds("bob", "nope")))).repository(&path);
    let err = wrong.resolve("v1").unwrap_err();
    assert_eq!(
        ClientError::of_content(&err).and_then(ClientError::auth_failure),
        Some(AuthFailure::Refused),
        "{err:?}"
    );

    let client = Client::new(options().credentials(Some(creds("bob", "pw"))));
    let repo = client.repository(&path);
    assert_eq!(copy(&source, "multi", &repo, "v1", &CopyOptions::default()).unwrap(), root);
    let back = MemoryStore::new();
    copy(&repo, "v1", &back, "v1", &CopyOptions::default()).unwrap();
    assert_same(&source, &back, &root);
    assert_eq!(client.catalog(repo.registry(), None).unwrap(), ["tokens/app"]);

    // A token service on another host (here `localhost` for the same proxy) is followed,
    // as Docker, containerd and skopeo do: the registry names it.
    let foreign =
        Proxy::start(registry.port, Some(Bearer { realm_host: "localhost", ..bearer }), |_| {
            Fault::Pass
        });
    let path = reference(&foreign.host(), "tokens/app:v1");
    let client = Client::new(options().credentials(Some(creds("bob", "pw"))));
    assert_eq!(client.repository(&path).resolve("v1").unwrap(), root);
}

/// Pushes and pulls through the proxy with `rule`, with the blocking driver and then the
/// async one, and checks that each copy is whole.
fn survives(
    rule: impl Fn(&crate::proxy::Seen<'_>) -> Fault + Send + Sync + 'static,
) -> Vec<String> {
    survives_with(options(), 1 << 20, rule)
}

/// [`survives`] with these client options and layers of `big` bytes.
fn survives_with(
    options: ClientOptions,
    big: usize,
    rule: impl Fn(&crate::proxy::Seen<'_>) -> Fault + Send + Sync + 'static,
) -> Vec<String> {
    let registry = Registry::start(None);
    let proxy = Proxy::start(registry.port, None, rule);
    let client = Client::new(options.clone());
    let repo = client.repository(&reference(&proxy.host(), "faults/app:v1"));
    let source = std::sync::Arc::new(MemoryStore::new());
    let root = multi(&source, big);
    assert_eq!(copy(&*source, "multi", &repo, "v1", &CopyOptions::default()).unwrap(), root);
    let back = MemoryStore::new();
    copy(&repo, "v1", &back, "v1", &CopyOptions::default()).unwrap();
    assert_same(&source, &back, &root);
    let blocking = proxy.faults().len();
    assert!(blocking > 0, "the rule injected nothing");
    // skopeo, asking the registry directly, sees the image that was pushed.
    let image = format!("docker://{}/faults/app:v1", registry.host());
    let seen = crate::support::skopeo_raw(&image, &["--tls-verify=false"]);
    assert_eq!(oci_image::Digest::sha256(&seen), root.digest);
    #[cfg(feature = "async-client")]
    {
        let back = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::async_client::push_pull_with(
                options,
                &proxy.host(),
                "faults/async",
                &source,
                &root,
            )
        }))
        .unwrap_or_else(|e| {
            eprintln!("{:#?}", proxy.log.lock().unwrap());
            std::panic::resume_unwind(e)
        });
        assert_same(&source, &back, &root);
        assert!(proxy.faults().len() > blocking, "the rule injected nothing into the async driver");
    }
    proxy.faults()
}

#[test]
fn retries_5xx_and_429() {
    survives(|s| match s.number % 5 {
        1 => Fault::Status(503),
        3 => Fault::Status(429),
        _ => Fault::Pass,
    });
}

#[test]
fn resumes_dropped_and_truncated_downloads() {
    let faults = survives(|s| {
        let blob_get = s.method == "GET" && s.path.contains("/blobs/sha256:");
        match s.number % 3 {
            0 if blob_get => Fault::Truncate(100 << 10),
            1 if blob_get => Fault::Drop,
            _ => Fault::Pass,
        }
    });
    assert!(faults.iter().any(|f| f.contains("Truncate")), "{faults:?}");
}

#[test]
fn resumes_chunked_uploads() {
    // Chunks dropped before the registry sees them: the client asks for the upload's
    // offset and goes on from there. Final PUTs whose answers are lost: the client finds
    // the blob there. (A chunk whose answer is lost cannot be resumed with this registry:
    // it refuses the session state of the URL before that chunk.)
    let patches = std::sync::atomic::AtomicUsize::new(0);
    let puts = std::sync::atomic::AtomicUsize::new(0);
    let faults = survives(move |s| {
        let count = |c: &std::sync::atomic::AtomicUsize| {
            c.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        };
        match s.method {
            "PATCH" if count(&patches) % 3 == 1 => Fault::Drop,
            "PUT" if s.path.contains("/blobs/uploads/") && count(&puts) % 2 == 0 => {
                Fault::DropAnswer
            }
            _ => Fault::Pass,
        }
    });
    assert!(faults.iter().any(|f| f.starts_with("PATCH")), "{faults:?}");
    assert!(faults.iter().any(|f| f.starts_with("PUT")), "{faults:?}");
}

#[test]
fn chunks_over_4_mib_refused_with_416_are_sent_smaller() {
    // GHCR's answer to a chunk over 4 MiB, from a proxy in front of the registry.
    let faults = survives_with(
        ClientOptions::default().plain_http(true).chunk_size(8 << 20).monolithic_limit(1 << 20),
        6 << 20,
        |s| {
            if s.method == "PATCH" && s.length > 4 << 20 { Fault::Status(416) } else { Fault::Pass }
        },
    );
    assert!(faults.iter().any(|f| f.starts_with("PATCH") && f.contains("416")), "{faults:?}");
}

#[test]
fn a_registry_that_refuses_every_patch_gets_streamed_puts() {
    // Google Artifact Registry's answer to chunked uploads.
    let faults = survives_with(
        ClientOptions::default().plain_http(true).chunk_size(256 << 10),
        3 << 20,
        |s| if s.method == "PATCH" { Fault::Status(405) } else { Fault::Pass },
    );
    assert!(faults.iter().any(|f| f.starts_with("PATCH") && f.contains("405")), "{faults:?}");
}

#[test]
fn a_slow_link_is_not_a_failure() {
    let faults = survives(|s| {
        if s.method == "GET" && s.path.contains("/blobs/sha256:") {
            Fault::Slow(128 << 10)
        } else {
            Fault::Pass
        }
    });
    assert!(faults.iter().any(|f| f.contains("Slow")), "{faults:?}");
}

#[test]
fn corrupt_downloads_end_in_a_clear_error_and_store_nothing() {
    let registry = Registry::start(None);
    let direct = Client::new(options()).repository(&reference(&registry.host(), "corrupt/app:v1"));
    let source = MemoryStore::new();
    let root = multi(&source, 1 << 20);
    copy(&source, "multi", &direct, "v1", &CopyOptions::default()).unwrap();
    let proxy = Proxy::start(registry.port, None, |s| {
        if s.method == "GET" && s.path.contains("/blobs/") { Fault::Corrupt } else { Fault::Pass }
    });
    let repo = Client::new(options()).repository(&reference(&proxy.host(), "corrupt/app:v1"));
    let target = MemoryStore::new();
    let err = copy(&repo, "v1", &target, "v1", &CopyOptions::default()).unwrap_err();
    assert!(matches!(err, content::Error::Verify { .. }), "{err:?}");
    // Nothing unverified was stored, and no tag.
    content::walk(&source, &root, 1 << 20, |node: &content::Node<'_>| {
        if node.descriptor.media_type.is_layer() {
            assert!(target.get(&node.descriptor.digest).is_none());
        }
        Ok(content::WalkControl::Continue)
    })
    .unwrap();
    assert!(target.tags().is_empty());
}

#[test]
fn push_survives_a_registry_restart() {
    let mut registry = Registry::start(None);
    // At the 20th chunk the proxy has the registry killed, drops that chunk, and lets the
    // client find the registry gone until it is restarted.
    let (kill, killing) = std::sync::mpsc::channel::<()>();
    let (killed, dead) = std::sync::mpsc::channel::<()>();
    let (kill, dead) = (std::sync::Mutex::new(kill), std::sync::Mutex::new(dead));
    let patches = std::sync::atomic::AtomicUsize::new(0);
    let proxy = Proxy::start(registry.port, None, move |s| {
        if s.method == "PATCH" && patches.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 20 {
            kill.lock().unwrap().send(()).unwrap();
            dead.lock().unwrap().recv().unwrap();
            return Fault::Drop;
        }
        Fault::Pass
    });
    let client = Client::new(options().chunk_size(64 << 10).retries(
        12,
        Duration::from_millis(50),
        Duration::from_millis(500),
    ));
    let repo = client.repository(&reference(&proxy.host(), "restart/app:v1"));
    let source = MemoryStore::new();
    let big = noise(42, 8 << 20);
    let layer = source.push_bytes(MediaType::ImageLayerGzip, &big).unwrap();
    let config = source
        .push_json(MediaType::ImageConfig, &ImageConfiguration::new("linux", "amd64"))
        .unwrap();
    let manifest = source
        .push_json(MediaType::ImageManifest, &ImageManifest::new(config, vec![layer.clone()]))
        .unwrap();
    source.tag(&manifest, "v1").unwrap();

    std::thread::scope(|scope| {
        let push = scope.spawn(|| copy(&source, "v1", &repo, "v1", &CopyOptions::default()));
        killing.recv().unwrap();
        registry.stop();
        killed.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(400));
        registry.restart();
        assert_eq!(push.join().unwrap().unwrap(), manifest);
    });
    let log = proxy.log.lock().unwrap().clone();
    let patches = log.iter().filter(|l| l.starts_with("PATCH")).count();
    // 8 MiB in 64 KiB chunks is 128 chunks: the push went on from the registry's offset
    // after the restart rather than starting over.
    assert!((128..140).contains(&patches), "{patches} chunks sent");
    assert!(log.iter().any(|l| l.starts_with("GET /v2/restart/app/blobs/uploads/")), "{log:?}");
    let back = MemoryStore::new();
    copy(&repo, "v1", &back, "v1", &CopyOptions::default()).unwrap();
    assert_eq!(back.get(&layer.digest).as_deref(), Some(&big[..]));
}

#[test]
fn foreign_layers_are_fetched_without_registry_credentials() {
    use std::io::{BufRead, BufReader, Write};
    let registry = Registry::start(Some(("dave", "pw")));
    let bytes = noise(99, 50_000);
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
    layer.urls = vec![format!("http://127.0.0.1:{port}/layer.tar.gz")];
    let client = Client::new(options().credentials(Some(creds("dave", "pw"))));
    let repo = client.repository(&reference(&registry.host(), "foreign/app"));
    // Authenticate with the registry first, so that the client holds its credentials.
    assert!(!repo.exists(&Descriptor::for_bytes(MediaType::ImageLayerGzip, b"x")).unwrap());
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut repo.fetch(&layer).unwrap(), &mut got).unwrap();
    assert_eq!(got, bytes);
    let head = server.join().unwrap();
    assert!(head[0].starts_with("GET /layer.tar.gz"), "{head:?}");
    assert!(!head.iter().any(|h| h.to_ascii_lowercase().starts_with("authorization")), "{head:?}");
}

#[test]
fn a_download_that_never_progresses_gives_up() {
    let registry = Registry::start(None);
    let direct = Client::new(options()).repository(&reference(&registry.host(), "stuck/app"));
    let bytes = noise(5, 300 << 10);
    let blob = Descriptor::for_bytes(MediaType::ImageLayerGzip, &bytes);
    direct.push(&blob, &mut &bytes[..]).unwrap();
    // Every answer to a blob GET stops after its head.
    let proxy = Proxy::start(registry.port, None, |s| {
        if s.method == "GET" && s.path.contains("/blobs/sha256:") {
            Fault::Truncate(0)
        } else {
            Fault::Pass
        }
    });
    let repo = Client::new(options()).repository(&reference(&proxy.host(), "stuck/app"));
    let started = std::time::Instant::now();
    let mut out = Vec::new();
    let err = std::io::Read::read_to_end(&mut repo.fetch(&blob).unwrap(), &mut out).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "{err:?}");
    // The first attempt and six retries.
    let gets = proxy.faults().len();
    assert_eq!(gets, 7, "{:?}", proxy.faults());
}
