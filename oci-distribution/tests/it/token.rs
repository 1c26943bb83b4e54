//! Registries as users meet them: the distribution registry with `auth: token`, its token
//! service of the test's own on another port (RS256 JWTs signed with a key whose
//! certificate is the registry's `rootcertbundle`), TLS from a CA the test makes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oci_distribution::ClientOptions;
use oci_distribution::auth::Credentials;
use oci_distribution::client::Client;
use oci_distribution::proto::AuthFailure;
use oci_distribution::tls::Trust;
use oci_image::content::{CopyOptions, MemoryStore, copy};

use crate::client::{assert_same, multi, reference};
use crate::proxy::{Fault, Proxy};
use crate::support::{Registry, free_port};

fn openssl(dir: &Path, args: &[&str], input: Option<&[u8]>) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run `openssl` ({e}): install it (apt-get install openssl)")
        });
    if let Some(input) = input {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn b64url(bytes: &[u8]) -> String {
    oci_image::EmbeddedData::encode(bytes)
        .as_str()
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

/// The token service: who may do what, and how long its tokens live.
struct Service {
    dir: PathBuf,
    /// `exp` is this many seconds from now (negative: already past, within the
    /// registry's 60 s leeway).
    exp_offset: i64,
    issued: Mutex<Vec<String>>,
}

impl Service {
    /// A signed JWT for these scopes, for `user` (`None`: anonymous).
    fn token(&self, user: Option<&str>, scopes: &[String]) -> String {
        let der = openssl(&self.dir, &["x509", "-in", "token.crt", "-outform", "DER"], None);
        let header = format!(
            r#"{{"typ":"JWT","alg":"RS256","x5c":["{}"]}}"#,
            oci_image::EmbeddedData::encode(&der).as_str()
        );
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        let mut access = Vec::new();
        for scope in scopes {
            let mut parts = scope.splitn(3, ':');
            let (kind, name, actions) = (
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
            );
            let granted: Vec<&str> = actions
                .split(',')
                .filter(|a| match user {
                    Some(_) => true,
                    None => kind == "repository" && name.starts_with("public/") && *a == "pull",
                })
                .collect();
            if !granted.is_empty() {
                let list: Vec<String> = granted.iter().map(|a| format!(r#""{a}""#)).collect();
                access.push(format!(
                    r#"{{"type":"{kind}","name":"{name}","actions":[{}]}}"#,
                    list.join(",")
                ));
            }
        }
        let claims = format!(
            r#"{{"iss":"test-issuer","sub":"{}","aud":"test-registry","exp":{},"nbf":{},"iat":{},"jti":"{}","access":[{}]}}"#,
            user.unwrap_or(""),
            now + self.exp_offset,
            now - 120,
            now - 120,
            now,
            access.join(",")
        );
        let input = format!("{}.{}", b64url(header.as_bytes()), b64url(claims.as_bytes()));
        let signature =
            openssl(&self.dir, &["dgst", "-sha256", "-sign", "token.key"], Some(input.as_bytes()));
        let token = format!("{input}.{}", b64url(&signature));
        self.issued.lock().unwrap().push(format!("{} {}", user.unwrap_or("-"), scopes.join(" ")));
        token
    }

    /// Answers one request on `stream`.
    fn serve(&self, stream: &mut dyn ReadWrite) {
        let mut reader = BufReader::new(&mut *stream);
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
        let post = line.starts_with("POST ");
        let mut user = None;
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                break;
            }
            if let Some(v) = h.trim().to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if let Some(value) = h
                .trim()
                .strip_prefix("Authorization: Basic ")
                .or_else(|| h.trim().strip_prefix("authorization: Basic "))
            {
                let decoded = value
                    .parse::<oci_image::EmbeddedData>()
                    .map(|d| d.decode())
                    .unwrap_or_default();
                user = Some(String::from_utf8_lossy(&decoded).into_owned());
            }
        }
        // An OAuth2 POST (refresh-token grant) carries its parameters in a form body.
        let mut form = vec![0u8; length];
        if post {
            let _ = reader.read_exact(&mut form);
        }
        let form = String::from_utf8_lossy(&form).into_owned();
        let query = if post {
            form.as_str()
        } else {
            target.split_once('?').map(|(_, q)| q).unwrap_or_default()
        };
        let decode = |s: &str| {
            s.replace("%3A", ":").replace("%2F", "/").replace("%2C", ",").replace("%20", " ")
        };
        let scopes: Vec<String> = query
            .split('&')
            .filter_map(|kv| kv.strip_prefix("scope="))
            .flat_map(|s| decode(s).split(' ').map(str::to_owned).collect::<Vec<_>>())
            .collect();
        if post {
            let refresh = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("refresh_token="))
                .unwrap_or_default();
            let grant = query.split('&').any(|kv| kv == "grant_type=refresh_token");
            let field = |name: &str| {
                query.split('&').find_map(|kv| kv.strip_prefix(name)).unwrap_or_default().to_owned()
            };
            let password_grant = query.split('&').any(|kv| kv == "grant_type=password")
                && field("username=") == "bob"
                && field("password=") == "pw";
            let (status, body) = if (grant && refresh == "bob-refresh") || password_grant {
                (
                    "200 OK",
                    format!(
                        r#"{{"access_token":"{}","expires_in":300}}"#,
                        self.token(Some("bob"), &scopes)
                    ),
                )
            } else {
                ("401 Unauthorized", r#"{"error":"invalid_grant"}"#.to_owned())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.flush();
            return;
        }
        let (status, body) = match user.as_deref() {
            Some("bob:pw") => ("200 OK", self.token(Some("bob"), &scopes)),
            Some(_) => ("401 Unauthorized", String::new()),
            None => ("200 OK", self.token(None, &scopes)),
        };
        let body = if body.is_empty() {
            r#"{"details":"bad credentials"}"#.to_owned()
        } else {
            // `expires_in` says five minutes whatever `exp` says: the client learns that a
            // token expired only when the registry refuses it.
            format!(r#"{{"token":"{body}","expires_in":300}}"#)
        };
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.flush();
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// The token service on 127.0.0.1, over TLS with `tls` (certificate, key) when given.
struct TokenServer {
    port: u16,
    service: Arc<Service>,
    stop: Arc<AtomicBool>,
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

impl TokenServer {
    fn start(dir: &Path, exp_offset: i64, tls: Option<(&Path, &Path)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let service =
            Arc::new(Service { dir: dir.to_owned(), exp_offset, issued: Mutex::new(Vec::new()) });
        let stop = Arc::new(AtomicBool::new(false));
        let config = tls.map(|(certificate, key)| {
            use rustls::pki_types::pem::PemObject;
            let chain = rustls::pki_types::CertificateDer::pem_file_iter(certificate)
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let key = rustls::pki_types::PrivateKeyDer::from_pem_file(key).unwrap();
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            Arc::new(
                rustls::ServerConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .unwrap()
                    .with_no_client_auth()
                    .with_single_cert(chain, key)
                    .unwrap(),
            )
        });
        let (service2, stop2) = (service.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let (service, config) = (service2.clone(), config.clone());
                std::thread::spawn(move || match config {
                    Some(config) => {
                        let Ok(connection) = rustls::ServerConnection::new(config) else { return };
                        let mut tls = rustls::StreamOwned::new(connection, stream);
                        service.serve(&mut tls);
                        tls.conn.send_close_notify();
                        let _ = tls.flush();
                    }
                    None => service.serve(&mut stream),
                });
            }
        });
        Self { port, service, stop }
    }
}

/// The keys and certificates: a CA and a server certificate for TLS, and the token
/// signing key with its certificate.
fn keys(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (ca, certificate, key) = crate::tls::make_ca(dir);
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
            "/CN=token signer",
            "-keyout",
            "token.key",
            "-out",
            "token.crt",
        ],
        None,
    );
    let _ = ca;
    (dir.join("ca.crt"), certificate, key)
}

fn token_auth(dir: &Path, scheme: &str, token_port: u16) -> String {
    format!(
        "auth:\n  token:\n    realm: {scheme}://localhost:{token_port}/token\n    service: test-registry\n    issuer: test-issuer\n    rootcertbundle: {}\n",
        dir.join("token.crt").display()
    )
}

#[test]
fn a_token_service_elsewhere_over_tls_anonymous_and_private() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let (ca, certificate, key) = keys(dir);
    let tokens = TokenServer::start(dir, 300, Some((&certificate, &key)));
    let registry =
        Registry::start_custom(Some((&certificate, &key)), &token_auth(dir, "https", tokens.port));
    let host = registry.host();
    let certs = dir.join("certs");
    std::fs::create_dir(&certs).unwrap();
    std::fs::copy(&ca, certs.join("ca.crt")).unwrap();
    let trust = Trust::for_registry(&host, Some(&certs)).unwrap();
    let options = || ClientOptions::default().trust(trust.clone());
    let source = Arc::new(MemoryStore::new());
    let root = multi(&source, 300 << 10);

    // Push with credentials, to a private and a public repository.
    let bob = Client::new(options().credentials(Some(Credentials::new("bob", "pw"))));
    for name in ["private/app:v1", "public/app:v1"] {
        assert_eq!(
            copy(
                &*source,
                "multi",
                &bob.repository(&reference(&host, name)),
                "v1",
                &CopyOptions::default()
            )
            .unwrap(),
            root
        );
    }
    // Anonymous: the public repository pulls, the private one is refused, and the message
    // names the registry and says credentials are missing.
    let anonymous = Client::new(options());
    let back = MemoryStore::new();
    copy(
        &anonymous.repository(&reference(&host, "public/app:v1")),
        "v1",
        &back,
        "v1",
        &CopyOptions::default(),
    )
    .unwrap();
    assert_same(&source, &back, &root);
    let err = copy(
        &anonymous.repository(&reference(&host, "private/app:v1")),
        "v1",
        &MemoryStore::new(),
        "v1",
        &CopyOptions::default(),
    )
    .unwrap_err();
    let registry_error = oci_distribution::Error::of_content(&err).expect("a registry error");
    assert_eq!(
        registry_error.auth_failure(),
        Some(AuthFailure::NoCredentials),
        "{registry_error:?}"
    );
    assert!(registry_error.to_string().contains(&host), "{registry_error}");
    // Wrong credentials: refused by the token service.
    let wrong = Client::new(options().credentials(Some(Credentials::new("bob", "nope"))));
    let err = copy(
        &wrong.repository(&reference(&host, "private/app:v1")),
        "v1",
        &MemoryStore::new(),
        "v1",
        &CopyOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        oci_distribution::Error::of_content(&err).and_then(oci_distribution::Error::auth_failure),
        Some(AuthFailure::Refused)
    );
    // An identity token from an auth file: exchanged at the token service (OAuth2
    // refresh-token grant), never sent as a password.
    let auth = dir.join("auth.json");
    std::fs::write(&auth, format!(r#"{{"auths":{{"{host}":{{"identitytoken":"bob-refresh"}}}}}}"#))
        .unwrap();
    let found =
        oci_distribution::credentials::find(&host, Some(&auth), &Default::default()).unwrap();
    assert!(found.as_ref().is_some_and(|c| c.identity_token));
    let with_token = Client::new(options().credentials(found));
    let back = MemoryStore::new();
    copy(
        &with_token.repository(&reference(&host, "private/app:v1")),
        "v1",
        &back,
        "v1",
        &CopyOptions::default(),
    )
    .unwrap();
    assert_same(&source, &back, &root);
    // An OAuth2 password grant (a POST), as `docker login` asks.
    let before = tokens.service.issued.lock().unwrap().len();
    let granted = Client::new(
        options().credentials(Some(Credentials::new("bob", "pw"))).oauth2_password_grant(true),
    );
    let back = MemoryStore::new();
    copy(
        &granted.repository(&reference(&host, "private/app:v1")),
        "v1",
        &back,
        "v1",
        &CopyOptions::default(),
    )
    .unwrap();
    assert_same(&source, &back, &root);
    assert!(tokens.service.issued.lock().unwrap().len() > before);
    // Without the CA: refused, the host named.
    let untrusted =
        Client::new(ClientOptions::default()).repository(&reference(&host, "public/app:v1"));
    let err = untrusted.get_manifest("v1").unwrap_err();
    assert!(format!("{err}").contains(&host), "{err}");
    // skopeo, through the same token service and CA, sees what was pushed.
    let certs_s = certs.to_str().unwrap();
    for name in ["private/app:v1", "public/app:v1"] {
        let raw = crate::support::skopeo_raw(
            &format!("docker://{host}/{name}"),
            &["--cert-dir", certs_s, "--creds", "bob:pw"],
        );
        assert_eq!(oci_image::Digest::sha256(&raw), root.digest, "{name}");
    }
    // The token service saw bob for the pushes and nobody for the anonymous pull.
    let issued = tokens.service.issued.lock().unwrap().clone();
    assert!(
        issued
            .iter()
            .any(|i| i.starts_with("bob ") && i.contains("repository:private/app:pull,push")),
        "{issued:?}"
    );
    assert!(
        issued.iter().any(|i| i.starts_with("- ") && i.contains("repository:public/app:pull")),
        "{issued:?}"
    );
}

#[test]
fn tokens_that_expire_mid_copy_are_renewed() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    keys(dir);
    // Tokens whose `exp` is 57 s past: the registry's 60 s leeway leaves them 3 s.
    let tokens = TokenServer::start(dir, -57, None);
    let registry = Registry::start_custom(None, &token_auth(dir, "http", tokens.port));
    // A slow link in front of the registry: downloads at 16 KiB every 20 ms, and every
    // chunk of an upload 250 ms on its way.
    let proxy = Proxy::start(registry.port, None, |s| {
        if s.method == "GET" && s.path.contains("/blobs/sha256:") {
            Fault::Slow(16 << 10)
        } else if s.method == "PATCH" {
            Fault::Delay(250)
        } else {
            Fault::Pass
        }
    });
    let host = proxy.host();
    let source = Arc::new(MemoryStore::new());
    let root = multi(&source, 1 << 20);
    let options = || {
        ClientOptions::default()
            .plain_http(true)
            .chunk_size(64 << 10)
            .credentials(Some(Credentials::new("bob", "pw")))
    };
    let started = std::time::Instant::now();
    let client = Client::new(options());
    let repo = client.repository(&reference(&host, "slow/app:v1"));
    assert_eq!(copy(&*source, "multi", &repo, "v1", &CopyOptions::default()).unwrap(), root);
    let pushed = tokens.service.issued.lock().unwrap().len();
    assert!(
        started.elapsed() > Duration::from_secs(4),
        "the push was not slow: {:?}",
        started.elapsed()
    );
    assert!(pushed >= 2, "the push outlived its first token without a new one ({pushed} issued)");
    let back = MemoryStore::new();
    copy(&repo, "v1", &back, "v1", &CopyOptions::default()).unwrap();
    assert_same(&source, &back, &root);
    #[cfg(feature = "async-client")]
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let back = Arc::new(MemoryStore::new());
        runtime.block_on(async {
            let client = oci_distribution::async_client::Client::new(options()).unwrap();
            let repo = client.repository(&reference(&host, "slow/app:v1"));
            oci_distribution::async_client::copy(
                repo.blocking(),
                "v1",
                back.clone(),
                "v1",
                CopyOptions::default(),
            )
            .await
            .unwrap();
        });
        assert_same(&source, &back, &root);
    }
    // The copies outlived their tokens (which the client believed good for five minutes),
    // and new ones were fetched when the registry refused the old ones.
    let issued = tokens.service.issued.lock().unwrap().len();
    assert!(started.elapsed() > Duration::from_secs(4), "{:?}", started.elapsed());
    assert!(issued >= 3, "{issued} tokens issued");
    let _ = free_port;
}
