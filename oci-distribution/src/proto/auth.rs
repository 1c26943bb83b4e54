//! Credentials, challenges and tokens: which `Authorization` goes with which request.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use http::HeaderValue;
use http::header::AUTHORIZATION;

use super::{Error, Origin, Outgoing, Want};
use crate::auth::{Challenge, Credentials, Scheme, TokenResponse};
use crate::endpoint::{self, Body};

/// The longest token lifetime believed, in seconds (a day).
const MAX_TOKEN_LIFETIME: u64 = 24 * 60 * 60;

/// The OAuth2 client id sent with refresh-token grants.
const CLIENT_ID: &str = "oci-distribution";

/// Why authentication failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthFailure {
    /// The registry wants credentials and none were given.
    NoCredentials,
    /// The registry or its token service refused the credentials or token.
    Refused,
    /// A 401 without a `WWW-Authenticate` challenge.
    NoChallenge,
    /// Only schemes this crate does not speak were offered.
    UnsupportedScheme,
    /// The challenge's realm is not an `http`/`https` URL.
    InvalidRealm,
    /// The token service answered an error status.
    TokenService,
    /// The token service's answer holds no usable token.
    MalformedToken,
}

/// A token in the cache.
#[derive(Clone, Debug)]
struct Token {
    header: HeaderValue,
    expires: Instant,
    /// A request carrying it was answered other than 401: a later 401 means it expired
    /// early (or was revoked), not that the credentials are wrong.
    accepted: bool,
}

/// A token request, and the `GET` to fall back to if it is a password grant.
type TokenRequests = (http::Request<Body>, Option<http::Request<Body>>);

/// A token request in flight, made by [`Auth::challenge`].
#[derive(Debug)]
pub(crate) struct TokenFetch {
    key: (Origin, String),
    request: http::Request<Body>,
    /// For an OAuth2 password grant: the realm, and the GET to make instead if the token
    /// service does not take POSTs.
    fallback: Option<(String, http::Request<Body>)>,
}

impl TokenFetch {
    pub(crate) fn outgoing(&self) -> Outgoing {
        Outgoing { request: super::clone_request(&self.request), want: Want::Body(self.limit()) }
    }

    fn limit(&self) -> usize {
        endpoint::MAX_SMALL_BODY
    }
}

/// The authentication state a client shares between its requests: credentials by
/// registry, the registries that asked for `Basic`, and bearer tokens by registry and
/// scope with their expiry.
///
/// # Security
/// Credentials and tokens belong to the registry's [`Origin`] (scheme, host, port): a
/// request to anywhere else, such as an upload `Location` or a `Link` on another host,
/// or a redirect target, carries none ([`Auth::authorization`] is the one place that
/// decides). Credentials go to a token service wherever the registry's challenge puts it,
/// but never over plain HTTP when the registry itself is HTTPS.
#[derive(Debug, Default)]
pub struct Auth {
    default: Option<Credentials>,
    credentials: HashMap<Origin, Credentials>,
    basic: HashSet<Origin>,
    tokens: HashMap<(Origin, String), Token>,
    challenges: HashMap<Origin, Vec<Challenge>>,
    password_grant: bool,
    /// Token services that answered a password grant with 400, 404 or 405.
    no_post: HashSet<String>,
}

impl Auth {
    /// No credentials: anonymous access, tokens without credentials.
    pub fn new() -> Self {
        Self::default()
    }

    /// Credentials for every registry that has none of its own.
    pub fn with_credentials(credentials: Option<Credentials>) -> Self {
        Self { default: credentials, ..Self::default() }
    }

    /// Asks token services for tokens with an OAuth2 password grant (a `POST` with the
    /// credentials in a form, as `docker login` does), falling back to the `GET` with
    /// `Basic` credentials for a service that does not take it. Default: off, the `GET`
    /// every registry takes.
    pub fn oauth2_password_grant(mut self, yes: bool) -> Self {
        self.password_grant = yes;
        self
    }

    /// Credentials for one registry.
    pub fn set_credentials(&mut self, registry: Origin, credentials: Credentials) {
        self.credentials.insert(registry, credentials);
    }

