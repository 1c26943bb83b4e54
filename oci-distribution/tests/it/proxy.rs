//! A small HTTP proxy of the tests' own on 127.0.0.1, between the client and the registry,
//! that breaks some exchanges on purpose (errors, dropped connections, truncated or
//! corrupted bodies), and can stand in for a token service (Bearer authentication).
//! One request per connection, forwarded as HTTP/1.0 so that answers are read to the end.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// What the proxy does with one exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Forward it unchanged.
    Pass,
    /// Answer this status with an error body; the registry sees nothing.
    Status(u16),
    /// Close the connection without forwarding or answering.
    Drop,
    /// Forward the request (the registry acts on it), then close without answering.
    DropAnswer,
    /// Forward; send the head and only this many bytes of the body, then close.
    Truncate(usize),
    /// Forward; flip one byte in the middle of the body.
    Corrupt,
    /// Forward; send the body in pieces of this many bytes, 20 ms apart (a slow link).
    Slow(usize),
    /// Forward; send the head, then nothing for this many milliseconds, then the body.
    Stall(u64),
    /// Wait this many milliseconds, then forward (a slow round trip).
    Delay(u64),
    /// Answer `307 Temporary Redirect` to the same target on this host (another origin
    /// for the client, this proxy in fact), as registries send blobs to storage.
    Redirect(&'static str),
    /// Forward; rewrite a `Location` or `Link` on 127.0.0.1 to this host (another origin
    /// for the client, the same proxy in fact): a hostile registry that sends the client
    /// elsewhere.
    Relocate(&'static str),
}

/// One request as the rule sees it.
#[derive(Debug)]
pub(crate) struct Seen<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    /// How many requests the proxy saw before this one.
    pub(crate) number: usize,
    /// The length of the request's body.
    pub(crate) length: usize,
    /// The host the request was sent to (its `Host` header, without the port).
    pub(crate) host: &'a str,
}

