//! Property tests of references: what parses prints back to itself.

use oci_distribution::Reference;
use proptest::prelude::*;

fn component() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,6}((\\.|_|__|-{1,2})[a-z0-9]{1,6}){0,2}"
}

proptest! {
    #[test]
    fn round_trip(
        host in proptest::option::of("[a-z0-9]{1,8}\\.[a-z]{2,4}(:[0-9]{1,5})?"),
        path in proptest::collection::vec(component(), 1..4),
        tag in proptest::option::of("[A-Za-z0-9_][A-Za-z0-9._-]{0,20}"),
    ) {
        // Without a host, a first component with a dot names a registry (Docker's rule).
        prop_assume!(host.is_some() || path.len() == 1 || !path[0].contains('.'));
        let mut s = String::new();
        if let Some(h) = &host { s.push_str(h); s.push('/'); }
        s.push_str(&path.join("/"));
        if let Some(t) = &tag { s.push(':'); s.push_str(t); }
        let r: Reference = s.parse().unwrap();
        prop_assert_eq!(r.tag(), Some(tag.as_deref().unwrap_or("latest")));
        let again: Reference = r.to_string().parse().unwrap();
        prop_assert_eq!(&again, &r);
        let familiar: Reference = r.familiar().parse().unwrap();
        prop_assert_eq!(&familiar, &r);
        if let Some(h) = &host { prop_assert_eq!(r.registry(), h.as_str()); }
    }

    #[test]
    fn never_panics(s in "\\PC{0,80}") {
        if let Ok(r) = s.parse::<Reference>() {
            prop_assert!(oci_distribution::is_valid_repository(r.repository()));
        }
    }
}
