//! Our requests against the real distribution registry (Debian's `docker-registry`),
//! started by the test on 127.0.0.1 and stopped when it ends. The requests are built by
//! `endpoint` and sent by a few lines of HTTP/1.0 here, so that the protocol core is
//! checked apart from the client.

use std::io::{Read, Write};
use std::net::TcpStream;

use oci_distribution::endpoint::{self, Body, Deletion, Registry};
use oci_distribution::{ErrorCode, Reference};
use oci_image::{Descriptor, ImageManifest, MediaType};

fn manifest_config(manifest: &[u8]) -> Descriptor {
    oci_image::json::from_slice::<ImageManifest>(manifest).unwrap().config
}

/// Sends a request (HTTP/1.0, so the answer is not chunked) with the bytes a `Body`
/// describes, and returns the response head and body.
fn send(request: http::Request<Body>, blob: &[u8]) -> (http::response::Parts, Vec<u8>) {
    let (parts, body) = request.into_parts();
    let authority = parts.uri.authority().unwrap().as_str().to_owned();
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let payload: Vec<u8> = match body {
        Body::Empty => Vec::new(),
        Body::Document(bytes) => bytes,
        Body::Blob { offset, len, .. } => blob[offset as usize..(offset + len) as usize].to_vec(),
        other => panic!("unexpected body {other:?}"),
    };
    let mut head = format!("{} {target} HTTP/1.0\r\nHost: {authority}\r\n", parts.method);
    for (k, v) in &parts.headers {
        if k != http::header::CONTENT_LENGTH {
            head.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap()));
        }
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", payload.len()));
    let mut stream = TcpStream::connect(authority).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (and close) before taking the whole body.
    let _ = stream.write_all(&payload);
    // A server that answers before reading the whole body may reset the connection after
    // its answer: keep what arrived.
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if !raw.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("reading the response: {e}"),
        }
    }
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let text = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = text.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let mut response = http::Response::builder().status(status);
    for line in lines {
        let (k, v) = line.split_once(':').unwrap();
        response = response.header(k.trim(), v.trim());
    }
    let (parts, ()) = response.body(()).unwrap().into_parts();
    (parts, raw[split + 4..].to_vec())
}

