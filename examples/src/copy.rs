//! `oci copy SRC DST`: copy an image between layouts, archives and registries, every blob
//! verified on the way.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read};
use std::path::PathBuf;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use oci_distribution::Reference;
use oci_distribution::auth::Credentials;
use oci_distribution::client::{Client, ClientOptions, Repository};
use oci_distribution::credentials;
use oci_image::content::{self, BlobReader, CopyOptions, PlatformSelection, Source, Target};
use oci_image::{Descriptor, MediaType, Platform};
use oci_layout::{Layout, archive};
use serde_json::json;

use crate::transport::Transport;
use crate::{Failure, inspect::only_tag, print_json};

/// Arguments of `oci copy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Source image.
    pub source: Transport,
    /// Destination.
    pub destination: Transport,
    /// Copy every platform of an index (default: only the best match for --platform or
    /// this machine, and the copy is that manifest).
    #[arg(long)]
    pub all_platforms: bool,
    /// Also copy the manifests that refer to the image (signatures, attestations, SBOMs:
    /// the referrers API, or the referrers tag schema's fallback tag), and theirs.
    #[arg(long)]
    pub referrers: bool,
    /// Leave digest checks of pushed blobs to the registry (it verifies them; sizes are
    /// still checked here): one hash less, for a registry you trust.
    #[arg(long)]
    pub no_push_digest_check: bool,
    /// A `registries.conf` with mirrors for the source (default:
    /// `$CONTAINERS_REGISTRIES_CONF`, else `/etc/containers/registries.conf` when present,
    /// and containerd's `/etc/containerd/certs.d/HOST/hosts.toml`).
    #[arg(long, value_name = "FILE")]
    pub registries_conf: Option<PathBuf>,
    /// The platform to pick from an index (`os/arch[/variant]`).
    #[arg(long)]
    pub platform: Option<Platform>,
    /// Use HTTP, not HTTPS, for registries (for a registry on loopback).
    #[arg(long)]
    pub plain_http: bool,
    /// Credentials for the source registry, `USER:PASSWORD`.
    #[arg(long, value_name = "USER:PASSWORD")]
    pub src_creds: Option<String>,
    /// Credentials for the destination registry, `USER:PASSWORD`.
    #[arg(long, value_name = "USER:PASSWORD")]
    pub dest_creds: Option<String>,
    /// A directory of extra CAs (`*.crt`) and a client certificate (`*.cert` with its
    /// `*.key`) for the source registry (default: `/etc/containers/certs.d/HOST[:PORT]`
    /// and `/etc/docker/certs.d/HOST[:PORT]`).
    #[arg(long, value_name = "DIR")]
    pub src_cert_dir: Option<PathBuf>,
    /// The same for the destination registry.
    #[arg(long, value_name = "DIR")]
    pub dest_cert_dir: Option<PathBuf>,
    /// An auth file to take registry credentials from (default: `$REGISTRY_AUTH_FILE`,
    /// `$XDG_RUNTIME_DIR/containers/auth.json`, `$DOCKER_CONFIG/config.json` or
    /// `~/.docker/config.json`, the first that exists; credential helpers respected).
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
    /// Blobs transferred at once (default: 4, or the number of CPUs if more).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Upload blobs larger than this in chunks of this many MiB (default: blobs over
    /// 8 MiB in chunks of 4 MiB).
    #[arg(long, value_name = "MIB")]
    pub chunk_mib: Option<u64>,
    /// No progress bars (they are drawn only on a terminal anyway).
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A layout to read from: the named one, or a temporary one an archive was unpacked into.
struct Opened {
    layout: Layout,
    reference: String,
    /// The tag a destination that names none gives the copy: the source's own name for
    /// the image, never the temporary layout's.
    tag: String,
    _temp: Option<tempfile::TempDir>,
}

/// The tag a copy out of an archive gets where the destination names none: the name the
/// image has in the archive (an `oci-archive` ref name, the `TAG` of a `docker-archive`
/// `NAME:TAG`), else `latest`. A digest or an index (`@N`) is no name.
fn archive_tag(name: Option<&str>, docker: bool) -> String {
    let tag = name.filter(|n| n.parse::<oci_image::Digest>().is_err()).map(|n| {
        if !docker {
            return n;
        }
        let last = n.rsplit('/').next().unwrap_or(n);
        last.rsplit_once(':').map_or("", |(_, tag)| tag)
    });
    tag.filter(|t| oci_image::annotations::is_valid_ref_name(t))
        .unwrap_or(oci_distribution::DEFAULT_TAG)
        .to_owned()
}

