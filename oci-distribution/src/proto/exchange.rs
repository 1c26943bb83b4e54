//! One request to a registry: authentication and retries around it.

use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};

use super::auth::TokenFetch;
use super::retry::{may_retry, retry_after};
use super::{Auth, AuthFailure, Backoff, Error, Origin, Outgoing, Replay, RetryPolicy, Want};
use crate::auth::Challenge;
use crate::endpoint::{Body, Registry};

/// What an [`Exchange`] wants next.
#[derive(Debug)]
#[non_exhaustive]
// A step is made and consumed once per request: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum ExchangeStep {
    /// Send this request and hand the answer to [`Exchange::handle_response`] (or a
    /// failure to [`Exchange::handle_failure`]).
    Send(Outgoing),
    /// Wait this long, then poll again.
    Wait(Duration),
}

/// What to do with an answer handed to [`Exchange::handle_response`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Disposition {
    /// It is the answer to the request: give it to the caller, body and all.
    Deliver,
    /// The exchange goes on: drain the body and poll again.
    Discard,
}

/// What to do after a transport failure handed to [`Exchange::handle_failure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// Poll again (the exchange waits first).
    Retry,
    /// Give up: the failure is the exchange's result.
    GiveUp,
}

/// One request as the registry protocol runs it: sent with the `Authorization` that
/// belongs to it ([`Auth::authorization`]), a 401 answered once with its challenge
/// (a token fetched, or `Basic` credentials), a token that worked before and is now
/// refused (401, or ECR's 403 to an expired token) renewed once, and failures retried as
/// its [`Replay`] allows, with back-off, jitter, `Retry-After` and a time budget.
#[derive(Debug)]
pub struct Exchange {
    request: http::Request<Body>,
    registry: Option<Origin>,
    scope: String,
    replay: Replay,
    backoff: Backoff,
    reauthenticated: bool,
    sent: Option<HeaderValue>,
    token: Option<TokenFetch>,
    awaiting_token: bool,
    wait_until: Option<Instant>,
}

impl Exchange {
    /// An exchange of `request` with `registry` on behalf of `scope` (a token scope such
    /// as `repository:a/b:pull`, several separated by spaces; empty for none).
    pub fn new(
        registry: &Registry,
        scope: &str,
        request: http::Request<Body>,
        replay: Replay,
        policy: RetryPolicy,
        now: Instant,
    ) -> Self {
        let mut seed = std::collections::hash_map::DefaultHasher::new();
        request.uri().hash(&mut seed);
        Self {
            registry: Origin::of_registry(registry),
            scope: scope.to_owned(),
            replay,
            backoff: Backoff::new(policy, now, seed.finish()),
            reauthenticated: false,
            sent: None,
            token: None,
            awaiting_token: false,
            wait_until: None,
            request,
        }
    }

    /// The request this exchange is about.
    pub fn request(&self) -> &http::Request<Body> {
        &self.request
    }

    /// The next thing to do.
    pub fn poll(&mut self, auth: &mut Auth, now: Instant) -> ExchangeStep {
        if let Some(until) = self.wait_until {
            if now < until {
                return ExchangeStep::Wait(until - now);
            }
            self.wait_until = None;
        }
        if let Some(fetch) = &self.token {
            self.awaiting_token = true;
            return ExchangeStep::Send(fetch.outgoing());
        }
        let mut request = super::clone_request(&self.request);
        self.sent = self
            .registry
            .as_ref()
            .and_then(|registry| auth.authorization(registry, &self.scope, request.uri(), now));
        if let Some(value) = &self.sent {
            request.headers_mut().insert(AUTHORIZATION, value.clone());
        }
        ExchangeStep::Send(Outgoing { request, want: Want::Head })
    }