#[test]
fn push_pull_list_delete_and_errors() {
    let server = crate::support::Registry::start(None);
    let reference: Reference = format!("127.0.0.1:{}/team/app:v1", server.port).parse().unwrap();
    let r = Registry::of(&reference, true);
    let (parts, _) = send(endpoint::api_version(&r).unwrap(), b"");
    assert_eq!(parts.status, 200);

    // Blobs: a layer monolithically, the config through a session (POST, then PUT).
    let layer = b"layer bytes".to_vec();
    let layer_d = Descriptor::for_bytes(MediaType::ImageLayer, &layer);
    let (parts, body) =
        send(endpoint::start_upload(&r, "team/app", Some(&layer_d)).unwrap(), &layer);
    // end-4b: 201 when the registry took the blob in one request; 202 means it did not
    // and the upload goes on at Location (this registry does so).
    match parts.status.as_u16() {
        201 => {}
        202 => {
            let location = parts.headers["Location"].to_str().unwrap().to_owned();
            let (parts, body) = send(
                endpoint::finish_upload(
                    &r,
                    &location,
                    &layer_d.digest,
                    Some((0, layer.len() as u64)),
                )
                .unwrap(),
                &layer,
            );
            assert_eq!(parts.status, 201, "{}", String::from_utf8_lossy(&body));
        }
        other => panic!("monolithic upload answered {other}: {}", String::from_utf8_lossy(&body)),
    }
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec();
    let config_d = Descriptor::for_bytes(MediaType::ImageConfig, &config);
    let (parts, _) = send(endpoint::start_upload(&r, "team/app", None).unwrap(), b"");
    assert_eq!(parts.status, 202);
    let location = parts.headers["Location"].to_str().unwrap().to_owned();
    let (parts, body) = send(
        endpoint::finish_upload(&r, &location, &config_d.digest, Some((0, config.len() as u64)))
            .unwrap(),
        &config,
    );
    assert_eq!(parts.status, 201, "{}", String::from_utf8_lossy(&body));
    let (parts, _) =
        send(endpoint::get_blob(&r, "team/app", &layer_d.digest, true, None).unwrap(), b"");
    assert_eq!(parts.status, 200);
    let (parts, body) =
        send(endpoint::get_blob(&r, "team/app", &layer_d.digest, false, Some(6)).unwrap(), b"");
    assert_eq!((parts.status.as_u16(), body.as_slice()), (206, &b"bytes"[..]));

    // Manifest: pushed as exact bytes, pulled and hashed.
    let manifest =
        oci_image::json::to_vec(&ImageManifest::new(config_d, vec![layer_d.clone()])).unwrap();
    let (parts, body) = send(
        endpoint::put_manifest(&r, "team/app", "v1", &MediaType::ImageManifest, manifest.clone())
            .unwrap(),
        b"",
    );
    assert_eq!(parts.status, 201, "{}", String::from_utf8_lossy(&body));
    let (parts, body) = send(endpoint::get_manifest(&r, &reference, false).unwrap(), b"");
    let descriptor = endpoint::check_manifest(&reference, &parts, &body).unwrap();
    assert_eq!(descriptor.digest, oci_image::Digest::sha256(&manifest));
    assert_eq!(body, manifest, "the registry serves our bytes");

    // Tags, paginated.
    for tag in ["v2", "v3"] {
        send(
            endpoint::put_manifest(
                &r,
                "team/app",
                tag,
                &MediaType::ImageManifest,
                manifest.clone(),
            )
            .unwrap(),
            b"",
        );
    }
    let (parts, body) = send(endpoint::list_tags(&r, "team/app", Some(2), None).unwrap(), b"");
    let page: endpoint::TagList = serde_json::from_slice(&body).unwrap();
    // distribution 2.8 ignores `n` for tags (pagination came with 3.0); honour either.
    if page.tags.len() == 2 {
        assert!(endpoint::next_link(&parts).is_some_and(|l| l.contains("last=v2")));
    } else {
        assert_eq!(page.tags, ["v1", "v2", "v3"]);
    }

    // A second repository gets the blobs by cross-repository mount (end-11), then the
    // catalog pages through both with Link headers.
    for blob in [&layer_d, &manifest_config(&manifest)] {
        let (parts, body) = send(
            endpoint::mount_blob(&r, "team/other", &blob.digest, Some("team/app")).unwrap(),
            b"",
        );
        assert_eq!(parts.status, 201, "mount: {}", String::from_utf8_lossy(&body));
    }
    let (parts, _) = send(
        endpoint::put_manifest(&r, "team/other", "v1", &MediaType::ImageManifest, manifest)
            .unwrap(),
        b"",
    );
    assert_eq!(parts.status, 201);
    let (parts, body) = send(endpoint::catalog(&r, Some(1), None).unwrap(), b"");
    let first: endpoint::Catalog = serde_json::from_slice(&body).unwrap();
    assert_eq!(first.repositories, ["team/app"]);
    let next = endpoint::next_link(&parts).expect("a Link to the next page");
    let (_, body) = send(endpoint::follow_link(&r, &next).unwrap(), b"");
    let second: endpoint::Catalog = serde_json::from_slice(&body).unwrap();
    assert_eq!(second.repositories, ["team/other"]);

    // Errors the registry sends, parsed.
    let missing: Reference = format!("127.0.0.1:{}/team/app:nope", server.port).parse().unwrap();
    let (parts, body) = send(endpoint::get_manifest(&r, &missing, false).unwrap(), b"");
    let err = endpoint::check_manifest(&missing, &parts, &body).unwrap_err();
    assert!(
        matches!(&err, endpoint::ResponseError::Status { body, .. } if body.errors[0].code == ErrorCode::ManifestUnknown),
        "{err}"
    );
    let wrong = Descriptor::for_bytes(MediaType::ImageLayer, b"claimed");
    let (parts, _) = send(endpoint::start_upload(&r, "team/app", None).unwrap(), b"");
    let location = parts.headers["Location"].to_str().unwrap().to_owned();
    let (parts, body) = send(
        endpoint::finish_upload(&r, &location, &wrong.digest, Some((0, 7))).unwrap(),
        b"actual!",
    );
    let err = endpoint::check_status(&parts, &body).unwrap_err();
    assert!(
        matches!(&err, endpoint::ResponseError::Status { body, .. } if body.errors[0].code == ErrorCode::DigestInvalid),
        "{err}"
    );

    // Deletes.
    let (parts, _) = send(
        endpoint::delete(&r, "team/app", Deletion::Manifest(descriptor.digest.as_str())).unwrap(),
        b"",
    );
    assert_eq!(parts.status, 202);
    let (parts, _) = send(endpoint::get_manifest(&r, &reference, true).unwrap(), b"");
    assert_eq!(parts.status, 404);
}
