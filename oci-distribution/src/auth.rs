//! Authentication data: `WWW-Authenticate` challenges, token responses, scopes, and
//! credentials from a Docker `config.json`. What a client does with them is
//! [`crate::proto::Auth`]'s to decide.

use std::collections::BTreeMap;

use serde::Deserialize;

/// An authentication scheme a registry asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scheme {
    /// `Basic`: username and password on every request.
    Basic,
    /// `Bearer`: fetch a token from `realm`.
    Bearer,
    /// Any other scheme, kept verbatim.
    Other(String),
}

/// One challenge of a `WWW-Authenticate` header.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Challenge {
    /// The scheme.
    pub scheme: Scheme,
    /// The parameters (`realm`, `service`, `scope`, `error`, ...), names lower-cased.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// A parameter by (lower-case) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// Parses every challenge of a `WWW-Authenticate` header value (RFC 7235 § 4.1):
    /// `Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"`.
    /// Malformed parts end the parse; what came before is returned.
    pub fn parse_all(header: &str) -> Vec<Self> {
        let mut out: Vec<Self> = Vec::new();
        let b = header.as_bytes();
        let mut i = 0;
        let skip_ws = |i: &mut usize| {
            while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t' || b[*i] == b',') {
                *i += 1;
            }
        };
        let token = |i: &mut usize| {
            let start = *i;
            while *i < b.len() && !matches!(b[*i], b' ' | b'\t' | b',' | b'=' | b'"') {
                *i += 1;
            }
            &header[start..*i]
        };
        loop {
            skip_ws(&mut i);
            if i >= b.len() {
                return out;
            }
            let word = token(&mut i);
            if word.is_empty() {
                return out;
            }
            if i < b.len() && b[i] == b'=' {
                // A parameter of the current challenge.
                i += 1;
                let value = if b.get(i) == Some(&b'"') {
                    i += 1;
                    let mut v = String::new();
                    while i < b.len() && b[i] != b'"' {
                        if b[i] == b'\\' && i + 1 < b.len() {
                            i += 1;
                        }
                        let ch_len = header[i..].chars().next().map_or(1, char::len_utf8);
                        v.push_str(&header[i..i + ch_len]);
                        i += ch_len;
                    }
                    if i >= b.len() {
                        return out; // unterminated quote
                    }
                    i += 1;
                    v
                } else {
                    token(&mut i).to_owned()
                };
                let Some(current) = out.last_mut() else { return out };
                current.params.insert(word.to_ascii_lowercase(), value);
            } else {
                let scheme = match word.to_ascii_lowercase().as_str() {
                    "basic" => Scheme::Basic,
                    "bearer" => Scheme::Bearer,
                    _ => Scheme::Other(word.to_owned()),
                };
                out.push(Self { scheme, params: BTreeMap::new() });
            }
        }
    }
}

/// A token endpoint's answer (Docker token spec): `token` or `access_token`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The bearer token.
    #[serde(default)]
    pub token: Option<String>,
    /// The OAuth2 name of the same token.
    #[serde(default)]
    pub access_token: Option<String>,
    /// Seconds the token is valid (default 60).
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// When it was issued (RFC 3339).
    #[serde(default)]
    pub issued_at: Option<String>,
    /// A refresh token, if any.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

impl TokenResponse {
    /// The token to send: `token`, else `access_token`.
    pub fn bearer(&self) -> Option<&str> {
        self.token.as_deref().or(self.access_token.as_deref()).filter(|t| !t.is_empty())
    }

    /// Seconds the token stays valid: `expires_in`, or 60 as the token spec says.
    pub fn lifetime(&self) -> u64 {
        self.expires_in.filter(|&s| s > 0).unwrap_or(60)
    }
}

/// The token scope of a push to `repository`: pull and push there, and pull from the
/// repository blobs are mounted from, if any (one token serves the whole copy).
pub fn push_scope(repository: &str, mount_from: Option<&str>) -> String {
    let own = repository_scope(repository, &["pull", "push"]);
    match mount_from {
        Some(from) => format!("{own} {}", repository_scope(from, &["pull"])),
        None => own,
    }
}