    fn credentials_for(&self, registry: &Origin) -> Option<&Credentials> {
        self.credentials.get(registry).or(self.default.as_ref())
    }

    /// The `Authorization` for a request to `target` on behalf of `registry` with
    /// `scope`: a live token for that scope, else `Basic` credentials if the registry
    /// asked for them; nothing when `target` is not on the registry's origin.
    pub fn authorization(
        &mut self,
        registry: &Origin,
        scope: &str,
        target: &http::Uri,
        now: Instant,
    ) -> Option<HeaderValue> {
        if Origin::of(target).as_ref() != Some(registry) {
            return None;
        }
        let key = (registry.clone(), scope.to_owned());
        if let Some(token) = self.tokens.get(&key) {
            if token.expires > now {
                return Some(token.header.clone());
            }
            self.tokens.remove(&key);
        }
        if self.basic.contains(registry) {
            return self.credentials_for(registry).and_then(|c| c.basic_header().parse().ok());
        }
        None
    }

    /// Whether credentials are known for `registry`.
    pub fn has_credentials(&self, registry: &Origin) -> bool {
        self.credentials_for(registry).is_some()
    }

    /// Whether `sent` is the cached token for `scope` and was accepted before.
    pub(crate) fn was_accepted(&self, registry: &Origin, scope: &str, sent: &HeaderValue) -> bool {
        self.tokens
            .get(&(registry.clone(), scope.to_owned()))
            .is_some_and(|t| t.accepted && t.header == *sent)
    }

    /// Keeps the registry's last challenges, for a refusal that carries none (a 403).
    pub(crate) fn remember_challenges(&mut self, registry: &Origin, challenges: &[Challenge]) {
        if !challenges.is_empty() {
            self.challenges.insert(registry.clone(), challenges.to_vec());
        }
    }

    /// The registry's last challenges.
    pub(crate) fn last_challenges(&self, registry: &Origin) -> Vec<Challenge> {
        self.challenges.get(registry).cloned().unwrap_or_default()
    }

    /// Notes that a request carrying `sent` was not answered 401.
    pub(crate) fn accepted(&mut self, registry: &Origin, scope: &str, sent: &HeaderValue) {
        if let Some(token) = self.tokens.get_mut(&(registry.clone(), scope.to_owned()))
            && token.header == *sent
        {
            token.accepted = true;
        }
    }

    /// Answers a 401 (or a 403 `DENIED` to an accepted token) to a request that carried
    /// `sent`: the token request to make, or `None` when `Basic` credentials now go with
    /// the retried request.
    pub(crate) fn challenge(
        &mut self,
        registry: &Origin,
        scope: &str,
        challenges: &[Challenge],
        sent: Option<&HeaderValue>,
    ) -> Result<Option<TokenFetch>, Error> {
        let fail = |kind: AuthFailure, reason: String| Error::Auth {
            registry: format!("{}:{}", registry.host(), registry.port()),
            kind,
            reason,
        };
        let key = (registry.clone(), scope.to_owned());
        if let Some(sent) = sent {
            match self.tokens.get(&key) {
                // A token that worked before: it expired early or was revoked.
                Some(token) if token.header == *sent && token.accepted => {
                    self.tokens.remove(&key);
                }
                Some(token) if token.header == *sent => {
                    return Err(fail(
                        AuthFailure::Refused,
                        "the registry refused the token".into(),
                    ));
                }
                _ if self.basic.contains(registry) => {
                    return Err(fail(
                        AuthFailure::Refused,
                        "the registry refused the credentials".into(),
                    ));
                }
                _ => {}
            }
        }
        if challenges.is_empty() {
            return Err(fail(
                AuthFailure::NoChallenge,
                "401 without a WWW-Authenticate challenge".into(),
            ));
        }
        if let Some(bearer) = challenges.iter().find(|c| c.scheme == Scheme::Bearer) {
            let (request, fallback) = self
                .token_request(registry, scope, bearer)
                .map_err(|(kind, reason)| fail(kind, reason))?;
            let fallback =
                fallback.zip(bearer.param("realm").map(str::to_owned)).map(|(g, r)| (r, g));
            return Ok(Some(TokenFetch { key, request, fallback }));
        }
        if challenges.iter().any(|c| c.scheme == Scheme::Basic) {
            if self.credentials_for(registry).is_none_or(|c| c.identity_token) {
                return Err(fail(
                    AuthFailure::NoCredentials,
                    "the registry wants credentials and none were given".into(),
                ));
            }
            self.basic.insert(registry.clone());
            return Ok(None);
        }
        Err(fail(
            AuthFailure::UnsupportedScheme,
            "no supported authentication scheme offered".into(),
        ))
    }

