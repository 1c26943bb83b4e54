//! Paginated lists: tags (end-8) and the catalog.

use std::collections::HashSet;

use super::{Error, Outgoing, Want};
use crate::endpoint::{self, Body, Registry};

/// Bounds on a paginated list, so that a registry cannot grow our memory without end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PagerLimits {
    /// Most pages followed. Default: 100,000.
    pub max_pages: usize,
    /// Most items kept. Default: 1,000,000.
    pub max_items: usize,
    /// Largest page body. Default: [`endpoint::MAX_MANIFEST_SIZE`].
    pub max_page_bytes: usize,
}

impl Default for PagerLimits {
    fn default() -> Self {
        Self {
            max_pages: 100_000,
            max_items: 1_000_000,
            max_page_bytes: endpoint::MAX_MANIFEST_SIZE,
        }
    }
}

#[derive(Clone, Debug)]
enum Kind {
    Tags(String),
    Catalog,
}

/// A walk through a paginated list: the `Link` of each page (distribution-spec end-8b),
/// else `n` and `last` for a registry that honours them without `Link` (exactly `n`
/// items mean there may be more). It ends on a page with nothing new or a link seen
/// before, and fails past its [`PagerLimits`].
///
/// ```
/// use oci_distribution::endpoint::Registry;
/// use oci_distribution::proto::{Pager, PagerLimits};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::of(&"127.0.0.1:5000/app".parse()?, true);
/// let mut pager = Pager::tags(&registry, "app", Some(2), PagerLimits::default())?;
/// let first = pager.poll().expect("a first page");
/// assert_eq!(first.request.uri(), "http://127.0.0.1:5000/v2/app/tags/list?n=2");
/// let (parts, ()) = http::Response::builder()
///     .header("Link", r#"</v2/app/tags/list?n=2&last=b>; rel="next""#)
///     .body(())?.into_parts();
/// pager.handle_response(&parts, br#"{"name":"app","tags":["a","b"]}"#)?;
/// let second = pager.poll().expect("a second page");
/// assert_eq!(second.request.uri(), "http://127.0.0.1:5000/v2/app/tags/list?n=2&last=b");
/// let (parts, ()) = http::Response::builder().body(())?.into_parts();
/// pager.handle_response(&parts, br#"{"name":"app","tags":["c"]}"#)?;
/// assert!(pager.poll().is_none());
/// assert_eq!(pager.into_items(), ["a", "b", "c"]);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Pager {
    registry: Registry,
    kind: Kind,
    n: Option<u32>,
    limits: PagerLimits,
    next: Option<http::Request<Body>>,
    items: Vec<String>,
    seen: HashSet<String>,
    links: HashSet<String>,
    pages: usize,
}

impl Pager {
    /// The tags of `repository`, `n` per page.
    ///
    /// # Errors
    /// Only for a host that does not form a URI.
    pub fn tags(
        registry: &Registry,
        repository: &str,
        n: Option<u32>,
        limits: PagerLimits,
    ) -> Result<Self, http::Error> {
        let first = endpoint::list_tags(registry, repository, n, None)?;
        Ok(Self::new(registry, Kind::Tags(repository.to_owned()), n, limits, first))
    }

    /// The registry's catalog, `n` per page.
    ///
    /// # Errors
    /// Only for a host that does not form a URI.
    pub fn catalog(
        registry: &Registry,
        n: Option<u32>,
        limits: PagerLimits,
    ) -> Result<Self, http::Error> {
        let first = endpoint::catalog(registry, n, None)?;
        Ok(Self::new(registry, Kind::Catalog, n, limits, first))
    }

    fn new(
        registry: &Registry,
        kind: Kind,
        n: Option<u32>,
        limits: PagerLimits,
        first: http::Request<Body>,
    ) -> Self {
        Self {
            registry: registry.clone(),
            kind,
            n,
            limits,
            next: Some(first),
            items: Vec::new(),
            seen: HashSet::new(),
            links: HashSet::new(),
            pages: 0,
        }
    }

    /// The next page to ask for (its whole body wanted), or `None` when the list is
    /// complete.
    pub fn poll(&mut self) -> Option<Outgoing> {
        self.next
            .take()
            .map(|request| Outgoing { request, want: Want::Body(self.limits.max_page_bytes) })
    }

