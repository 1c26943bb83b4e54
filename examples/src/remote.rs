//! The remote commands: `oci inspect docker://REF`, `oci ls docker://HOST/REPO`,
//! `oci delete docker://REF` and `oci digest docker://REF`, with skopeo's output and the
//! same credentials, certificates and `--plain-http` as `oci copy`.

use std::io::{Read, Write};
use std::path::PathBuf;

use oci_distribution::auth::Credentials;
use oci_distribution::client::{Client, Repository};
use oci_distribution::endpoint::Deletion;
use oci_distribution::{ClientOptions, Reference, credentials};
use oci_image::content::Source;
use oci_image::{Document, ImageConfiguration, Platform};
use serde_json::json;

use crate::terminal::escape_display;
use crate::{Failure, print_json};

/// How to reach a registry: what every remote command takes.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RemoteFlags {
    /// Credentials for the registry, `USER:PASSWORD`.
    #[arg(long, value_name = "USER:PASSWORD")]
    pub creds: Option<String>,
    /// An auth file to take credentials from (default: `$REGISTRY_AUTH_FILE`,
    /// `$XDG_RUNTIME_DIR/containers/auth.json`, `$DOCKER_CONFIG/config.json` or
    /// `~/.docker/config.json`; credential helpers respected).
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
    /// A directory of extra CAs (`*.crt`) and a client certificate (`*.cert` + `*.key`)
    /// (default: `/etc/containers/certs.d/HOST[:PORT]`, `/etc/docker/certs.d/HOST[:PORT]`).
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Use HTTP, not HTTPS (for a registry on loopback).
    #[arg(long)]
    pub plain_http: bool,
}

/// A client for the registry of `reference`, set up as `oci copy` sets one up.
///
/// # Errors
/// Malformed credentials, an unreadable auth file or certificate directory.
pub fn client(
    reference: &Reference,
    creds: Option<&str>,
    authfile: Option<&PathBuf>,
    cert_dir: Option<&PathBuf>,
    plain_http: bool,
) -> Result<Client, Failure> {
    let credentials = match creds {
        Some(given) => {
            let (user, password) = given.split_once(':').ok_or("credentials are USER:PASSWORD")?;
            Some(Credentials::new(user, password))
        }
        None => credentials::find(
            reference.registry(),
            authfile.map(PathBuf::as_path),
            &credentials::Environment::current(),
        )?,
    };
    let mut options = ClientOptions::default().plain_http(plain_http).credentials(credentials);
    if !plain_http {
        options = options.trust(oci_distribution::tls::Trust::for_registry(
            reference.api_host(),
            cert_dir.map(PathBuf::as_path),
        )?);
    }
    Ok(Client::new(options))
}

/// Parses `HOST/REPO[:TAG|@DIGEST]` (what follows `docker://`); a malformed reference is
/// bad usage.
///
/// # Errors
/// [`Failure::Usage`] for a malformed reference.
pub fn parse(name: &str) -> Result<Reference, Failure> {
    name.parse().map_err(|e| {
        Failure::Usage(format!("{:?} is not an image reference: {e}", escape_display(&name)))
    })
}

fn open(name: &str, flags: &RemoteFlags) -> Result<(Repository, Reference), Failure> {
    let reference = parse(name)?;
    let client = client(
        &reference,
        flags.creds.as_deref(),
        flags.authfile.as_ref(),
        flags.cert_dir.as_ref(),
        flags.plain_http,
    )?;
    Ok((client.repository(&reference), reference))
}