    /// The token request for `scope` (merged with the scope the challenge names).
    fn token_request(
        &self,
        registry: &Origin,
        scope: &str,
        bearer: &Challenge,
    ) -> Result<TokenRequests, (AuthFailure, String)> {
        let realm = bearer
            .param("realm")
            .ok_or((AuthFailure::InvalidRealm, "the bearer challenge has no realm".into()))?;
        let invalid = || (AuthFailure::InvalidRealm, format!("invalid token realm {realm:?}"));
        let realm_uri: http::Uri = realm.parse().map_err(|_| invalid())?;
        let realm_origin = Origin::of(&realm_uri).ok_or_else(invalid)?;
        let mut scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
        if let Some(asked) = bearer.param("scope") {
            for s in asked.split(' ').filter(|s| !s.is_empty()) {
                if !scopes.contains(&s) {
                    scopes.push(s);
                }
            }
        }
        // Credentials never travel over plain HTTP to a token service of an HTTPS registry.
        let safe_channel = realm_origin.is_https() || !registry.is_https();
        let credentials = if safe_channel { self.credentials_for(registry) } else { None };
        let post = |grant: Vec<String>| -> Result<http::Request<Body>, (AuthFailure, String)> {
            let mut form = grant;
            form.push(format!("client_id={}", endpoint::encode(CLIENT_ID)));
            if let Some(service) = bearer.param("service") {
                form.push(format!("service={}", endpoint::encode(service)));
            }
            if !scopes.is_empty() {
                form.push(format!("scope={}", endpoint::encode(&scopes.join(" "))));
            }
            let body = form.join("&").into_bytes();
            http::Request::post(realm)
                .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(http::header::CONTENT_LENGTH, body.len())
                .body(Body::Document(body))
                .map_err(|_| invalid())
        };
        if let Some(c) = credentials.filter(|c| c.identity_token) {
            // An identity token is an OAuth2 refresh token: exchanged with a POST.
            let grant = vec![
                "grant_type=refresh_token".to_owned(),
                format!("refresh_token={}", endpoint::encode(&c.password)),
            ];
            return Ok((post(grant)?, None));
        }
        let mut query = Vec::new();
        if let Some(service) = bearer.param("service") {
            query.push(format!("service={}", endpoint::encode(service)));
        }
        for s in &scopes {
            query.push(format!("scope={}", endpoint::encode(s)));
        }
        let separator = if realm.contains('?') { '&' } else { '?' };
        let target = if query.is_empty() {
            realm.to_owned()
        } else {
            format!("{realm}{separator}{}", query.join("&"))
        };
        let mut builder = http::Request::get(target);
        if let Some(credentials) = credentials {
            builder = builder.header(AUTHORIZATION, credentials.basic_header());
        }
        let get = builder.body(Body::Empty).map_err(|_| invalid())?;
        match credentials {
            Some(c) if self.password_grant && !self.no_post.contains(realm) => {
                let grant = vec![
                    "grant_type=password".to_owned(),
                    format!("username={}", endpoint::encode(&c.username)),
                    format!("password={}", endpoint::encode(&c.password)),
                    "access_type=offline".to_owned(),
                ];
                Ok((post(grant)?, Some(get)))
            }
            _ => Ok((get, None)),
        }
    }