type Rule = dyn Fn(&Seen<'_>) -> Fault + Send + Sync;

/// Bearer authentication the proxy demands in front of the registry.
#[derive(Clone, Debug)]
pub(crate) struct Bearer {
    pub(crate) user: String,
    pub(crate) password: String,
    pub(crate) token: String,
    /// The host the challenge names for the token service (`127.0.0.1` is this proxy's;
    /// `localhost` names the same service under another host).
    pub(crate) realm_host: &'static str,
}

pub(crate) struct Proxy {
    pub(crate) port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// `METHOD PATH -> fault` of every exchange.
    pub(crate) log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Proxy {
    /// A proxy to the registry on `upstream` (a port of 127.0.0.1).
    pub(crate) fn start(
        upstream: u16,
        bearer: Option<Bearer>,
        rule: impl Fn(&Seen<'_>) -> Fault + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let rule: Arc<Rule> = Arc::new(rule);
        let thread = {
            let (stop, log) = (stop.clone(), log.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let (rule, log, count, bearer) =
                        (rule.clone(), log.clone(), count.clone(), bearer.clone());
                    std::thread::spawn(move || {
                        let _ =
                            serve(stream, upstream, port, &*rule, &log, &count, bearer.as_ref());
                    });
                }
            })
        };
        Self { port, stop, thread: Some(thread), log }
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The log lines of exchanges that were not passed unchanged.
    pub(crate) fn faults(&self) -> Vec<String> {
        self.log.lock().unwrap().iter().filter(|l| !l.ends_with("Pass")).cloned().collect()
    }
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn read_request(stream: &TcpStream) -> std::io::Result<Option<Request>> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let mut request = Request { method, target, headers, body: Vec::new() };
    let len: usize = request.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    request.body.resize(len, 0);
    reader.read_exact(&mut request.body)?;
    Ok(Some(request))
}

fn answer(stream: &mut TcpStream, status: u16, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status} Injected\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

fn basic(user: &str, password: &str) -> String {
    use std::fmt::Write as _;
    // Base64 of "user:password", written out here to keep the proxy free of the crates
    // under test.
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}").into_bytes();
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let _ = out.write_char(char::from(TABLE[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

fn serve(
    mut stream: TcpStream,
    upstream: u16,
    own_port: u16,
    rule: &Rule,
    log: &Mutex<Vec<String>>,
    count: &AtomicUsize,
    bearer: Option<&Bearer>,
) -> std::io::Result<()> {
    let Some(request) = read_request(&stream)? else { return Ok(()) };
    let path = request.target.split('?').next().unwrap_or_default().to_owned();
    if let Some(b) = bearer {
        if path == "/token" {
            let ok = request.header("authorization") == Some(basic(&b.user, &b.password).as_str());
            if ok {
                let body = format!(r#"{{"token":"{}","expires_in":300}}"#, b.token);
                answer(
                    &mut stream,
                    200,
                    &[("Content-Type", "application/json".into())],
                    body.as_bytes(),
                );
            } else {
                answer(&mut stream, 401, &[], br#"{"details":"bad credentials"}"#);
            }
            return Ok(());
        }
        if request.header("authorization") != Some(format!("Bearer {}", b.token).as_str()) {
            let challenge = format!(
                r#"Bearer realm="http://{}:{own_port}/token",service="test-registry",scope="registry:catalog:*""#,
                b.realm_host
            );
            answer(
                &mut stream,
                401,
                &[("WWW-Authenticate", challenge), ("Content-Type", "application/json".into())],
                br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            );
            return Ok(());
        }
    }
    let number = count.fetch_add(1, Ordering::SeqCst);
    let host =
        request.header("host").unwrap_or_default().split(':').next().unwrap_or_default().to_owned();
    let length = request.body.len();
    let fault = rule(&Seen { method: &request.method, path: &path, number, length, host: &host });
    let auth = if request.header("authorization").is_some() { "auth" } else { "no-auth" };
    log.lock().unwrap().push(format!("{} {} [{host} {auth}] -> {fault:?}", request.method, path));
    match fault {
        Fault::Status(status) => {
            answer(
                &mut stream,
                status,
                &[("Content-Type", "application/json".into()), ("Retry-After", "0".into())],
                br#"{"errors":[{"code":"UNKNOWN","message":"injected by the test proxy"}]}"#,
            );
            return Ok(());
        }
        Fault::Drop => {
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(());
        }
        Fault::Delay(ms) => std::thread::sleep(std::time::Duration::from_millis(ms)),
        Fault::Redirect(to) => {
            let location = format!("http://{to}:{own_port}{}", request.target);
            answer(&mut stream, 307, &[("Location", location)], b"");
            return Ok(());
        }
        _ => {}
    }
    // Forward as HTTP/1.0: the registry answers without chunking and closes.
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut head = format!("{} {} HTTP/1.0\r\n", request.method, request.target);
    for (k, v) in &request.headers {
        if k.eq_ignore_ascii_case("connection")
            || (bearer.is_some() && k.eq_ignore_ascii_case("authorization"))
        {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    up.write_all(head.as_bytes())?;
    up.write_all(&request.body)?;
    let mut raw = Vec::new();
    let _ = up.read_to_end(&mut raw);
    if fault == Fault::DropAnswer {
        let _ = stream.shutdown(Shutdown::Both);
        return Ok(());
    }
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(raw.len(), |p| p + 4);
    let (head, body) = raw.split_at(split);
    let head = String::from_utf8_lossy(head);
    let mut out = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        if line.is_empty() {
            continue;
        }
        if i == 0 {
            out.push_str(&line.replacen("HTTP/1.0", "HTTP/1.1", 1));
        } else if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        } else if let Fault::Relocate(to) = fault
            && (line.to_ascii_lowercase().starts_with("location:")
                || line.to_ascii_lowercase().starts_with("link:"))
        {
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.trim();
            // Relative targets are made absolute on the other host.
            let value = if value.starts_with('/') {
                format!("http://{to}:{own_port}{value}")
            } else if let Some(rest) = value.strip_prefix('<').filter(|v| v.starts_with('/')) {
                format!("<http://{to}:{own_port}{rest}")
            } else {
                value.replace("127.0.0.1", to)
            };
            out.push_str(&format!("{name}: {value}"));
        } else {
            out.push_str(line);
        }
        out.push_str("\r\n");
    }
    let has_length = head.to_ascii_lowercase().contains("\r\ncontent-length:");
    if !has_length {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("Connection: close\r\n\r\n");
    stream.write_all(out.as_bytes())?;
    match fault {
        Fault::Truncate(n) => stream.write_all(&body[..n.min(body.len())])?,
        Fault::Stall(ms) => {
            stream.flush()?;
            std::thread::sleep(std::time::Duration::from_millis(ms));
            stream.write_all(body)?;
        }
        Fault::Slow(piece) => {
            for part in body.chunks(piece.max(1)) {
                stream.write_all(part)?;
                stream.flush()?;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        Fault::Corrupt if !body.is_empty() => {
            let mut body = body.to_vec();
            let middle = body.len() / 2;
            body[middle] ^= 0x55;
            stream.write_all(&body)?;
        }
        _ => stream.write_all(body)?,
    }
    stream.flush()?;
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}