/// `oci inspect docker://REF`: skopeo inspect's summary (`Name`, `Digest`, `RepoTags`,
/// `Created`, `DockerVersion`, `Labels`, `Architecture`, `Variant`, `Os`, `Layers`,
/// `LayersData`, `Env`), or with `raw` the manifest as the registry stores it, with
/// `config` the image configuration.
///
/// # Errors
/// The registry's errors, a manifest or configuration that does not parse.
pub fn inspect(
    name: &str,
    flags: &RemoteFlags,
    raw: bool,
    config: bool,
    platform: Option<&Platform>,
) -> Result<(), Failure> {
    let (repository, reference) = open(name, flags)?;
    let (descriptor, bytes) = repository.get_manifest(reference.tag_or_digest())?;
    if raw && !config {
        std::io::stdout().lock().write_all(&bytes)?;
        return Ok(());
    }
    // An index: the manifest for this machine (or --platform), as skopeo does.
    let mut manifest_descriptor = descriptor.clone();
    let mut manifest_bytes = bytes;
    if let Document::Index(index) = Document::parse(&descriptor.media_type, &manifest_bytes)? {
        let wanted = platform.cloned().unwrap_or_else(Platform::host);
        let chosen = index
            .manifests
            .iter()
            .find(|d| d.platform.as_ref().is_some_and(|p| p.matches(&wanted)))
            .ok_or_else(|| {
                format!("no manifest for platform {wanted} in {}", escape_display(&name))
            })?;
        let (d, b) = repository.get_manifest(chosen.digest.as_str())?;
        manifest_descriptor = d;
        manifest_bytes = b;
    }
    let Document::Manifest(manifest) =
        Document::parse(&manifest_descriptor.media_type, &manifest_bytes)?
    else {
        return Err("the index names another index".into());
    };
    let config_bytes =
        repository.fetch_bytes(&manifest.config, oci_image::content::DEFAULT_MAX_DOCUMENT_SIZE)?;
    if config {
        if raw {
            std::io::stdout().lock().write_all(&config_bytes)?;
            return Ok(());
        }
        let value: serde_json::Value = serde_json::from_slice(&config_bytes)?;
        return print_json(&value);
    }
    let image: Option<ImageConfiguration> = if manifest.config.media_type.is_config() {
        Some(oci_image::json::from_slice(&config_bytes)?)
    } else {
        None
    };
    let tags = repository.tags(None)?;
    let layers: Vec<&str> = manifest.layers.iter().map(|l| l.digest.as_str()).collect();
    let layers_data: Vec<serde_json::Value> = manifest
        .layers
        .iter()
        .map(|l| {
            json!({
                "MIMEType": l.media_type.as_str(),
                "Digest": l.digest.as_str(),
                "Size": l.size,
                "Annotations": if l.annotations.is_empty() { serde_json::Value::Null } else { json!(l.annotations) },
            })
        })
        .collect();
    let mut summary = json!({
        "Name": format!("{}/{}", reference.registry(), reference.repository()),
        "Digest": descriptor.digest.as_str(),
        "RepoTags": tags,
        "Created": image.as_ref().and_then(|i| i.created.clone()),
        "DockerVersion": "",
        "Labels": image.as_ref().map(|i| &i.config.labels).filter(|l| !l.is_empty()),
        "Architecture": image.as_ref().map(|i| i.architecture.to_string()).unwrap_or_default(),
        "Os": image.as_ref().map(|i| i.os.to_string()).unwrap_or_default(),
        "Layers": layers,
        "LayersData": layers_data,
        "Env": image.as_ref().map(|i| &i.config.env).filter(|e| !e.is_empty()),
    });
    if let Some(variant) = image.as_ref().and_then(|i| i.variant.clone())
        && let Some(object) = summary.as_object_mut()
    {
        object.insert("Variant".into(), json!(variant));
    }
    print_json(&summary)
}

/// `oci ls docker://HOST/REPO`: the repository's tags, one a line (`--json`: an array).
///
/// # Errors
/// The registry's errors.
pub fn ls(name: &str, flags: &RemoteFlags, json_output: bool) -> Result<(), Failure> {
    let (repository, _) = open(name, flags)?;
    let tags = repository.tags(Some(1000))?;
    if json_output {
        return print_json(&json!(tags));
    }
    let mut out = std::io::stdout().lock();
    for tag in tags {
        // Tags from the registry: escaped, whatever their bytes.
        writeln!(out, "{}", escape_display(&tag))?;
    }
    Ok(())
}

/// Arguments of `oci delete`.
#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// The image: `docker://HOST/REPO:TAG` or `@DIGEST`.
    pub image: String,
    /// How to reach the registry.
    #[command(flatten)]
    pub remote: RemoteFlags,
}

/// `oci delete docker://REF`: deletes the manifest a reference names (a tag is resolved to
/// its digest first, as skopeo does, so that registries that delete only by digest work).
///
/// # Errors
/// The registry's errors; registries without deletes answer 405.
pub fn delete(args: &DeleteArgs) -> Result<(), Failure> {
    let name = docker_name(&args.image)?;
    let (repository, reference) = open(name, &args.remote)?;
    let digest = match reference.digest() {
        Some(d) => d.clone(),
        None => repository.get_manifest(reference.tag_or_digest())?.0.digest,
    };
    repository.delete(Deletion::Manifest(digest.as_str()))?;
    Ok(())
}