    /// Takes the answer to what [`Exchange::poll`] sent: `body` is the whole body when
    /// the step asked for it ([`Want::Body`]), else `None`.
    ///
    /// # Errors
    /// [`Error::Auth`] when authentication fails.
    pub fn handle_response(
        &mut self,
        auth: &mut Auth,
        parts: &http::response::Parts,
        body: Option<&[u8]>,
        now: Instant,
    ) -> Result<Disposition, Error> {
        if self.awaiting_token {
            self.awaiting_token = false;
            if let Some(fetch) = self.token.take() {
                if super::retry::retryable_status(parts.status)
                    && let Some(wait) = self.backoff.next(now, retry_after(&parts.headers))
                {
                    self.token = Some(fetch);
                    self.wait_until = Some(now + wait);
                    return Ok(Disposition::Discard);
                }
                self.token = auth.token_response(fetch, parts, body.unwrap_or_default(), now)?;
            }
            return Ok(Disposition::Discard);
        }
        let Some(registry) = self.registry.clone() else { return Ok(Disposition::Deliver) };
        let sent_to_registry = Origin::of(self.request.uri()).as_ref() == Some(&registry);
        let expired_token = parts.status == StatusCode::FORBIDDEN
            && self.sent.as_ref().is_some_and(|s| auth.was_accepted(&registry, &self.scope, s));
        if sent_to_registry && (parts.status == StatusCode::UNAUTHORIZED || expired_token) {
            if self.reauthenticated {
                if parts.status == StatusCode::FORBIDDEN {
                    return Ok(Disposition::Deliver);
                }
                let kind = if auth.has_credentials(&registry) {
                    AuthFailure::Refused
                } else {
                    AuthFailure::NoCredentials
                };
                let reason = match kind {
                    AuthFailure::Refused => "the registry refused the credentials".to_owned(),
                    _ => "the registry wants credentials and none were given".to_owned(),
                };
                return Err(Error::Auth {
                    registry: format!("{}:{}", registry.host(), registry.port()),
                    kind,
                    reason,
                });
            }
            self.reauthenticated = true;
            let challenges: Vec<Challenge> = parts
                .headers
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(Challenge::parse_all)
                .collect();
            let challenges = if challenges.is_empty() && expired_token {
                auth.last_challenges(&registry)
            } else {
                auth.remember_challenges(&registry, &challenges);
                challenges
            };
            self.token = auth.challenge(&registry, &self.scope, &challenges, self.sent.as_ref())?;
            return Ok(Disposition::Discard);
        }
        if may_retry(self.replay, parts.status)
            && let Some(wait) = self.backoff.next(now, retry_after(&parts.headers))
        {
            self.wait_until = Some(now + wait);
            return Ok(Disposition::Discard);
        }
        if let Some(sent) = &self.sent {
            auth.accepted(&registry, &self.scope, sent);
        }
        Ok(Disposition::Deliver)
    }