    /// Takes the token service's answer to `fetch`: the token request to make instead,
    /// for a service that does not take a password grant.
    pub(crate) fn token_response(
        &mut self,
        fetch: TokenFetch,
        parts: &http::response::Parts,
        body: &[u8],
        now: Instant,
    ) -> Result<Option<TokenFetch>, Error> {
        if let Some((realm, get)) = fetch.fallback
            && matches!(parts.status.as_u16(), 400 | 404 | 405)
        {
            self.no_post.insert(realm);
            return Ok(Some(TokenFetch { key: fetch.key, request: get, fallback: None }));
        }
        let (registry, _) = &fetch.key;
        let fail = |kind: AuthFailure, reason: String| Error::Auth {
            registry: format!("{}:{}", registry.host(), registry.port()),
            kind,
            reason,
        };
        if parts.status == http::StatusCode::UNAUTHORIZED
            || parts.status == http::StatusCode::FORBIDDEN
        {
            let kind = if self.credentials_for(registry).is_some() {
                AuthFailure::Refused
            } else {
                AuthFailure::NoCredentials
            };
            let reason = match kind {
                AuthFailure::Refused => {
                    format!("the token service refused the credentials ({})", parts.status)
                }
                _ => format!(
                    "the token service wants credentials and none were given ({})",
                    parts.status
                ),
            };
            return Err(fail(kind, reason));
        }
        if !parts.status.is_success() {
            return Err(fail(
                AuthFailure::TokenService,
                format!("the token service answered {}", parts.status),
            ));
        }
        let token: TokenResponse = serde_json::from_slice(body).map_err(|e| {
            fail(AuthFailure::MalformedToken, format!("malformed token response: {e}"))
        })?;
        let header = token
            .bearer()
            .and_then(|t| HeaderValue::from_str(&format!("Bearer {t}")).ok())
            .ok_or_else(|| {
                fail(AuthFailure::MalformedToken, "the token response holds no usable token".into())
            })?;
        // Renew a little before the registry would refuse it.
        // A token service's `expires_in` is believed up to a day: a larger number (up to
        // u64::MAX) would overflow the clock, and a refused token is renewed anyway.
        let lifetime =
            Duration::from_secs(token.lifetime().saturating_sub(5).clamp(1, MAX_TOKEN_LIFETIME));
        let expires = now.checked_add(lifetime).unwrap_or(now);
        self.tokens.insert(fetch.key, Token { header, expires, accepted: false });
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(s: &str) -> Origin {
        Origin::of(&s.parse().unwrap()).unwrap()
    }

    fn parts(status: u16) -> http::response::Parts {
        http::Response::builder().status(status).body(()).unwrap().into_parts().0
    }

    fn creds() -> Option<Credentials> {
        Some(Credentials::new("u", "p"))
    }

    #[test]
    fn credentials_stay_with_their_origin() {
        let reg = origin("https://reg.example/");
        let mut auth = Auth::with_credentials(creds());
        let basic = [Challenge { scheme: Scheme::Basic, params: Default::default() }];
        assert!(auth.challenge(&reg, "s", &basic, None).unwrap().is_none());
        let now = Instant::now();
        let at =
            |auth: &mut Auth, uri: &str| auth.authorization(&reg, "s", &uri.parse().unwrap(), now);
        assert!(at(&mut auth, "https://reg.example/v2/").is_some());
        assert!(at(&mut auth, "https://REG.example:443/v2/a/blobs/uploads/1").is_some());
        for elsewhere in [
            "https://storage.example/upload/1",
            "http://reg.example/v2/",
            "https://reg.example:8443/v2/",
            "https://reg.example.evil.test/v2/",
            "/v2/relative",
        ] {
            assert!(at(&mut auth, elsewhere).is_none(), "{elsewhere}");
        }
        // Refused once sent.
        let sent = at(&mut auth, "https://reg.example/v2/").unwrap();
        let e = auth.challenge(&reg, "s", &basic, Some(&sent)).unwrap_err();
        assert_eq!(e.auth_failure(), Some(AuthFailure::Refused));
    }

    #[test]
    fn tokens_by_scope_expire_and_renew() {
        let reg = origin("https://reg.example/");
        let mut auth = Auth::with_credentials(creds());
        let challenge = Challenge::parse_all(
            r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull""#,
        );
        let fetch =
            auth.challenge(&reg, "repository:b:pull,push", &challenge, None).unwrap().unwrap();
        let uri = fetch.request.uri().to_string();
        assert_eq!(
            uri,
            "https://auth.example/token?service=reg&scope=repository%3Ab%3Apull%2Cpush&scope=repository%3Aa%3Apull"
        );
        assert!(
            fetch.request.headers().contains_key(AUTHORIZATION),
            "HTTPS realm gets the credentials"
        );
        let now = Instant::now();
        auth.token_response(fetch, &parts(200), br#"{"token":"t1","expires_in":60}"#, now).unwrap();
        let target: http::Uri = "https://reg.example/v2/b/blobs/x".parse().unwrap();
        let sent = auth.authorization(&reg, "repository:b:pull,push", &target, now).unwrap();
        assert_eq!(sent, "Bearer t1");
        assert!(
            auth.authorization(&reg, "repository:c:pull", &target, now).is_none(),
            "another scope"
        );
        assert!(
            auth.authorization(
                &reg,
                "repository:b:pull,push",
                &target,
                now + Duration::from_secs(56)
            )
            .is_none(),
            "expired"
        );

        // A fresh token refused is an error; one accepted before is renewed.
        let fetch = auth.challenge(&reg, "s", &challenge, None).unwrap().unwrap();
        auth.token_response(fetch, &parts(200), br#"{"access_token":"t2"}"#, now).unwrap();
        let t2 = auth.authorization(&reg, "s", &target, now).unwrap();
        assert_eq!(
            auth.challenge(&reg, "s", &challenge, Some(&t2)).unwrap_err().auth_failure(),
            Some(AuthFailure::Refused)
        );
        auth.accepted(&reg, "s", &t2);
        assert!(auth.challenge(&reg, "s", &challenge, Some(&t2)).unwrap().is_some());
        assert!(auth.authorization(&reg, "s", &target, now).is_none(), "the old token is gone");
    }

    #[test]
    fn no_credentials_over_plain_http_realms_of_https_registries() {
        let reg = origin("https://reg.example/");
        let auth = Auth::with_credentials(creds());
        let challenge = Challenge::parse_all(r#"Bearer realm="http://auth.example/token""#);
        let fetch = {
            let mut auth = auth;
            auth.challenge(&reg, "", &challenge, None).unwrap().unwrap()
        };
        assert!(!fetch.request.headers().contains_key(AUTHORIZATION));
        // A plain-HTTP registry (loopback) may use a plain-HTTP realm.
        let mut local = Auth::with_credentials(creds());
        let fetch = local
            .challenge(&origin("http://127.0.0.1:5000/"), "", &challenge, None)
            .unwrap()
            .unwrap();
        assert!(fetch.request.headers().contains_key(AUTHORIZATION));
    }

    #[test]
    fn identity_tokens_are_refresh_grants() {
        let reg = origin("https://reg.example/");
        let mut auth = Auth::with_credentials(Some(Credentials::identity_token("<token>", "r&t")));
        let challenge = Challenge::parse_all(
            r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull""#,
        );
        let fetch = auth.challenge(&reg, "repository:b:push", &challenge, None).unwrap().unwrap();
        assert_eq!(fetch.request.method(), http::Method::POST);
        assert_eq!(fetch.request.uri(), "https://auth.example/token");
        assert!(!fetch.request.headers().contains_key(AUTHORIZATION), "never sent as a password");
        let Body::Document(form) = fetch.request.body() else { panic!() };
        assert_eq!(
            String::from_utf8_lossy(form),
            "grant_type=refresh_token&refresh_token=r%26t&client_id=oci-distribution&service=reg&scope=repository%3Ab%3Apush%20repository%3Aa%3Apull"
        );
        // Nor as Basic credentials.
        let basic = Challenge::parse_all("Basic realm=x");
        assert_eq!(
            auth.challenge(&reg, "", &basic, None).unwrap_err().auth_failure(),
            Some(AuthFailure::NoCredentials)
        );
    }

    #[test]
    fn password_grants_fall_back_to_get() {
        let reg = origin("https://reg.example/");
        let mut auth = Auth::with_credentials(creds()).oauth2_password_grant(true);
        let challenge =
            Challenge::parse_all(r#"Bearer realm="https://auth.example/token",service="reg""#);
        let fetch = auth.challenge(&reg, "repository:a:pull", &challenge, None).unwrap().unwrap();
        assert_eq!(fetch.request.method(), http::Method::POST);
        let Body::Document(form) = fetch.request.body() else { panic!() };
        assert_eq!(
            String::from_utf8_lossy(form),
            "grant_type=password&username=u&password=p&access_type=offline&client_id=oci-distribution&service=reg&scope=repository%3Aa%3Apull"
        );
        // The service takes no POST: the GET with Basic credentials, and no POST again.
        let get = auth.token_response(fetch, &parts(404), b"", Instant::now()).unwrap().unwrap();
        assert_eq!(get.request.method(), http::Method::GET);
        assert!(get.request.headers().contains_key(AUTHORIZATION));
        assert!(
            auth.token_response(get, &parts(200), br#"{"token":"t"}"#, Instant::now())
                .unwrap()
                .is_none()
        );
        let again = auth.challenge(&reg, "repository:b:pull", &challenge, None).unwrap().unwrap();
        assert_eq!(again.request.method(), http::Method::GET);
        // A service that takes it: an access token from the POST.
        let mut auth = Auth::with_credentials(creds()).oauth2_password_grant(true);
        let fetch = auth.challenge(&reg, "s", &challenge, None).unwrap().unwrap();
        assert!(
            auth.token_response(
                fetch,
                &parts(200),
                br#"{"access_token":"a","refresh_token":"r"}"#,
                Instant::now()
            )
            .unwrap()
            .is_none()
        );
        let target: http::Uri = "https://reg.example/v2/".parse().unwrap();
        assert_eq!(auth.authorization(&reg, "s", &target, Instant::now()).unwrap(), "Bearer a");
    }

    #[test]
    fn hostile_token_lifetimes_do_not_overflow_the_clock() {
        let reg = origin("https://reg.example/");
        let mut auth = Auth::new();
        let challenge = Challenge::parse_all(r#"Bearer realm="https://reg.example/token""#);
        let fetch = auth.challenge(&reg, "s", &challenge, None).unwrap().unwrap();
        let now = Instant::now();
        let body = format!(r#"{{"token":"t","expires_in":{}}}"#, u64::MAX);
        auth.token_response(fetch, &parts(200), body.as_bytes(), now).unwrap();
        let target: http::Uri = "https://reg.example/v2/".parse().unwrap();
        assert!(auth.authorization(&reg, "s", &target, now).is_some());
        assert!(
            auth.authorization(&reg, "s", &target, now + Duration::from_secs(2 * 86_400)).is_none()
        );
    }

    #[test]
    fn token_service_failures_are_typed() {
        let reg = origin("https://reg.example/");
        let challenge = Challenge::parse_all(r#"Bearer realm="https://auth.example/token""#);
        let mut anon = Auth::new();
        let fetch = anon.challenge(&reg, "", &challenge, None).unwrap().unwrap();
        let e = anon.token_response(fetch, &parts(401), b"", Instant::now()).unwrap_err();
        assert_eq!(e.auth_failure(), Some(AuthFailure::NoCredentials));
        let mut auth = Auth::with_credentials(creds());
        let fetch = auth.challenge(&reg, "", &challenge, None).unwrap().unwrap();
        let e = auth.token_response(fetch, &parts(200), b"{}", Instant::now()).unwrap_err();
        assert_eq!(e.auth_failure(), Some(AuthFailure::MalformedToken));
        let bad = Challenge::parse_all(r#"Bearer realm="file:///etc/passwd""#);
        assert_eq!(
            auth.challenge(&reg, "", &bad, None).unwrap_err().auth_failure(),
            Some(AuthFailure::InvalidRealm)
        );
        assert_eq!(
            auth.challenge(&reg, "", &[], None).unwrap_err().auth_failure(),
            Some(AuthFailure::NoChallenge)
        );
        let other = Challenge::parse_all(r#"Negotiate abc"#);
        assert_eq!(
            auth.challenge(&reg, "", &other, None).unwrap_err().auth_failure(),
            Some(AuthFailure::UnsupportedScheme)
        );
    }
}