/// A scope string for a repository: `repository:<name>:<actions>`.
///
/// ```
/// assert_eq!(oci_distribution::auth::repository_scope("library/nginx", &["pull", "push"]), "repository:library/nginx:pull,push");
/// ```
pub fn repository_scope(repository: &str, actions: &[&str]) -> String {
    format!("repository:{repository}:{}", actions.join(","))
}

/// A username and password, or an identity token, for a registry.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password, or the identity token.
    pub password: String,
    /// Whether `password` is an identity token: an OAuth2 refresh token (Docker's
    /// `identitytoken`) that is exchanged at the token service for access tokens, never
    /// sent as a password.
    pub identity_token: bool,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("identity_token", &self.identity_token)
            .finish()
    }
}

impl Credentials {
    /// A user name and password (or a registry token as the password).
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self { username: username.into(), password: password.into(), identity_token: false }
    }

    /// An identity token (an OAuth2 refresh token) for the registry's token service.
    pub fn identity_token(username: impl Into<String>, token: impl Into<String>) -> Self {
        Self { username: username.into(), password: token.into(), identity_token: true }
    }

    /// The `Authorization: Basic ...` value.
    pub fn basic_header(&self) -> String {
        let pair = format!("{}:{}", self.username, self.password);
        format!("Basic {}", oci_image::EmbeddedData::encode(pair.as_bytes()).as_str())
    }
}

/// Credentials for `registry` from the `auths` of a Docker `config.json` or a
/// containers `auth.json` (base64 `auth`, `username`/`password`, or `identitytoken`).
/// Credential helpers are [`crate::credentials`]'s to run.
///
/// # Errors
/// A [`serde_json::Error`] if the file does not parse.
pub fn credentials_from_docker_config(
    config: &[u8],
    registry: &str,
) -> Result<Option<Credentials>, serde_json::Error> {
    Ok(match crate::credentials::lookup(config, registry)? {
        Some(crate::credentials::Stored::Credentials(c)) => Some(c),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let all = Challenge::parse_all(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push", Basic realm="x y""#,
        );
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].scheme, Scheme::Bearer);
        assert_eq!(all[0].param("scope"), Some("repository:samalba/my-app:pull,push"));
        assert_eq!(all[1].scheme, Scheme::Basic);
        assert_eq!(all[1].param("realm"), Some("x y"));
        assert_eq!(Challenge::parse_all(r#"Bearer realm="unterminated"#).len(), 1);
        assert!(Challenge::parse_all("").is_empty());
        assert_eq!(
            Challenge::parse_all(
                r#"Bearer error="invalid_token", error_description="a \"quoted\" word""#
            )[0]
            .param("error_description"),
            Some(r#"a "quoted" word"#)
        );
    }

    #[test]
    fn token_responses() {
        let t: TokenResponse =
            serde_json::from_str(r#"{"access_token":"abc","expires_in":300}"#).unwrap();
        assert_eq!((t.bearer(), t.lifetime()), (Some("abc"), 300));
        assert_eq!(TokenResponse::default().lifetime(), 60);
    }

    #[test]
    fn docker_config() {
        let config = br#"{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"},"127.0.0.1:5000":{"username":"u","password":"p:w"}}}"#;
        let hub = credentials_from_docker_config(config, "docker.io").unwrap().unwrap();
        assert_eq!((hub.username.as_str(), hub.password.as_str()), ("user", "pass"));
        let local = credentials_from_docker_config(config, "127.0.0.1:5000").unwrap().unwrap();
        assert_eq!(local.password, "p:w");
        assert_eq!(local.basic_header(), "Basic dTpwOnc=");
        assert!(credentials_from_docker_config(config, "ghcr.io").unwrap().is_none());
        let token = br#"{"auths":{"reg.example":{"identitytoken":"refresh-me"}}}"#;
        let found = credentials_from_docker_config(token, "reg.example").unwrap().unwrap();
        assert!(found.identity_token);
        assert_eq!(found.password, "refresh-me");
        assert!(!format!("{local:?}").contains("p:w"));
    }
}