    /// Takes a transport failure (no answer, or a broken one) of what [`Exchange::poll`]
    /// sent. Requests that may be repeated are, within the retry policy; token requests
    /// are always repeatable.
    pub fn handle_failure(&mut self, now: Instant) -> Failure {
        let token = std::mem::take(&mut self.awaiting_token);
        if !(token || self.replay == Replay::Idempotent) {
            return Failure::GiveUp;
        }
        match self.backoff.next(now, None) {
            Some(wait) => {
                self.wait_until = Some(now + wait);
                Failure::Retry
            }
            None => Failure::GiveUp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credentials;
    use crate::endpoint;

    fn registry() -> Registry {
        Registry::of(&"reg.example/a".parse().unwrap(), false)
    }

    fn answer(status: u16, headers: &[(&str, &str)]) -> http::response::Parts {
        let mut b = http::Response::builder().status(status);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    fn send(step: ExchangeStep) -> Outgoing {
        match step {
            ExchangeStep::Send(o) => o,
            other => panic!("expected a request, got {other:?}"),
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy::new(3, Duration::from_millis(100), Duration::from_secs(1))
    }

    /// 401 → token → retried with it → 200; a later exchange reuses the token.
    #[test]
    fn bearer_transcript() {
        let now = Instant::now();
        let mut auth = Auth::with_credentials(Some(Credentials::new("u", "p")));
        let r = registry();
        let scope = "repository:a:pull";
        let mut ex = Exchange::new(
            &r,
            scope,
            endpoint::api_version(&r).unwrap(),
            Replay::Idempotent,
            policy(),
            now,
        );
        let first = send(ex.poll(&mut auth, now));
        assert!(!first.request.headers().contains_key(AUTHORIZATION));
        let challenge = r#"Bearer realm="https://auth.example/token",service="reg""#;
        assert_eq!(
            ex.handle_response(
                &mut auth,
                &answer(401, &[("WWW-Authenticate", challenge)]),
                None,
                now
            )
            .unwrap(),
            Disposition::Discard
        );
        let token = send(ex.poll(&mut auth, now));
        assert_eq!(token.want, Want::Body(endpoint::MAX_SMALL_BODY));
        assert_eq!(
            token.request.uri(),
            "https://auth.example/token?service=reg&scope=repository%3Aa%3Apull"
        );
        assert_eq!(
            ex.handle_response(&mut auth, &answer(200, &[]), Some(br#"{"token":"abc"}"#), now)
                .unwrap(),
            Disposition::Discard
        );
        let again = send(ex.poll(&mut auth, now));
        assert_eq!(again.request.headers()[AUTHORIZATION], "Bearer abc");
        assert_eq!(
            ex.handle_response(&mut auth, &answer(200, &[]), None, now).unwrap(),
            Disposition::Deliver
        );

        let mut next = Exchange::new(
            &r,
            scope,
            endpoint::api_version(&r).unwrap(),
            Replay::Idempotent,
            policy(),
            now,
        );
        assert_eq!(send(next.poll(&mut auth, now)).request.headers()[AUTHORIZATION], "Bearer abc");
        // The token expires early: a 401 renews it once.
        assert_eq!(
            next.handle_response(
                &mut auth,
                &answer(401, &[("WWW-Authenticate", challenge)]),
                None,
                now
            )
            .unwrap(),
            Disposition::Discard
        );
        send(next.poll(&mut auth, now));
        next.handle_response(&mut auth, &answer(200, &[]), Some(br#"{"token":"def"}"#), now)
            .unwrap();
        assert_eq!(send(next.poll(&mut auth, now)).request.headers()[AUTHORIZATION], "Bearer def");
        // Refused again: an error, not a loop.
        let e = next
            .handle_response(&mut auth, &answer(401, &[("WWW-Authenticate", challenge)]), None, now)
            .unwrap_err();
        assert_eq!(e.auth_failure(), Some(AuthFailure::Refused));
    }

    /// ECR answers 403 DENIED to an expired token, without a challenge.
    #[test]
    fn forbidden_after_acceptance_renews_the_token() {
        let now = Instant::now();
        let mut auth = Auth::new();
        let r = registry();
        let challenge = r#"Bearer realm="https://reg.example/token""#;
        let mut ex = Exchange::new(
            &r,
            "s",
            endpoint::api_version(&r).unwrap(),
            Replay::Idempotent,
            policy(),
            now,
        );
        send(ex.poll(&mut auth, now));
        ex.handle_response(&mut auth, &answer(401, &[("WWW-Authenticate", challenge)]), None, now)
            .unwrap();
        send(ex.poll(&mut auth, now));
        ex.handle_response(&mut auth, &answer(200, &[]), Some(br#"{"token":"t1"}"#), now).unwrap();
        send(ex.poll(&mut auth, now));
        assert_eq!(
            ex.handle_response(&mut auth, &answer(200, &[]), None, now).unwrap(),
            Disposition::Deliver
        );

        let mut later = Exchange::new(
            &r,
            "s",
            endpoint::api_version(&r).unwrap(),
            Replay::Idempotent,
            policy(),
            now,
        );
        send(later.poll(&mut auth, now));
        assert_eq!(
            later.handle_response(&mut auth, &answer(403, &[]), None, now).unwrap(),
            Disposition::Discard
        );
        let token = send(later.poll(&mut auth, now));
        assert!(token.request.uri().to_string().starts_with("https://reg.example/token"));
        later
            .handle_response(&mut auth, &answer(200, &[]), Some(br#"{"token":"t2"}"#), now)
            .unwrap();
        assert_eq!(send(later.poll(&mut auth, now)).request.headers()[AUTHORIZATION], "Bearer t2");
        // A 403 to the fresh token is the registry's answer.
        assert_eq!(
            later.handle_response(&mut auth, &answer(403, &[]), None, now).unwrap(),
            Disposition::Deliver
        );
    }

    #[test]
    fn retries_wait_and_stop() {
        let now = Instant::now();
        let mut auth = Auth::new();
        let r = registry();
        let mut ex = Exchange::new(
            &r,
            "",
            endpoint::api_version(&r).unwrap(),
            Replay::Idempotent,
            policy(),
            now,
        );
        send(ex.poll(&mut auth, now));
        assert_eq!(
            ex.handle_response(&mut auth, &answer(429, &[("Retry-After", "1")]), None, now)
                .unwrap(),
            Disposition::Discard
        );
        let ExchangeStep::Wait(wait) = ex.poll(&mut auth, now) else { panic!() };
        assert_eq!(wait, Duration::from_secs(1));
        let later = now + wait;
        send(ex.poll(&mut auth, later));
        assert_eq!(ex.handle_failure(later), Failure::Retry);
        let ExchangeStep::Wait(_) = ex.poll(&mut auth, later) else { panic!() };
        let later = later + Duration::from_secs(1);
        send(ex.poll(&mut auth, later));
        assert_eq!(
            ex.handle_response(&mut auth, &answer(503, &[]), None, later).unwrap(),
            Disposition::Discard
        );
        let later = later + Duration::from_secs(1);
        send(ex.poll(&mut auth, later));
        assert_eq!(
            ex.handle_response(&mut auth, &answer(503, &[]), None, later).unwrap(),
            Disposition::Deliver,
            "retries spent"
        );

        let patch =
            endpoint::upload_chunk(&r, "/up", &oci_image::Digest::sha256(b""), 0, 1).unwrap();
        let mut never = Exchange::new(&r, "", patch, Replay::Never, policy(), now);
        send(never.poll(&mut auth, now));
        assert_eq!(never.handle_failure(now), Failure::GiveUp);
        assert_eq!(
            never.handle_response(&mut auth, &answer(500, &[]), None, now).unwrap(),
            Disposition::Deliver
        );
    }

    #[test]
    fn no_credentials_for_another_origin() {
        let now = Instant::now();
        let mut auth = Auth::with_credentials(Some(Credentials::new("u", "p")));
        let r = registry();
        // The registry wants Basic.
        let mut ex = Exchange::new(
            &r,
            "",
            endpoint::api_version(&r).unwrap(),
            Replay::Idempotent,
            policy(),
            now,
        );
        send(ex.poll(&mut auth, now));
        ex.handle_response(
            &mut auth,
            &answer(401, &[("WWW-Authenticate", "Basic realm=x")]),
            None,
            now,
        )
        .unwrap();
        assert!(send(ex.poll(&mut auth, now)).request.headers().contains_key(AUTHORIZATION));
        // An upload location on another host gets nothing, and its 401 is not answered.
        let elsewhere = endpoint::upload_status(&r, "https://storage.example/up/1", false).unwrap();
        let mut ex = Exchange::new(&r, "", elsewhere, Replay::Idempotent, policy(), now);
        assert!(!send(ex.poll(&mut auth, now)).request.headers().contains_key(AUTHORIZATION));
        assert_eq!(
            ex.handle_response(
                &mut auth,
                &answer(401, &[("WWW-Authenticate", "Basic realm=x")]),
                None,
                now
            )
            .unwrap(),
            Disposition::Deliver
        );
    }
}