    fn what(&self) -> &'static str {
        match self.kind {
            Kind::Tags(_) => "the tag list",
            Kind::Catalog => "the catalog",
        }
    }

    /// Takes the answer to the page [`Pager::poll`] asked for (a success status; the
    /// driver turns error answers into errors).
    ///
    /// # Errors
    /// [`Error::Json`] for a page that does not parse, [`Error::ListTooLong`] past the
    /// limits.
    pub fn handle_response(
        &mut self,
        parts: &http::response::Parts,
        body: &[u8],
    ) -> Result<(), Error> {
        let what = self.what();
        let too_long = |reason: String| Error::ListTooLong { what, reason };
        if body.len() > self.limits.max_page_bytes {
            return Err(too_long(format!(
                "a page is larger than {} bytes",
                self.limits.max_page_bytes
            )));
        }
        let page = match self.kind {
            Kind::Tags(_) => serde_json::from_slice::<endpoint::TagList>(body).map(|t| t.tags),
            Kind::Catalog => {
                serde_json::from_slice::<endpoint::Catalog>(body).map(|c| c.repositories)
            }
        }
        .map_err(|source| Error::Json { what: what.to_owned(), source })?;
        self.pages += 1;
        let full = self.n.is_some_and(|n| n > 0 && page.len() as u64 == u64::from(n));
        let last = page.last().cloned();
        let before = self.items.len();
        for item in page {
            if self.seen.contains(&item) {
                continue;
            }
            if self.items.len() >= self.limits.max_items {
                return Err(too_long(format!("more than {} items", self.limits.max_items)));
            }
            self.seen.insert(item.clone());
            self.items.push(item);
        }
        if self.items.len() == before {
            return Ok(()); // nothing new: a registry ignoring pagination ends here
        }
        let next = match (endpoint::next_link(parts), last) {
            (Some(link), _) => {
                if !self.links.insert(link.clone()) {
                    return Ok(()); // a link seen before: the list loops
                }
                Some(endpoint::follow_link(&self.registry, &link)?)
            }
            (None, Some(last)) if full => Some(match &self.kind {
                Kind::Tags(repository) => {
                    endpoint::list_tags(&self.registry, repository, self.n, Some(&last))?
                }
                Kind::Catalog => endpoint::catalog(&self.registry, self.n, Some(&last))?,
            }),
            _ => None,
        };
        if next.is_some() && self.pages >= self.limits.max_pages {
            return Err(too_long(format!("more than {} pages", self.limits.max_pages)));
        }
        self.next = next;
        Ok(())
    }

    /// The items so far (all of them once [`Pager::poll`] returned `None`).
    pub fn into_items(self) -> Vec<String> {
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        Registry::of(&"127.0.0.1:5000/a".parse().unwrap(), true)
    }

    fn page(link: Option<&str>) -> http::response::Parts {
        let mut b = http::Response::builder();
        if let Some(l) = link {
            b = b.header("Link", format!("<{l}>; rel=\"next\""));
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn n_and_last_without_link() {
        let mut p = Pager::tags(&registry(), "a", Some(2), PagerLimits::default()).unwrap();
        p.poll().unwrap();
        p.handle_response(&page(None), br#"{"name":"a","tags":["a","b"]}"#).unwrap();
        assert_eq!(
            p.poll().unwrap().request.uri(),
            "http://127.0.0.1:5000/v2/a/tags/list?n=2&last=b"
        );
        p.handle_response(&page(None), br#"{"name":"a","tags":["c"]}"#).unwrap();
        assert!(p.poll().is_none());
        assert_eq!(p.into_items(), ["a", "b", "c"]);
    }

    #[test]
    fn endless_and_repeating_lists_end() {
        // The same link again: the walk ends.
        let mut p = Pager::catalog(&registry(), None, PagerLimits::default()).unwrap();
        p.poll().unwrap();
        p.handle_response(&page(Some("/v2/_catalog?x=1")), br#"{"repositories":["a"]}"#).unwrap();
        p.poll().unwrap();
        p.handle_response(&page(Some("/v2/_catalog?x=1")), br#"{"repositories":["b"]}"#).unwrap();
        assert!(p.poll().is_none());
        // A page with nothing new ends it too.
        let mut p = Pager::catalog(&registry(), None, PagerLimits::default()).unwrap();
        p.poll().unwrap();
        p.handle_response(&page(Some("/v2/_catalog?x=1")), br#"{"repositories":["a"]}"#).unwrap();
        p.poll().unwrap();
        p.handle_response(&page(Some("/v2/_catalog?x=2")), br#"{"repositories":["a"]}"#).unwrap();
        assert!(p.poll().is_none());
        // Ever new links and items: the bounds stop it.
        let limits = PagerLimits { max_pages: 50, max_items: 1_000, max_page_bytes: 1 << 10 };
        let mut p = Pager::tags(&registry(), "a", None, limits).unwrap();
        let mut i = 0;
        let error = loop {
            let Some(_) = p.poll() else { panic!("an endless list ended") };
            i += 1;
            let body = format!(r#"{{"name":"a","tags":["t{i}"]}}"#);
            if let Err(e) =
                p.handle_response(&page(Some(&format!("/v2/a/tags/list?p={i}"))), body.as_bytes())
            {
                break e;
            }
        };
        assert!(matches!(error, Error::ListTooLong { .. }), "{error}");
        assert_eq!(i, 50);
        let mut p = Pager::tags(&registry(), "a", None, limits).unwrap();
        p.poll().unwrap();
        let big: Vec<String> = (0..2000).map(|i| format!("\"{i}\"")).collect();
        let body = format!(r#"{{"name":"a","tags":[{}]}}"#, big.join(","));
        assert!(matches!(
            p.handle_response(&page(None), body.as_bytes()),
            Err(Error::ListTooLong { .. })
        ));
    }
}