fn open_source(source: &Transport) -> Result<Opened, Failure> {
    match source {
        Transport::Oci { path, reference } => {
            let layout = Layout::open(path)?;
            let reference = match reference {
                Some(r) => r.clone(),
                None => only_tag(&layout)?,
            };
            Ok(Opened { layout, tag: reference.clone(), reference, _temp: None })
        }
        Transport::OciArchive { path, reference } => {
            let temp = tempfile::tempdir()?;
            let layout = Layout::create(temp.path())?;
            let file =
                File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            archive::import_oci(
                std::io::BufReader::new(file),
                &layout,
                reference.as_deref(),
                "source",
            )?;
            let tag = archive_tag(reference.as_deref(), false);
            Ok(Opened { layout, reference: "source".into(), tag, _temp: Some(temp) })
        }
        Transport::DockerArchive { path, name } => {
            let temp = tempfile::tempdir()?;
            let layout = Layout::create(temp.path())?;
            let file =
                File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
            let reader = std::io::BufReader::new(file);
            archive::import_docker(reader, &layout, name.as_deref(), "source")?;
            let tag = archive_tag(name.as_deref(), true);
            Ok(Opened { layout, reference: "source".into(), tag, _temp: Some(temp) })
        }
        Transport::Docker { .. } => Err("a registry source is opened by `remote`".into()),
    }
}

/// The credentials for `registry`: those given on the command line, else those the
/// container tools would use (`--authfile`, `$REGISTRY_AUTH_FILE`,
/// `$XDG_RUNTIME_DIR/containers/auth.json`, `$DOCKER_CONFIG/config.json` or
/// `~/.docker/config.json`, with their credential helpers).
fn credentials(
    given: Option<&str>,
    authfile: Option<&PathBuf>,
    registry: &str,
) -> Result<Option<Credentials>, Failure> {
    if let Some(given) = given {
        let (user, password) = given.split_once(':').ok_or("credentials are USER:PASSWORD")?;
        return Ok(Some(Credentials::new(user, password)));
    }
    let environment = credentials::Environment::current();
    Ok(credentials::find(registry, authfile.map(PathBuf::as_path), &environment)?)
}

/// A registry repository and the reference named in it.
fn remote(
    args: &Args,
    name: &str,
    creds: Option<&str>,
    cert_dir: Option<&PathBuf>,
) -> Result<(Repository, Reference), Failure> {
    let reference = crate::remote::parse(name)?;
    let repository = repository(args, &reference, creds, cert_dir, args.plain_http)?;
    Ok((repository, reference))
}

/// The source repository of a pull: the first mirror (from `registries.conf` or
/// containerd's `hosts.toml`) that has the image, else the registry itself.
fn pull_source(args: &Args, name: &str) -> Result<(Repository, Reference), Failure> {
    let reference = crate::remote::parse(name)?;
    let mirrors = oci_distribution::mirrors::Mirrors::load(args.registries_conf.as_deref())?;
    let endpoints = mirrors.endpoints(&reference)?;
    let (creds, cert_dir) = (args.src_creds.as_deref(), args.src_cert_dir.as_ref());
    let mut last = None;
    for endpoint in &endpoints.pull {
        let plain_http = args.plain_http || endpoint.insecure;
        let repository = repository(args, &endpoint.reference, creds, cert_dir, plain_http)?;
        if !endpoint.mirror {
            last = Some(repository);
            break;
        }
        match content::Source::resolve(&repository, endpoint.reference.tag_or_digest()) {
            Ok(_) => {
                if !args.quiet {
                    eprintln!(
                        "pulling from the mirror {}",
                        crate::terminal::escape_display(&endpoint.reference)
                    );
                }
                return Ok((repository, reference));
            }
            Err(e) => {
                if !args.quiet {
                    eprintln!(
                        "the mirror {} failed ({}), trying the next",
                        crate::terminal::escape_display(&endpoint.reference),
                        crate::terminal::escape_display(&e)
                    );
                }
            }
        }
    }
    let repository = match last {
        Some(r) => r,
        None => repository(args, &reference, creds, cert_dir, args.plain_http)?,
    };
    Ok((repository, reference))
}