/// Arguments of `oci digest`.
#[derive(Debug, clap::Args)]
pub struct DigestArgs {
    /// The image: `docker://HOST/REPO[:TAG|@DIGEST]`.
    pub image: String,
    /// How to reach the registry.
    #[command(flatten)]
    pub remote: RemoteFlags,
}

/// `oci digest docker://REF`: the digest of the manifest (or index) a reference names,
/// computed from its bytes.
///
/// # Errors
/// The registry's errors.
pub fn digest(args: &DigestArgs) -> Result<(), Failure> {
    let name = docker_name(&args.image)?;
    let (repository, reference) = open(name, &args.remote)?;
    let (descriptor, _) = repository.get_manifest(reference.tag_or_digest())?;
    println!("{}", descriptor.digest);
    Ok(())
}

/// The part after `docker://`; anything else is bad usage.
fn docker_name(image: &str) -> Result<&str, Failure> {
    image.strip_prefix("docker://").filter(|r| !r.is_empty()).ok_or_else(|| {
        Failure::Usage(format!(
            "{} is not a registry image: use docker://HOST/REPO[:TAG|@DIGEST]",
            escape_display(&image)
        ))
    })
}

/// Arguments of `oci login`.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// The registry: `HOST[:PORT]`.
    pub host: String,
    /// The user name.
    #[arg(long, short)]
    pub username: String,
    /// The password (prefer `--password-stdin`: a command line is visible to others).
    #[arg(long, short, conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the password from standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// The auth file to write (default: `$REGISTRY_AUTH_FILE`, else
    /// `$XDG_RUNTIME_DIR/containers/auth.json`, else Docker's `config.json`).
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
    /// Extra CAs and a client certificate for the registry (as for `oci copy`).
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Use HTTP, not HTTPS (for a registry on loopback).
    #[arg(long)]
    pub plain_http: bool,
}

/// `oci login HOST`: checks the credentials with the registry, then stores them in the
/// auth file (or its credential helper for that registry), like `skopeo login`.
///
/// # Errors
/// Credentials the registry refuses (nothing is stored then), an unwritable auth file.
pub fn login(args: &LoginArgs) -> Result<(), Failure> {
    let password = match (&args.password, args.password_stdin) {
        (Some(p), _) => p.clone(),
        (None, true) => {
            let mut line = String::new();
            std::io::Read::take(std::io::stdin().lock(), 64 << 10).read_to_string(&mut line)?;
            line.trim_end_matches(['\n', '\r']).to_owned()
        }
        (None, false) => {
            return Err(Failure::Usage("give the password with --password-stdin (or -p)".into()));
        }
    };
    let reference = parse(&format!("{}/login-check", args.host))?;
    let credentials = Credentials::new(args.username.clone(), password);
    let creds = format!("{}:{}", credentials.username, credentials.password);
    let client = client(&reference, Some(&creds), None, args.cert_dir.as_ref(), args.plain_http)?;
    client.ping(&client.registry(&reference))?;
    let environment = credentials::Environment::current();
    let file = credentials::login_file(args.authfile.as_deref(), &environment)
        .ok_or("no auth file to write: set $REGISTRY_AUTH_FILE or $HOME, or give --authfile")?;
    credentials::store(reference.registry(), &credentials, &file, &environment)?;
    eprintln!("Login Succeeded");
    Ok(())
}

/// Arguments of `oci logout`.
#[derive(Debug, clap::Args)]
pub struct LogoutArgs {
    /// The registry: `HOST[:PORT]`.
    pub host: String,
    /// The auth file (default: as `oci login`).
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
}

/// `oci logout HOST`: removes what `oci login` stored.
///
/// # Errors
/// An auth file that cannot be read or written; nothing stored for the registry.
pub fn logout(args: &LogoutArgs) -> Result<(), Failure> {
    let reference = parse(&format!("{}/logout", args.host))?;
    let environment = credentials::Environment::current();
    let file = credentials::login_file(args.authfile.as_deref(), &environment)
        .ok_or("no auth file: set $REGISTRY_AUTH_FILE or $HOME, or give --authfile")?;
    if !credentials::erase(reference.registry(), &file, &environment)? {
        return Err(format!("not logged in to {}", escape_display(&args.host)).into());
    }
    eprintln!("Removed login credentials for {}", escape_display(&args.host));
    Ok(())
}
