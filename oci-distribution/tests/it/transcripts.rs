//! Every endpoint's request, and the checks of canned responses.

use oci_distribution::endpoint::{self, Body, Deletion, Registry, ResponseError};
use oci_distribution::{ErrorCode, Reference};
use oci_image::{Descriptor, Digest, MediaType};

fn registry() -> Registry {
    Registry::of(&"127.0.0.1:5000/x".parse().unwrap(), true)
}

fn parts(status: u16, headers: &[(&str, &str)]) -> http::response::Parts {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).unwrap().into_parts().0
}

#[test]
fn every_endpoint() {
    let r = registry();
    let d = Digest::sha256(b"blob");
    let desc = Descriptor::for_bytes(MediaType::ImageLayerGzip, b"blob");
    let reference: Reference = "127.0.0.1:5000/team/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".parse().unwrap();
    let e = d.encoded();
    let cases: Vec<(http::Request<Body>, &str, String)> = vec![
        (endpoint::api_version(&r).unwrap(), "GET", "http://127.0.0.1:5000/v2/".to_owned()),
        (endpoint::get_blob(&r, "a/b", &d, false, None).unwrap(), "GET", format!("http://127.0.0.1:5000/v2/a/b/blobs/sha256:{e}")),
        (endpoint::get_manifest(&r, &reference, true).unwrap(), "HEAD", "http://127.0.0.1:5000/v2/team/app/manifests/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_owned()),
        (endpoint::start_upload(&r, "a", None).unwrap(), "POST", "http://127.0.0.1:5000/v2/a/blobs/uploads/".to_owned()),
        (endpoint::start_upload(&r, "a", Some(&desc)).unwrap(), "POST", format!("http://127.0.0.1:5000/v2/a/blobs/uploads/?digest=sha256%3A{e}")),
        (endpoint::upload_chunk(&r, "/v2/a/blobs/uploads/u1?state=s", &d, 0, 4).unwrap(), "PATCH", "http://127.0.0.1:5000/v2/a/blobs/uploads/u1?state=s".to_owned()),
        (endpoint::finish_upload(&r, "/v2/a/blobs/uploads/u1?state=s", &d, None).unwrap(), "PUT", format!("http://127.0.0.1:5000/v2/a/blobs/uploads/u1?state=s&digest=sha256%3A{e}")),
        (endpoint::put_manifest(&r, "a", "v1", &MediaType::ImageManifest, b"{}".to_vec()).unwrap(), "PUT", "http://127.0.0.1:5000/v2/a/manifests/v1".to_owned()),
        (endpoint::list_tags(&r, "a", Some(2), Some("v1")).unwrap(), "GET", "http://127.0.0.1:5000/v2/a/tags/list?n=2&last=v1".to_owned()),
        (endpoint::delete(&r, "a", Deletion::Manifest(d.as_str())).unwrap(), "DELETE", format!("http://127.0.0.1:5000/v2/a/manifests/sha256:{e}")),
        (endpoint::delete(&r, "a", Deletion::Blob(&d)).unwrap(), "DELETE", format!("http://127.0.0.1:5000/v2/a/blobs/sha256:{e}")),
        (endpoint::mount_blob(&r, "a", &d, Some("b/c")).unwrap(), "POST", format!("http://127.0.0.1:5000/v2/a/blobs/uploads/?mount=sha256%3A{e}&from=b%2Fc")),
        (endpoint::referrers(&r, "a", &d, Some(&MediaType::from("application/x-sig"))).unwrap(), "GET", format!("http://127.0.0.1:5000/v2/a/referrers/sha256:{e}?artifactType=application%2Fx-sig")),
        (endpoint::upload_status(&r, "http://other:1/up", false).unwrap(), "GET", "http://other:1/up".to_owned()),
        (endpoint::upload_status(&r, "/up", true).unwrap(), "DELETE", "http://127.0.0.1:5000/up".to_owned()),
        (endpoint::catalog(&r, Some(10), Some("a")).unwrap(), "GET", "http://127.0.0.1:5000/v2/_catalog?n=10&last=a".to_owned()),
    ];
    for (req, method, uri) in &cases {
        assert_eq!(req.method().as_str(), *method, "{uri}");
        assert_eq!(&req.uri().to_string(), uri);
    }
    let chunk = &cases[5].0;
    assert_eq!(chunk.headers()["Content-Range"], "0-3");
    assert_eq!(chunk.body(), &Body::Blob { digest: d.clone(), offset: 0, len: 4 });
    assert!(
        cases[2].0.headers()["Accept"]
            .to_str()
            .unwrap()
            .contains("application/vnd.oci.image.index.v1+json")
    );
    assert_eq!(
        endpoint::get_blob(&r, "a", &d, false, Some(100)).unwrap().headers()["Range"],
        "bytes=100-"
    );
    assert_eq!(endpoint::referrers_fallback_tag(&d), format!("sha256-{}", d.encoded()));
}

#[test]
fn manifests_are_hashed_not_trusted() {
    let body = br#"{"schemaVersion":2,"manifests":[]}"#;
    let digest = Digest::sha256(body);
    let by_digest: Reference = format!("127.0.0.1:5000/a@{digest}").parse().unwrap();
    let ok = endpoint::check_manifest(
        &by_digest,
        &parts(200, &[("Content-Type", "application/vnd.oci.image.index.v1+json")]),
        body,
    )
    .unwrap();
    assert_eq!((ok.digest, ok.media_type), (digest.clone(), MediaType::ImageIndex));
    let tampered = br#"{"schemaVersion":2,"manifests":[ ]}"#;
    assert!(matches!(
        endpoint::check_manifest(&by_digest, &parts(200, &[]), tampered),
        Err(ResponseError::Digest { .. })
    ));
    let by_tag: Reference = "127.0.0.1:5000/a:v1".parse().unwrap();
    let lying = parts(200, &[("Docker-Content-Digest", Digest::sha256(b"other").as_str())]);
    assert!(matches!(
        endpoint::check_manifest(&by_tag, &lying, body),
        Err(ResponseError::Digest { .. })
    ));
    // No Docker-Content-Digest: fine, the bytes are hashed anyway.
    assert_eq!(endpoint::check_manifest(&by_tag, &parts(200, &[]), body).unwrap().digest, digest);
    let big = vec![b' '; endpoint::MAX_MANIFEST_SIZE + 1];
    assert!(matches!(
        endpoint::check_manifest(&by_tag, &parts(200, &[]), &big),
        Err(ResponseError::TooLarge(_))
    ));
}

#[test]
fn errors_tags_links_referrers() {
    let err = endpoint::check_status(
        &parts(404, &[]),
        br#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]}"#,
    )
    .unwrap_err();
    let ResponseError::Status { status, body } = err else { panic!("{err}") };
    assert_eq!(status, 404);
    assert_eq!(body.errors[0].code, ErrorCode::NameUnknown);
    assert!(endpoint::check_status(&parts(500, &[]), b"not json").is_err());

    let tags: endpoint::TagList = serde_json::from_str(r#"{"name":"a","tags":null}"#).unwrap();
    assert!(tags.tags.is_empty());
    let p = parts(200, &[("Link", r#"</v2/a/tags/list?n=2&last=b>; rel="next""#)]);
    assert_eq!(endpoint::next_link(&p).as_deref(), Some("/v2/a/tags/list?n=2&last=b"));
    assert_eq!(endpoint::next_link(&parts(200, &[])), None);

    let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0,"artifactType":"application/x-sig"}]}"#;
    let (list, filtered) =
        endpoint::parse_referrers(&parts(200, &[("OCI-Filters-Applied", "artifactType")]), index)
            .unwrap();
    assert_eq!((list.len(), filtered), (1, true));
    assert!(!endpoint::parse_referrers(&parts(200, &[]), index).unwrap().1);
}