/// A client for `reference`'s registry, as `oci copy` sets it up, and the repository.
fn repository(
    args: &Args,
    reference: &Reference,
    creds: Option<&str>,
    cert_dir: Option<&PathBuf>,
    plain_http: bool,
) -> Result<Repository, Failure> {
    let mut options = ClientOptions::default()
        .plain_http(plain_http)
        .verify_pushes(!args.no_push_digest_check)
        .credentials(credentials(creds, args.authfile.as_ref(), reference.registry())?);
    if !plain_http {
        let host = reference.api_host();
        options = options.trust(oci_distribution::tls::Trust::for_registry(
            host,
            cert_dir.map(PathBuf::as_path),
        )?);
    }
    if let Some(mib) = args.chunk_mib {
        options = options.chunk_size(mib.max(1) << 20);
    }
    Ok(Client::new(options).repository(reference))
}

/// Runs `oci copy`.
///
/// # Errors
/// Whatever fails: opening, verification, writing, the registry.
pub fn run(args: &Args) -> Result<(), Failure> {
    let mut options = CopyOptions::default();
    options.referrers = args.referrers;
    if !args.all_platforms {
        options.platforms =
            PlatformSelection::One(args.platform.clone().unwrap_or_else(Platform::host));
    }
    let touches_registry = matches!(args.source, Transport::Docker { .. })
        || matches!(args.destination, Transport::Docker { .. });
    options.concurrency = args.jobs.unwrap_or(if touches_registry {
        options.concurrency.max(4)
    } else {
        options.concurrency
    });
    let progress = Progress::new(args.quiet);
    let (descriptor, stats) = match &args.source {
        Transport::Docker { reference } => {
            let (repository, reference) = pull_source(args, reference)?;
            let source = Watched { inner: &repository, progress: &progress };
            let tag = reference.tag_or_digest().to_owned();
            let same_registry = match &args.destination {
                Transport::Docker { reference: to } => to
                    .parse::<Reference>()
                    .ok()
                    .filter(|to| to.registry() == reference.registry())
                    .map(|_| reference.repository().to_owned()),
                _ => None,
            };
            copy_to(args, &source, &tag, default_tag(&reference), same_registry, &options)?
        }
        _ => {
            let opened = open_source(&args.source)?;
            let source = Watched { inner: &opened.layout, progress: &progress };
            copy_to(args, &source, &opened.reference, opened.tag.clone(), None, &options)?
        }
    };
    progress.clear();
    if args.json {
        return print_json(&json!({
            "digest": descriptor.digest.as_str(), "mediaType": descriptor.media_type.as_str(), "size": descriptor.size,
            "blobsCopied": stats.blobs_copied, "bytesCopied": stats.bytes_copied, "blobsSkipped": stats.blobs_skipped,
        }));
    }
    eprintln!(
        "copied {} ({} blobs, {} bytes; {} already present)",
        descriptor.digest, stats.blobs_copied, stats.bytes_copied, stats.blobs_skipped
    );
    Ok(())
}

/// The tag a copy gets where the destination names none: the source's tag, else `latest`.
fn default_tag(reference: &Reference) -> String {
    reference.tag().unwrap_or(oci_distribution::DEFAULT_TAG).to_owned()
}

/// Copies `reference` of `source` to the destination of `args`; `source_tag` names it
/// there when the destination names nothing; `mount_from` is the source repository when
/// both are on one registry.
fn copy_to<S: Source + Sync>(
    args: &Args,
    source: &S,
    reference: &str,
    source_tag: String,
    mount_from: Option<String>,
    options: &CopyOptions,
) -> Result<(Descriptor, content::CopyStats), Failure> {
    match &args.destination {
        Transport::Oci { path, reference: tag } => {
            // A failed copy to a new destination leaves nothing behind.
            let target = Layout::create_pending(path)?;
            let tag = tag.as_deref().unwrap_or(&source_tag);
            let copied = copy_into(source, reference, &*target, tag, options)?;
            target.keep();
            Ok(copied)
        }
        Transport::OciArchive { path, reference: tag } => {
            let temp = tempfile::tempdir()?;
            let staging = Layout::create(temp.path())?;
            let result = copy_into(source, reference, &staging, "staged", options)?;
            let tag = tag.clone().unwrap_or(source_tag);
            write_archive(path, |out| {
                archive::export_oci(&staging, "staged", &tag, out).map(drop)
            })?;
            Ok(result)
        }
        Transport::DockerArchive { path, name } => {
            let temp = tempfile::tempdir()?;
            let staging = Layout::create(temp.path())?;
            let result = copy_into(source, reference, &staging, "staged", options)?;
            write_archive(path, |out| {
                archive::export_docker(&staging, "staged", name.as_deref(), out).map(drop)
            })?;
            Ok(result)
        }
        Transport::Docker { reference: name } => {
            let (mut target, to) =
                remote(args, name, args.dest_creds.as_deref(), args.dest_cert_dir.as_ref())?;
            if let Some(from) = mount_from.filter(|f| f != to.repository()) {
                target = target.mount_from(&from);
            }
            let tag = match (to.tag(), to.digest()) {
                (Some(t), _) => t.to_owned(),
                (None, Some(d)) => d.to_string(),
                (None, None) => source_tag,
            };
            copy_into(source, reference, &target, &tag, options)
        }
    }
}

