//! Applying layers: every entry type, whiteouts, and the attacks of the module's
//! `# Security` section. Each hostile test keeps a sentinel directory beside the root and
//! checks it is unchanged.

use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use oci_image::{Descriptor, Digest, MediaType};
use oci_layout::layer::{self, ApplyOptions, LayerError};

/// A tar entry built byte by byte, so hostile names and fields can be written.
pub(crate) struct Raw<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) kind: u8,
    pub(crate) link: &'a [u8],
    pub(crate) data: &'a [u8],
    pub(crate) mode: u32,
    pub(crate) uid: u32,
    pub(crate) size_field: Option<u64>,
}

pub(crate) fn raw(name: &[u8], kind: u8) -> Raw<'_> {
    Raw {
        name,
        kind,
        link: b"",
        data: b"",
        mode: if kind == b'5' { 0o755 } else { 0o644 },
        uid: 0,
        size_field: None,
    }
}

fn octal(field: &mut [u8], value: u64) {
    let s = format!("{:0width$o}\0", value, width = field.len() - 1);
    field.copy_from_slice(s.as_bytes());
}

pub(crate) fn header(e: &Raw<'_>) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..e.name.len()].copy_from_slice(e.name);
    octal(&mut h[100..108], u64::from(e.mode));
    octal(&mut h[108..116], u64::from(e.uid));
    octal(&mut h[116..124], u64::from(e.uid));
    octal(&mut h[124..136], e.size_field.unwrap_or(e.data.len() as u64));
    octal(&mut h[136..148], 1_700_000_000);
    h[156] = e.kind;
    h[157..157 + e.link.len()].copy_from_slice(e.link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    octal(&mut h[148..155], u64::from(sum));
    h[155] = b' ';
    h
}

pub(crate) fn tar(entries: &[Raw<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&header(e));
        out.extend_from_slice(e.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// A root and a sentinel beside it.
pub(crate) struct Scene {
    _dir: tempfile::TempDir,
    root: PathBuf,
    sentinel: PathBuf,
    before: Vec<String>,
}

fn snapshot(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        let m = std::fs::symlink_metadata(&entry).unwrap();
        let content = if m.is_file() { std::fs::read(&entry).unwrap() } else { Vec::new() };
        out.push(format!(
            "{} {:o} {} {} {:?}",
            entry.display(),
            m.mode(),
            m.uid(),
            m.nlink(),
            content
        ));
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_owned()];
    if std::fs::symlink_metadata(dir).unwrap().is_dir() {
        let mut children: Vec<_> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        children.sort();
        for c in children {
            out.extend(walk(&c));
        }
    }
    out
}

impl Scene {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let sentinel = dir.path().join("sentinel");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(sentinel.join("dir")).unwrap();
        std::fs::write(sentinel.join("file"), b"keep").unwrap();
        std::fs::write(sentinel.join("dir/inner"), b"keep too").unwrap();
        let before = snapshot(&sentinel);
        Self { _dir: dir, root, sentinel, before }
    }

    fn apply_with(
        &self,
        tar: &[u8],
        options: &ApplyOptions,
    ) -> Result<layer::ApplyReport, LayerError> {
        let d = Descriptor::for_bytes(MediaType::ImageLayer, tar);
        let r = layer::apply(&self.root, tar, &d, &Digest::sha256(tar), options);
        assert_eq!(snapshot(&self.sentinel), self.before, "the sentinel beside the root changed");
        r
    }

    /// Applies with the default options, rootless when the tests do not run as root (as
    /// the suite does under [`issue17_hostile_suite_passes_as_nobody`]).
    pub(crate) fn apply(&self, tar: &[u8]) -> Result<layer::ApplyReport, LayerError> {
        self.apply_with(tar, &defaults())
    }

    fn sentinel_bytes(&self) -> &[u8] {
        self.sentinel.as_os_str().as_encoded_bytes()
    }
}

/// The default options, rootless when the tests do not run as root: the whole suite
/// passes as an unprivileged user too (see [`issue17_hostile_suite_passes_as_nobody`]).
fn defaults() -> ApplyOptions {
    let mut options = ApplyOptions::default();
    options.rootless = !is_root();
    options
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn every_entry_type() {
    let s = Scene::new();
    let mut setuid = raw(b"bin/tool", b'0');
    setuid.data = b"#!/bin/sh\n";
    setuid.mode = 0o4755;
    setuid.uid = 1234;
    let mut sticky = raw(b"tmp/", b'5');
    sticky.mode = 0o1777;
    let mut link = raw(b"bin/link", b'2');
    link.link = b"../../../tool target kept verbatim";
    let mut hard = raw(b"bin/hard", b'1');
    hard.link = b"bin/tool";
    let long_name = format!("deep/{}/file", "x".repeat(200));
    let fifo = raw(b"run/fifo", b'6');
    let mut entries = vec![raw(b"bin/", b'5'), setuid, sticky, link, hard, fifo];
    let mut bytes = tar(&entries);
    // A GNU long name for the last entry, through the tar crate.
    let mut b = ::tar::Builder::new(Vec::new());
    let mut h = ::tar::Header::new_gnu();
    h.set_size(4);
    h.set_mode(0o600);
    h.set_cksum();
    b.append_data(&mut h, &long_name, &b"long"[..]).unwrap();
    let long_tar = b.into_inner().unwrap();
    bytes.truncate(bytes.len() - 1024);
    bytes.extend_from_slice(&long_tar);
    entries.clear();

    let report = s.apply(&bytes).unwrap();
    assert_eq!(report.files, 2);
    let tool = std::fs::symlink_metadata(s.root.join("bin/tool")).unwrap();
    assert_eq!(tool.permissions().mode() & 0o7777, 0o4755, "setuid kept after chown");
    if is_root() {
        assert_eq!(tool.uid(), 1234);
    }
    assert_eq!(tool.nlink(), 2, "hard link shares the inode");
    assert_eq!(
        std::fs::read_link(s.root.join("bin/link")).unwrap().as_os_str().as_encoded_bytes(),
        b"../../../tool target kept verbatim"
    );
    assert_eq!(
        std::fs::symlink_metadata(s.root.join("tmp")).unwrap().permissions().mode() & 0o7777,
        0o1777
    );
    assert!(std::fs::symlink_metadata(s.root.join("run/fifo")).unwrap().file_type().is_fifo());
    assert_eq!(std::fs::read(s.root.join(&long_name)).unwrap(), b"long");
    // Directory times are set after their children are written.
    assert_eq!(std::fs::metadata(s.root.join("bin")).unwrap().mtime(), 1_700_000_000);
}

#[test]
fn devices_privileged_and_rootless() {
    let mut dev = raw(b"dev/null", b'3');
    dev.mode = 0o666;
    let mut h = header(&dev);
    // major 1, minor 3
    h[329..337].copy_from_slice(b"0000001\0");
    h[337..345].copy_from_slice(b"0000003\0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut bytes = h.to_vec();
    bytes.resize(bytes.len() + 1024, 0);

    let s = Scene::new();
    let mut rootless = defaults();
    rootless.rootless = true;
    if is_root() {
        s.apply(&bytes).unwrap();
        let m = std::fs::symlink_metadata(s.root.join("dev/null")).unwrap();
        assert!(m.file_type().is_char_device());
        assert_eq!(m.rdev(), rustix::fs::makedev(1, 3));
    }
    // Rootless on a root that cannot make devices: emulate by dropping privilege is not
    // possible in-process, so check the rootless path only where mknod fails.
    let s = Scene::new();
    let report = s.apply_with(&bytes, &rootless);
    if !is_root() {
        let report = report.unwrap();
        assert!(report.skipped.iter().any(|m| m.contains("device replaced")));
        assert!(std::fs::symlink_metadata(s.root.join("dev/null")).unwrap().is_file());
    } else {
        report.unwrap();
    }
}

#[test]
fn dot_dot_names_are_refused_and_absolute_names_stay_inside() {
    let s = Scene::new();
    let mut up = raw(b"../sentinel/file", b'0');
    up.data = b"pwned";
    assert!(matches!(s.apply(&tar(&[up])), Err(LayerError::UnsafePath(_))));
    let mut deep = raw(b"a/b/../../../sentinel/file", b'0');
    deep.data = b"pwned";
    assert!(matches!(s.apply(&tar(&[deep])), Err(LayerError::UnsafePath(_))));

    let sentinel_file = [s.sentinel_bytes(), b"/file"].concat();
    let mut abs = raw(&sentinel_file, b'0');
    abs.data = b"inside";
    s.apply(&tar(&[abs])).unwrap();
    let inside = s.root.join(s.sentinel.strip_prefix("/").unwrap()).join("file");
    assert_eq!(std::fs::read(inside).unwrap(), b"inside");
}

#[test]
fn symlink_escapes_in_one_layer() {
    let s = Scene::new();
    let mut to_root = raw(b"escape", b'2');
    to_root.link = b"../../../../../../";
    let mut through = raw(b"escape/written", b'0');
    through.data = b"x";
    s.apply(&tar(&[to_root, through])).unwrap();
    assert_eq!(std::fs::read(s.root.join("written")).unwrap(), b"x", "resolved as if chrooted");

    let s = Scene::new();
    let sentinel = s.sentinel_bytes().to_vec();
    let mut abs = raw(b"abs", b'2');
    abs.link = &sentinel;
    let mut through = raw(b"abs/file", b'0');
    through.data = b"pwned";
    // The link leads to <root><sentinel path>, which does not exist: refused, not created
    // on the host.
    assert!(s.apply(&tar(&[abs, through])).is_err());
}

#[test]
fn symlink_escapes_across_layers() {
    let s = Scene::new();
    let sentinel = s.sentinel_bytes().to_vec();
    let mut link = raw(b"evil", b'2');
    link.link = &sentinel;
    s.apply(&tar(&[link])).unwrap();
    // Second layer: write, chmod and whiteout through the planted link.
    let mut write = raw(b"evil/file", b'0');
    write.data = b"pwned";
    assert!(s.apply(&tar(&[write])).is_err());
    let mut relative = raw(b"rel", b'2');
    relative.link = b"../sentinel";
    s.apply(&tar(&[relative])).unwrap();
    let mut write = raw(b"rel/file", b'0');
    write.data = b"pwned";
    assert!(s.apply(&tar(&[write])).is_err());
    assert!(s.apply(&tar(&[raw(b"evil/.wh.file", b'0'), raw(b"rel/.wh.dir", b'0')])).is_ok());
    // Replacing the link itself by a file changes the link, not its target.
    let mut over = raw(b"evil", b'0');
    over.data = b"new inode";
    over.mode = 0o777;
    s.apply(&tar(&[over])).unwrap();
    assert_eq!(std::fs::read(s.root.join("evil")).unwrap(), b"new inode");
}

#[test]
fn hardlink_escapes() {
    let s = Scene::new();
    let target = [s.sentinel_bytes(), b"/file"].concat();
    let mut abs = raw(b"h", b'1');
    abs.link = &target;
    assert!(
        s.apply(&tar(&[abs])).is_err(),
        "a host path resolves inside the root, where it is missing"
    );
    let mut up = raw(b"h", b'1');
    up.link = b"../sentinel/file";
    assert!(matches!(s.apply(&tar(&[up])), Err(LayerError::UnsafePath(_))));
    let sentinel = s.sentinel_bytes().to_vec();
    let mut link = raw(b"l", b'2');
    link.link = &sentinel;
    let mut via = raw(b"h", b'1');
    via.link = b"l/file";
    assert!(s.apply(&tar(&[link, via])).is_err());
}

#[test]
fn root_is_never_retyped_and_dirs_replaced_by_links_resolve_inside() {
    let s = Scene::new();
    let sentinel = s.sentinel_bytes().to_vec();
    let mut dot = raw(b"./", b'2');
    dot.link = &sentinel;
    let mut file = raw(b"after", b'0');
    file.data = b"ok";
    s.apply(&tar(&[dot, file])).unwrap();
    assert!(std::fs::symlink_metadata(&s.root).unwrap().is_dir());
    assert_eq!(std::fs::read(s.root.join("after")).unwrap(), b"ok");

    let s = Scene::new();
    let mut d = raw(b"d/", b'5');
    d.mode = 0o755;
    let mut link = raw(b"d", b'2');
    link.link = b"/";
    let mut x = raw(b"d/x", b'0');
    x.data = b"x";
    s.apply(&tar(&[d, link, x])).unwrap();
    assert_eq!(std::fs::read(s.root.join("x")).unwrap(), b"x");
}

#[test]
fn duplicates_last_one_wins() {
    let s = Scene::new();
    let mut a1 = raw(b"a", b'0');
    a1.data = b"first";
    let mut a2 = raw(b"a", b'0');
    a2.data = b"second";
    let dir = raw(b"b/", b'5');
    let mut b_file = raw(b"b/inner", b'0');
    b_file.data = b"x";
    let mut b_over = raw(b"b", b'0');
    b_over.data = b"file now";
    s.apply(&tar(&[a1, a2, dir, b_file, b_over])).unwrap();
    assert_eq!(std::fs::read(s.root.join("a")).unwrap(), b"second");
    assert_eq!(std::fs::read(s.root.join("b")).unwrap(), b"file now");
}

#[test]
fn whiteouts() {
    let s = Scene::new();
    let mut lower = Vec::new();
    for name in [&b"a/b"[..], b"a/c", b"d/e", b"d/sub/f", b"gone/g"] {
        let mut e = raw(name, b'0');
        e.data = b"lower";
        lower.push(e);
    }
    s.apply(&tar(&lower)).unwrap();
    // Upper: new content first, whiteouts after, in the order that would break a naive
    // applier.
    let mut new = raw(b"d/new", b'0');
    new.data = b"upper";
    let mut regone = raw(b"gone/again", b'0');
    regone.data = b"upper";
    s.apply(&tar(&[
        new,
        regone,
        raw(b"a/.wh.b", b'0'),
        raw(b"d/.wh..wh..opq", b'0'),
        raw(b".wh.gone", b'0'),
    ]))
    .unwrap();
    assert!(!s.root.join("a/b").exists());
    assert!(s.root.join("a/c").exists());
    assert!(!s.root.join("d/e").exists());
    assert!(!s.root.join("d/sub").exists());
    assert_eq!(std::fs::read(s.root.join("d/new")).unwrap(), b"upper");
    assert!(!s.root.join("gone/g").exists());
    assert_eq!(std::fs::read(s.root.join("gone/again")).unwrap(), b"upper");

    for bad in [&b"x/.wh."[..], b"x/.wh..", b"x/.wh...", b"x/.wh..wh.foo"] {
        assert!(
            matches!(s.apply(&tar(&[raw(bad, b'0')])), Err(LayerError::UnsafePath(_))),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

/// Many whiteouts of trees and files: nested ones, ones in directories the layer adds to,
/// one through a link to outside the root, and a deep tree.
#[test]
fn many_whiteouts_of_trees_and_files() {
    let s = Scene::new();
    let sentinel = s.sentinel_bytes().to_vec();
    let names: Vec<String> = (0..40)
        .flat_map(|t| [format!("t{t:02}/f"), format!("t{t:02}/a/b/c/f"), format!("t{t:02}/a/g")])
        .chain((0..30).map(|f| format!("keep/f{f:02}")))
        .collect();
    let mut lower: Vec<Raw<'_>> = names
        .iter()
        .map(|n| {
            let mut e = raw(n.as_bytes(), b'0');
            e.data = b"lower";
            e
        })
        .collect();
    let mut out = raw(b"out", b'2');
    out.link = &sentinel;
    lower.push(out);
    s.apply(&tar(&lower)).unwrap();
    // A tree 300 directories deep, under a long name.
    let deep = format!("deep/{}f", "d/".repeat(300));
    let mut b = ::tar::Builder::new(Vec::new());
    let mut h = ::tar::Header::new_gnu();
    h.set_size(5);
    h.set_mode(0o644);
    b.append_data(&mut h, &deep, &b"lower"[..]).unwrap();
    s.apply(&b.into_inner().unwrap()).unwrap();
    assert!(s.root.join(&deep).is_file());

    let mut added = raw(b"t05/added", b'0');
    added.data = b"upper";
    let mut new = raw(b"keep/new", b'0');
    new.data = b"upper";
    let mut upper = vec![added, new];
    let whiteouts: Vec<String> = (0..40)
        .flat_map(|t| [format!("t{t:02}/a/.wh.b"), format!(".wh.t{t:02}")])
        .chain((0..30).filter(|f| f % 3 != 0).map(|f| format!("keep/.wh.f{f:02}")))
        .chain(
            ["keep/.wh.new", ".wh.deep", ".wh.absent", "out/.wh.file", "out/.wh.dir"]
                .map(String::from),
        )
        .collect();
    upper.extend(whiteouts.iter().map(|w| raw(w.as_bytes(), b'0')));
    let report = s.apply(&tar(&upper)).unwrap();
    assert_eq!(report.whiteouts, whiteouts.len() as u64);

    for t in 0..40 {
        let dir = s.root.join(format!("t{t:02}"));
        if t == 5 {
            // Whited out, but the layer adds to it: only what the layer added is left.
            let left: Vec<_> =
                std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(left, ["added"]);
        } else {
            assert!(!dir.exists(), "{}", dir.display());
        }
    }
    let mut left: Vec<_> = std::fs::read_dir(s.root.join("keep"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    let mut expected: Vec<String> =
        (0..30).filter(|f| f % 3 == 0).map(|f| format!("f{f:02}")).collect();
    expected.push("new".into());
    assert_eq!(left, expected);
    assert!(!s.root.join("deep").exists());
}

/// Whiteouts apply in archive order, each path resolved after the removals before it,
/// although trees are emptied by another thread: a path through a link or a directory that
/// an earlier whiteout removed reaches nothing, one through a link removed later still
/// reaches its target. Twenty times, so that a race would show.
#[test]
fn whiteouts_resolve_in_archive_order() {
    for _ in 0..20 {
        let s = Scene::new();
        let mut lower = Vec::new();
        for name in ["d/x", "e/z", "f/y"] {
            let mut e = raw(name.as_bytes(), b'0');
            e.data = b"lower";
            lower.push(e);
        }
        for (name, target) in [("l", "d"), ("t/s", "../e"), ("m", "f")] {
            let mut e = raw(name.as_bytes(), b'2');
            e.link = target.as_bytes();
            lower.push(e);
        }
        let filler: Vec<String> = (0..30).map(|i| format!("t/{i}/f")).collect();
        for name in &filler {
            let mut e = raw(name.as_bytes(), b'0');
            e.data = b"lower";
            lower.push(e);
        }
        s.apply(&tar(&lower)).unwrap();
        s.apply(&tar(&[
            // The link first: `l/x` then leads nowhere, and d/x stays.
            raw(b".wh.l", b'0'),
            raw(b"l/.wh.x", b'0'),
            // A tree with a link inside, first: `t/s/z` then leads nowhere, and e/z stays.
            raw(b".wh.t", b'0'),
            raw(b"t/s/.wh.z", b'0'),
            // Through the link before it goes: f/y is removed.
            raw(b"m/.wh.y", b'0'),
            raw(b".wh.m", b'0'),
        ]))
        .unwrap();
        assert!(s.root.join("d/x").exists());
        assert!(s.root.join("e/z").exists());
        assert!(!s.root.join("f/y").exists());
        for gone in ["l", "t", "m"] {
            assert!(std::fs::symlink_metadata(s.root.join(gone)).is_err(), "{gone}");
        }
        let left: Vec<_> =
            std::fs::read_dir(&s.root).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 3, "{left:?}");
    }
}

#[test]
fn whiteouts_through_symlinked_parents_stay_inside() {
    let s = Scene::new();
    let sentinel = s.sentinel_bytes().to_vec();
    let mut link = raw(b"s", b'2');
    link.link = &sentinel;
    s.apply(&tar(&[link])).unwrap();
    s.apply(&tar(&[raw(b"s/.wh.file", b'0'), raw(b"s/.wh..wh..opq", b'0')])).unwrap();
    let mut up = raw(b"u", b'2');
    up.link = b"../sentinel";
    s.apply(&tar(&[up])).unwrap();
    s.apply(&tar(&[raw(b"u/.wh.file", b'0')])).unwrap();
}

#[test]
fn privileged_xattrs() {
    let mut b = ::tar::Builder::new(Vec::new());
    let mut h = ::tar::Header::new_ustar();
    h.set_size(1);
    h.set_mode(0o755);
    h.set_cksum();
    b.append_pax_extensions([
        ("SCHILY.xattr.trusted.test", &b"t"[..]),
        ("SCHILY.xattr.user.test", &b"u"[..]),
    ])
    .unwrap();
    b.append_data(&mut h, "f", &b"x"[..]).unwrap();
    let bytes = b.into_inner().unwrap();
    let s = Scene::new();
    let mut rootless = defaults();
    rootless.rootless = true;
    let report = s.apply_with(&bytes, &rootless).unwrap();
    assert!(
        report.skipped.iter().any(|m| m.contains("trusted.test") && m.contains("rootless")),
        "{:?}",
        report.skipped
    );
    if is_root() {
        let s = Scene::new();
        let report = s.apply(&bytes).unwrap();
        // Applied, or reported as unsupported by this file system: never silently dropped.
        let f = s.root.join("f");
        let applied = xattr_get(&f, "trusted.test").is_some();
        assert!(
            applied || report.skipped.iter().any(|m| m.contains("trusted.test")),
            "{:?}",
            report.skipped
        );
    }
}

fn xattr_get(path: &Path, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    rustix::fs::lgetxattr(path, name, &mut buf).ok().map(|n| buf[..n].to_vec())
}

#[test]
fn bombs_and_limits() {
    let s = Scene::new();
    let mut big = raw(b"zeros", b'0');
    let zeros = vec![0u8; 8 << 20];
    big.data = &zeros;
    let plain = tar(&[big]);
    let mut options = defaults();
    options.max_total_size = 1 << 20;
    let mut best = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    best.write_all(&plain).unwrap();
    let gz = best.finish().unwrap();
    assert!(gz.len() < 64 << 10, "a bomb: small compressed, large decompressed");
    let d = Descriptor::for_bytes(MediaType::ImageLayerGzip, &gz);
    assert!(matches!(
        layer::apply(&s.root, &gz[..], &d, &Digest::sha256(&plain), &options),
        Err(LayerError::Limit(_))
    ));
    let zst = zstd::encode_all(&plain[..], 3).unwrap();
    let d = Descriptor::for_bytes(MediaType::ImageLayerZstd, &zst);
    assert!(matches!(
        layer::apply(&s.root, &zst[..], &d, &Digest::sha256(&plain), &options),
        Err(LayerError::Limit(_))
    ));

    // A zstd frame that needs a 256 MiB window is refused under the default limit.
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
    encoder.long_distance_matching(true).unwrap();
    encoder.window_log(28).unwrap();
    encoder.write_all(&plain).unwrap();
    let wide = encoder.finish().unwrap();
    let d = Descriptor::for_bytes(MediaType::ImageLayerZstd, &wide);
    let r = layer::apply(&s.root, &wide[..], &d, &Digest::sha256(&plain), &defaults());
    assert!(r.is_err(), "a window beyond 2^27 is refused");

    let mut small = defaults();
    small.max_file_size = 1000;
    assert!(matches!(s.apply_with(&plain, &small), Err(LayerError::Limit(_))));
    let mut few = defaults();
    few.max_entries = 2;
    assert!(matches!(
        s.apply_with(&tar(&[raw(b"a", b'0'), raw(b"b", b'0'), raw(b"c", b'0')]), &few),
        Err(LayerError::Limit(_))
    ));
    let long = vec![b'a'; 5000];
    let mut b = ::tar::Builder::new(Vec::new());
    let mut h = ::tar::Header::new_gnu();
    h.set_size(0);
    h.set_cksum();
    b.append_data(&mut h, String::from_utf8(long).unwrap(), &[][..]).unwrap();
    assert!(matches!(s.apply(&b.into_inner().unwrap()), Err(LayerError::Limit(_))));
}

#[test]
fn huge_pax_header() {
    let s = Scene::new();
    let pax = vec![b'a'; 2 << 20];
    let mut e = raw(b"PaxHeaders/x", b'x');
    e.data = &pax;
    assert!(matches!(s.apply(&tar(&[e])), Err(LayerError::Limit(_))));
}

#[test]
fn pax_size_wins_over_ustar_size() {
    let s = Scene::new();
    let record = b"10 size=5\n";
    let mut pax = raw(b"PaxHeaders/f", b'x');
    pax.data = record;
    let mut f = raw(b"f", b'0');
    f.data = b"hello";
    f.size_field = Some(0); // ustar says 0, PAX says 5
    let mut after = raw(b"after", b'0');
    after.data = b"ok";
    s.apply(&tar(&[pax, f, after])).unwrap();
    assert_eq!(std::fs::read(s.root.join("f")).unwrap(), b"hello");
    assert_eq!(std::fs::read(s.root.join("after")).unwrap(), b"ok");
}

#[test]
fn trailing_data_multi_member_gzip_and_verification() {
    let s = Scene::new();
    let mut a = raw(b"a", b'0');
    a.data = b"a";
    let mut with_trailer = tar(&[a]);
    with_trailer.extend_from_slice(b"trailing garbage");
    // The diff_id covers the trailer: applied and verified.
    s.apply(&with_trailer).unwrap();
    // But a diff_id of the archive without it fails.
    let clean_len = with_trailer.len() - 16;
    let d = Descriptor::for_bytes(MediaType::ImageLayer, &with_trailer);
    let r = layer::apply(
        &s.root,
        &with_trailer[..],
        &d,
        &Digest::sha256(&with_trailer[..clean_len]),
        &defaults(),
    );
    assert!(matches!(r, Err(LayerError::DiffId { .. })));

    // Two gzip members: both halves are read.
    let mut one = raw(b"one", b'0');
    one.data = b"1";
    let mut two = raw(b"two", b'0');
    two.data = b"2";
    let first = tar(&[one]);
    let first = &first[..first.len() - 1024];
    let second = tar(&[two]);
    let whole = [first, &second[..]].concat();
    let gz = [gzip(first), gzip(&second)].concat();
    let d = Descriptor::for_bytes(MediaType::ImageLayerGzip, &gz);
    layer::apply(&s.root, &gz[..], &d, &Digest::sha256(&whole), &defaults()).unwrap();
    assert_eq!(std::fs::read(s.root.join("two")).unwrap(), b"2");

    // Two zstd frames with a skippable frame between them: both halves are read; data
    // after the last frame is an error, not ignored.
    let mut skippable = 0x184D_2A50u32.to_le_bytes().to_vec();
    skippable.extend_from_slice(&5u32.to_le_bytes());
    skippable.extend_from_slice(b"skip!");
    let zst = [
        zstd::encode_all(first, 3).unwrap(),
        skippable,
        zstd::encode_all(&second[..], 19).unwrap(),
    ]
    .concat();
    let d = Descriptor::for_bytes(MediaType::ImageLayerZstd, &zst);
    std::fs::remove_file(s.root.join("two")).unwrap();
    layer::apply(&s.root, &zst[..], &d, &Digest::sha256(&whole), &defaults()).unwrap();
    assert_eq!(std::fs::read(s.root.join("two")).unwrap(), b"2");
    let trailing = [&zst[..], b"more"].concat();
    let d = Descriptor::for_bytes(MediaType::ImageLayerZstd, &trailing);
    assert!(matches!(
        layer::apply(&s.root, &trailing[..], &d, &Digest::sha256(&whole), &defaults()),
        Err(LayerError::Read(_))
    ));

    // Digest and size mismatches.
    let mut wrong = d.clone();
    wrong.digest = Digest::sha256(b"other");
    assert!(matches!(
        layer::apply(&s.root, &gz[..], &wrong, &Digest::sha256(&whole), &defaults()),
        Err(LayerError::Verify { .. })
    ));
    let mut short = d;
    short.size -= 1;
    assert!(matches!(
        layer::apply(&s.root, &gz[..], &short, &Digest::sha256(&whole), &defaults()),
        Err(LayerError::Verify { .. })
    ));
    // A gzip media type on a plain tar.
    let d = Descriptor::for_bytes(MediaType::ImageLayerGzip, &whole);
    assert!(matches!(
        layer::apply(&s.root, &whole[..], &d, &Digest::sha256(&whole), &defaults()),
        Err(LayerError::Magic { .. })
    ));
    // Encrypted and unknown types.
    let d = Descriptor::for_bytes(
        MediaType::from("application/vnd.oci.image.layer.v1.tar+gzip+encrypted"),
        &gz,
    );
    assert!(matches!(
        layer::apply(&s.root, &gz[..], &d, &Digest::sha256(&whole), &defaults()),
        Err(LayerError::MediaType(_))
    ));
}

/// Small files go to a second writing thread; whatever comes later in the archive at the
/// same place must still win, as if every entry were written in order. Each later entry
/// follows its file closely, while that file is likely still queued.
#[test]
fn later_entries_win_over_small_files_written_by_the_helper() {
    let names: Vec<Vec<u8>> = (0..64).map(|i| format!("d/f{i}").into_bytes()).collect();
    let file = |name: &'static [u8], data: &'static [u8]| {
        let mut f = raw(name, b'0');
        f.data = data;
        f
    };
    let link = |name: &'static [u8], kind: u8, target: &'static [u8]| {
        let mut l = raw(name, kind);
        l.link = target;
        l
    };
    let mut entries = vec![raw(b"d/", b'5')];
    for name in &names {
        let mut f = raw(name, b'0');
        f.data = b"first";
        entries.push(f);
    }
    entries.extend([
        file(b"d/a", b"first"),
        file(b"d/a", b"second"),
        file(b"d/b", b"first"),
        raw(b"d/b/", b'5'),
        file(b"d/c", b"first"),
        link(b"d/c", b'2', b"f0"),
        file(b"d/e", b"first"),
        link(b"d/hard", b'1', b"d/e"),
        link(b"l", b'2', b"d"),
        file(b"d/g", b"first"),
        file(b"l/g", b"through the link"),
        raw(b"l/k/", b'5'),
        file(b"d/k", b"replaces a directory made through the link"),
        file(b"d/h", b"first"),
        file(b"d/h/x", b"under"),
    ]);
    let mut options = defaults();
    // Owners would keep files from the helper when the tests do not run as root.
    options.rootless = true;
    for _ in 0..20 {
        let s = Scene::new();
        s.apply_with(&tar(&entries), &options).unwrap();
        let read = |p: &str| std::fs::read(s.root.join(p)).unwrap();
        assert_eq!(read("d/f0"), b"first");
        assert_eq!(read("d/f63"), b"first");
        assert_eq!(read("d/a"), b"second");
        assert!(s.root.join("d/b").symlink_metadata().unwrap().is_dir());
        assert_eq!(std::fs::read_link(s.root.join("d/c")).unwrap(), Path::new("f0"));
        assert_eq!(read("d/hard"), b"first");
        assert_eq!(read("d/g"), b"through the link");
        assert_eq!(read("d/k"), b"replaces a directory made through the link");
        assert_eq!(read("d/h/x"), b"under");
    }
}

/// Issue 17, class 9: a directory recorded with a mode that shuts its owner out (`0000`,
/// `0500`) and entries after it. Without privilege it is kept open while the layer fills
/// it and given its mode at the end, as umoci does; rootless options take that path as
/// root too.
#[test]
fn issue17_shut_directories_are_filled_then_shut() {
    let s = Scene::new();
    let mut shut = raw(b"shut/", b'5');
    shut.mode = 0o000;
    let mut inner = raw(b"shut/inner/", b'5');
    inner.mode = 0o500;
    let mut file = raw(b"shut/inner/file", b'0');
    file.data = b"inside";
    let mut other = raw(b"shut/file", b'0');
    other.data = b"beside";
    other.mode = 0o000;
    let mut options = defaults();
    options.rootless = true;
    s.apply_with(&tar(&[shut, inner, file, other]), &options).unwrap();
    let mode = |p: &str| std::fs::symlink_metadata(s.root.join(p)).unwrap().mode() & 0o7777;
    assert_eq!(mode("shut"), 0o000);
    // Entered again only to look: the owner may always chmod.
    std::fs::set_permissions(s.root.join("shut"), PermissionsExt::from_mode(0o700)).unwrap();
    assert_eq!(mode("shut/inner"), 0o500);
    assert_eq!(mode("shut/file"), 0o000);
    std::fs::set_permissions(s.root.join("shut/inner"), PermissionsExt::from_mode(0o700)).unwrap();
    assert_eq!(std::fs::read(s.root.join("shut/inner/file")).unwrap(), b"inside");
}

/// Issue 17, class 9: a later layer writes into, and whites out from, a directory a lower
/// layer left shut; the directory keeps its mode.
#[test]
fn issue17_shut_directory_of_a_lower_layer_takes_entries_and_whiteouts() {
    let s = Scene::new();
    let mut options = defaults();
    options.rootless = true;
    let mut shut = raw(b"shut/", b'5');
    shut.mode = 0o000;
    let mut deep = raw(b"shut/deep/", b'5');
    deep.mode = 0o000;
    let mut gone = raw(b"shut/deep/gone", b'0');
    gone.data = b"x";
    let mut kept = raw(b"shut/kept", b'0');
    kept.data = b"y";
    s.apply_with(&tar(&[shut, deep, gone, kept]), &options).unwrap();
    let mut added = raw(b"shut/deep/added", b'0');
    added.data = b"z";
    let mut link = raw(b"linked", b'1');
    link.link = b"shut/kept";
    let whiteout = raw(b"shut/deep/.wh.gone", b'0');
    s.apply_with(&tar(&[added, link, whiteout]), &options).unwrap();
    let mode = |p: &str| std::fs::symlink_metadata(s.root.join(p)).unwrap().mode() & 0o7777;
    assert_eq!(mode("shut"), 0o000);
    assert_eq!(std::fs::read(s.root.join("linked")).unwrap(), b"y");
    std::fs::set_permissions(s.root.join("shut"), PermissionsExt::from_mode(0o700)).unwrap();
    assert_eq!(mode("shut/deep"), 0o000);
    std::fs::set_permissions(s.root.join("shut/deep"), PermissionsExt::from_mode(0o700)).unwrap();
    assert_eq!(std::fs::read(s.root.join("shut/deep/added")).unwrap(), b"z");
    assert!(!s.root.join("shut/deep/gone").exists());
}

/// Issue 17, class 9: the whole hostile layer suite (and the unpack cleanup test), run
/// again as `nobody` with rootless options. Runs when the tests run as root and
/// `setpriv` is installed (util-linux); as anyone else the suite already ran so.
#[test]
fn issue17_hostile_suite_passes_as_nobody() {
    if !is_root() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    std::fs::set_permissions(scratch.path(), PermissionsExt::from_mode(0o777)).unwrap();
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&exe)
        .args(["layer::", "unpack::issue17", "--test-threads=2"])
        .env("TMPDIR", scratch.path())
        .env("HOME", scratch.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run setpriv ({e}): apt-get install util-linux"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("issue17_shut_directories_are_filled_then_shut ... ok"), "{stdout}");
    assert!(stdout.contains("unpack::issue17"), "{stdout}");
}