fn copy_into<S: Source + Sync, T: Target + Sync>(
    source: &S,
    reference: &str,
    target: &T,
    tag: &str,
    options: &CopyOptions,
) -> Result<(Descriptor, content::CopyStats), Failure> {
    let mut root = source.resolve(reference)?;
    if let PlatformSelection::One(platform) = &options.platforms {
        root = content::select_platform(source, root, platform, options.max_document_size)?;
    }
    let stats = content::copy_graph(source, target, &root, options)?;
    target.tag(&root, tag)?;
    Ok((root, stats))
}

/// Progress bars, one per blob in flight, drawn on stderr when it is a terminal.
struct Progress {
    bars: Option<MultiProgress>,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        let show = !quiet && std::io::stderr().is_terminal();
        Self { bars: show.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())) }
    }

    fn bar(&self, descriptor: &Descriptor) -> Option<ProgressBar> {
        let bars = self.bars.as_ref()?;
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}",
        )
        .ok()?
        .progress_chars("=> ");
        let bar = bars.add(ProgressBar::new(descriptor.size).with_style(style));
        bar.set_prefix(descriptor.digest.encoded().chars().take(12).collect::<String>());
        bar.enable_steady_tick(Duration::from_millis(200));
        Some(bar)
    }

    fn clear(&self) {
        if let Some(bars) = &self.bars {
            let _ = bars.clear();
        }
    }
}

/// A source whose blob streams advance a progress bar.
struct Watched<'a, S> {
    inner: &'a S,
    progress: &'a Progress,
}

struct Counted<'a> {
    inner: BlobReader<'a>,
    bar: ProgressBar,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        if n == 0 {
            self.bar.finish_and_clear();
        }
        Ok(n)
    }
}

impl<S> Watched<'_, S> {
    /// `reader` advancing a bar of its own, for blobs (documents are small and many).
    fn watch<'r>(&self, descriptor: &Descriptor, reader: BlobReader<'r>) -> BlobReader<'r> {
        if descriptor.media_type.is_document() {
            return reader;
        }
        match self.progress.bar(descriptor) {
            Some(bar) => Box::new(Counted { inner: reader, bar }),
            None => reader,
        }
    }
}

impl<S: Source> Source for Watched<'_, S> {
    fn fetch(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, content::Error> {
        Ok(self.watch(descriptor, self.inner.fetch(descriptor)?))
    }
    fn fetch_unverified(&self, descriptor: &Descriptor) -> Result<BlobReader<'_>, content::Error> {
        Ok(self.watch(descriptor, self.inner.fetch_unverified(descriptor)?))
    }
    fn resolve(&self, reference: &str) -> Result<Descriptor, content::Error> {
        self.inner.resolve(reference)
    }
    fn referrers(
        &self,
        subject: &Descriptor,
        artifact_type: Option<&MediaType>,
    ) -> Result<Vec<Descriptor>, content::Error> {
        self.inner.referrers(subject, artifact_type)
    }
}

/// Writes an archive to a temporary file beside `path` and renames it into place, so a
/// failure leaves no half-written archive under the name.
fn write_archive(
    path: &std::path::Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), oci_layout::Error>,
) -> Result<(), Failure> {
    let dir =
        path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let temp = tempfile::NamedTempFile::new_in(dir)?;
    let mut out = BufWriter::new(temp.reopen()?);
    write(&mut out)?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
