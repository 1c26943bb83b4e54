#!/usr/bin/env bash
# scripts/make-corpus.sh OUTDIR
#
# Builds the interoperability corpus of this repository: real images, made by real tools,
# in one OCI image layout, OUTDIR/layout. Tags:
#
#   base              Debian bookworm (debootstrap --variant=minbase) as a single gzip layer
#   app               base + 3 layers: lots of content of every kind (file types, modes,
#                     owners, xattrs, long and unicode names, links), then changes, deletions
#                     and type changes (both by umoci unpack/repack), then one layer written
#                     by hand with GNU tar (opaque dirs, explicit whiteouts, "./" names)
#   app-zstd          app, layers recompressed to zstd by skopeo
#   app-uncompressed  app, layers stored as plain tar by skopeo
#   multi             image index: linux/<host arch> -> base, linux/arm64/v8 -> a tiny image
#
# Must run as root (debootstrap, mknod, chown, setcap). The rootfs of base is cached as a
# tarball, so only the first run downloads anything. If debootstrap cannot run, base is made
# of the files of this machine's installed Priority: required packages instead.
#
# Environment:
#   SOURCE_DATE_EPOCH  time of base; layer N of app is N days later   (default 1700000000)
#   SMALL_FILES        number of small files in app                   (default 5000)
#   BIG_MB             size of app's big compressible file in MiB     (default 64)
#   CORPUS_CACHE       cache directory               (default /tmp/oci-corpus-cache)
#   CORPUS_REFRESH=1   rebuild the cached base rootfs
#   CORPUS_FALLBACK=1  build the base rootfs from installed packages, skip debootstrap
#   SUITE, MIRROR      debootstrap suite and mirror   (default: bookworm, mirror of apt)
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

die() { echo "make-corpus: $*" >&2; exit 1; }
say() { echo "make-corpus: $*" >&2; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
[ "$(id -u)" -eq 0 ] || die "must be run as root (debootstrap, mknod, chown, setcap)"
missing=()
for tool in umoci skopeo jq tar pigz zstd sha256sum awk find xargs setfattr mknod mkfifo \
  truncate dpkg-query; do
  command -v "$tool" > /dev/null || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (apt-get install them)"
tar --version | grep -q 'GNU tar' || die "tar is not GNU tar"

SDE=${SOURCE_DATE_EPOCH:-1700000000}
SMALL_FILES=${SMALL_FILES:-5000}
BIG_MB=${BIG_MB:-64}
SUITE=${SUITE:-bookworm}
[ "$SMALL_FILES" -ge 500 ] || die "SMALL_FILES must be at least 500 (layer 2 changes d000..d004)"
CACHE=${CORPUS_CACHE:-/tmp/oci-corpus-cache}
ARCH=$(dpkg --print-architecture)
day() { echo $((SDE + $1 * 86400)); }                 # timestamp of layer $1
rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
started=$(date +%s)

# Start from an empty OUTDIR (only a previous corpus is ever deleted).
OUT=$1
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
  [ -e "$OUT/layout/oci-layout" ] || die "$OUT is not empty and holds no corpus: not touching it"
  rm -rf "$OUT"
fi
mkdir -p "$OUT" "$CACHE"
OUT=$(realpath "$OUT")
L=$OUT/layout
TMP=$OUT/work
mkdir "$TMP"
trap 'rm -rf "$TMP"' EXIT

# ---------------------------------------------------------------------------- base rootfs

# The mirror apt uses for $SUITE: deb822 .sources first, then one-line .list files.
apt_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk -v RS= -v suite="$SUITE" '{
      n = split($0, line, "\n"); types = suites = uri = ""; off = 0
      for (i = 1; i <= n; i++) {
        if (line[i] ~ /^Types:/) types = " " substr(line[i], 7) " "
        if (line[i] ~ /^Suites:/) suites = " " substr(line[i], 8) " "
        if (line[i] ~ /^URIs:/) { split(substr(line[i], 6), w, " "); uri = w[1] }
        if (line[i] ~ /^Enabled:[ \t]*no/) off = 1
      }
      gsub(/[ \t]+/, " ", types); gsub(/[ \t]+/, " ", suites)
      if (!off && uri != "" && index(types, " deb ") && index(suites, " " suite " ")) {
        print uri; exit
      }
    }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    awk -v suite="$SUITE" '$1 == "deb" {
      i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      if ($(i + 1) == suite) { print $i; exit }
    }' "$f"
  done
}

from_debootstrap() { # ROOT
  local mirror
  command -v debootstrap > /dev/null || { say "debootstrap is not installed"; return 1; }
  mirror=${MIRROR:-$(apt_mirror | head -n 1)}
  [ -n "$mirror" ] || { say "no apt source for $SUITE"; return 1; }
  say "debootstrap --variant=minbase $SUITE $mirror (log: $CACHE/debootstrap.log)"
  debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$1" "$mirror" \
    > "$CACHE/debootstrap.log" 2>&1 || { say "debootstrap failed, see its log"; return 1; }
  ORIGIN="debootstrap --variant=minbase $SUITE"
}

# The files of the installed Priority: required packages (what minbase installs), with paths
# under a symlinked directory (merged /usr: /bin -> usr/bin) rewritten to the real directory.
from_host_packages() { # ROOT
  say "building the base rootfs from the installed Priority: required packages"
  dpkg-query -W -f='${Package}:${Architecture}\t${Priority}\t${db:Status-Abbrev}\n' |
    awk -F'\t' '$2 == "required" && $3 ~ /^ii/ { print $1 }' > "$TMP/packages"
  { xargs -a "$TMP/packages" dpkg-query -L || true; } | grep '^/.' |
    grep -Ev '^/(proc|sys|dev|run)(/|$)' | sort -u > "$TMP/paths"    # tidy_rootfs makes these
  sed 's#/[^/]*$##' "$TMP/paths" | grep . | sort -u > "$TMP/dirs"
  xargs -d '\n' -a "$TMP/dirs" realpath -m -- | paste "$TMP/dirs" - > "$TMP/dirmap"
  awk -F'\t' 'NR == FNR { real[$1] = $2; next }
    { d = $0; sub(/\/[^\/]*$/, "", d); print (d == "" ? "" : real[d]) substr($0, length(d) + 1) }' \
    "$TMP/dirmap" "$TMP/paths" | sort -u > "$TMP/files"
  printf '%s\n' /etc/passwd /etc/group /etc/shadow /etc/gshadow /var/lib/dpkg/status >> "$TMP/files"
  for d in /bin /sbin /lib /lib32 /lib64 /libx32; do
    if [ -L "$d" ]; then echo "$d"; fi
  done >> "$TMP/files"
  while IFS= read -r p; do
    if [ -e "$p" ] || [ -L "$p" ]; then printf '%s\n' "${p#/}"; fi
  done < "$TMP/files" > "$TMP/existing"
  mkdir -p "$1"
  tar -C / --no-recursion --numeric-owner --xattrs --xattrs-include='*' -cf - -T "$TMP/existing" |
    tar -C "$1" --numeric-owner --xattrs --xattrs-include='*' -xpf -
  ORIGIN="files of this machine's installed Priority: required packages"
}

# Drop what differs from run to run (logs, caches, apt lists, device nodes), clamp mtimes.
tidy_rootfs() { # ROOT
  local r=${1:?}
  rm -rf "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* \
    "$r"/var/log/*.log "$r"/var/log/apt/* "$r"/var/cache/ldconfig/aux-cache "$r"/debootstrap \
    "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old "${r:?}"/etc/*- "${r:?}"/dev/* "${r:?}"/run/* \
    "$r"/tmp/* "$r"/var/tmp/*
  mkdir -p "$r"/{dev,proc,sys,run,tmp,root,var/tmp,var/lib/apt/lists/partial}
  chmod 1777 "$r"/tmp "$r"/var/tmp
  echo localhost > "$r"/etc/hostname
  : > "$r"/etc/resolv.conf
  if [ -e "$r"/etc/machine-id ]; then : > "$r"/etc/machine-id; fi
  if [ -f "$r"/etc/shadow ]; then # field 3: day of the last password change
    awk -F: -v OFS=: -v d=$((SDE / 86400)) '$3 != "" { $3 = d } { print }' "$r"/etc/shadow \
      > "$TMP/shadow" && cat "$TMP/shadow" > "$r"/etc/shadow
  fi
  find "$r" -newermt "@$SDE" -exec touch -h -d "@$SDE" {} +
}

ROOTFS_TAR=$CACHE/$SUITE-$ARCH-rootfs.tar
if [ "${CORPUS_FALLBACK:-0}" = 1 ]; then ROOTFS_TAR=$CACHE/host-packages-$ARCH-rootfs.tar; fi
if [ "${CORPUS_REFRESH:-0}" = 1 ] || [ ! -s "$ROOTFS_TAR" ] || [ ! -s "$ROOTFS_TAR.origin" ]; then
  R=$TMP/rootfs
  if [ "${CORPUS_FALLBACK:-0}" = 1 ] || ! from_debootstrap "$R"; then
    rm -rf "$R"
    from_host_packages "$R"
  fi
  tidy_rootfs "$R"
  tar -C "$R" --sort=name --numeric-owner --xattrs --xattrs-include='*' -cf "$ROOTFS_TAR.part" .
  mv "$ROOTFS_TAR.part" "$ROOTFS_TAR"
  echo "$ORIGIN" > "$ROOTFS_TAR.origin"
  rm -rf "$R"
else
  say "using the cached base rootfs $ROOTFS_TAR (CORPUS_REFRESH=1 rebuilds it)"
fi
ORIGIN=$(cat "$ROOTFS_TAR.origin")

# -------------------------------------------------------------------------------- base

say "base: one layer from the rootfs"
B=$TMP/bundle
RF=$B/rootfs
umoci init --layout "$L"
umoci new --image "$L:base"
umoci config --image "$L:base" --no-history --created "$(rfc3339 "$SDE")" --os linux \
  --architecture "$ARCH" --author make-corpus.sh --config.cmd /bin/bash \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umoci unpack --image "$L:base" "$B" > /dev/null
tar -C "$RF" --numeric-owner --xattrs --xattrs-include='*' -xpf "$ROOTFS_TAR"
umoci repack --refresh-bundle --image "$L:base" --history.created "$(rfc3339 "$SDE")" \
  --history.created_by "$ORIGIN" "$B"

# ------------------------------------------------------------------------ app, layer 1

# Clamp the mtime of everything changed since the last layer to that layer's time.
clamp() { find "$RF" -newermt "@$1" -exec touch -h -d "@$1" {} +; }

say "app layer 1: $SMALL_FILES small files, a $BIG_MB MiB file, links, specials, xattrs"
A=$RF/opt/app
mkdir -p "$A"/{bin,etc,data,small,links,hard/x,hard/y,special,names,long,sticky,shared,home} \
  "$A"/empty/nested/deeper "$A"/empty-0700 "$A"/to-change
# deterministic pseudo-random numbers (MINSTD, exact in awk's doubles)
LCG='function next_rand() { seed = (seed * 48271) % 2147483647; return seed }'

# Small text files in directories of 100, sizes spread from 0 to 16 KiB; a few are
# executable or private (mode lists are written for chmod).
seq -f "$A/small/d%03g" 0 $(((SMALL_FILES - 1) / 100)) | xargs mkdir -p
awk -v n="$SMALL_FILES" -v dir="$A/small" -v seed=4242 "$LCG"'
  BEGIN {
    nw = split("alpha beta gamma delta { } ( ) ; = return if else fn let struct impl " \
      "import export const static match error ok value index buffer config layer", word, " ")
    for (i = 0; i < n; i++) {
      name = sprintf("%s/d%03d/file-%05d.%s", dir, int(i / 100), i, (i % 3 ? "txt" : "rs"))
      size = (i % 41 == 0) ? 0 : next_rand() % (2 ^ (next_rand() % 15))
      text = ""
      while (length(text) < size) text = text word[next_rand() % nw + 1] (next_rand() % 9 ? " " : "\n")
      printf "%s", substr(text, 1, size) > name
      close(name)
      if (i % 10 == 3) print name > (dir "/../exec-list")
      else if (i % 17 == 5) print name > (dir "/../private-list")
    }
  }'
xargs -d '\n' chmod 0755 < "$A/exec-list"
xargs -d '\n' chmod 0600 < "$A/private-list"
rm "$A/exec-list" "$A/private-list"

# A big, well compressible file: log lines, then cut to exactly BIG_MB MiB.
awk -v bytes=$((BIG_MB << 20)) -v seed=7 "$LCG"'
  BEGIN {
    split("GET GET GET POST PUT DELETE", method, " ")
    split("/api/items /api/users /api/orders /healthz /metrics /static/app.js /login", path, " ")
    split("200 200 200 200 201 204 304 400 404 500", status, " ")
    for (t = 0; written < bytes; t++) {
      line = sprintf("2023-11-14T%02d:%02d:%02dZ INFO srv[%d] %s %s/%d status=%s bytes=%d ms=%d\n",
        int(t / 3600) % 24, int(t / 60) % 60, t % 60, 1000 + next_rand() % 16,
        method[next_rand() % 6 + 1], path[next_rand() % 7 + 1], next_rand() % 100000,
        status[next_rand() % 10 + 1], next_rand() % 65536, next_rand() % 500)
      printf "%s", line
      written += length(line)
    }
  }' > "$A/data/big.log"
truncate -s "${BIG_MB}M" "$A/data/big.log"

# ELF binaries from the base, one setuid, one setgid, one with a file capability
cp "$RF/usr/bin/ls" "$A/bin/ls"
cp "$RF/usr/bin/ls" "$A/bin/setuid-ls" && chmod 4755 "$A/bin/setuid-ls"
cp "$RF/usr/bin/ls" "$A/bin/setgid-ls" && chown 0:50 "$A/bin/setgid-ls" && chmod 2755 "$A/bin/setgid-ls"
cp "$RF/usr/bin/ls" "$A/bin/net-ls"
if command -v setcap > /dev/null; then
  setcap cap_net_bind_service,cap_net_raw=+ep "$A/bin/net-ls"
else
  say "setcap not installed (apt-get install libcap2-bin): no security.capability xattr"
fi
chmod 1777 "$A/sticky"
chown 0:100 "$A/shared" && chmod 2775 "$A/shared"
chmod 0700 "$A/empty-0700"
echo "read only by its owner" > "$A/etc/secret" && chmod 0400 "$A/etc/secret"
echo "no permissions at all" > "$A/etc/mode-0000" && chmod 0000 "$A/etc/mode-0000"

# extended attributes on files and a directory
printf '{"port": 8080}\n' > "$A/etc/config.json"
setfattr -n user.origin -v "make-corpus layer 1" "$A/etc/config.json"
setfattr -n user.checksum -v 0x00ff10ab "$A/etc/config.json"
setfattr -n user.purpose -v "a directory with an xattr" "$A/etc"
setfattr -n trusted.corpus -v "trusted namespace" "$A/data/big.log"

# symbolic links: relative, absolute, dangling, to a directory, a loop, a >100 byte target
LONG_DIR=$(printf 'long-directory-name-%02d-' {1..6})                       # 138 bytes
mkdir "$A/long/$LONG_DIR"
echo "at the end of a long symlink" > "$A/long/$LONG_DIR/target"
ln -s ../bin/ls "$A/links/relative"
ln -s /etc/os-release "$A/links/absolute"
ln -s /does/not/exist "$A/links/dangling"
ln -s ../small/d000 "$A/links/to-dir"
ln -s loop-2 "$A/links/loop-1" && ln -s loop-1 "$A/links/loop-2"
ln -s "../long/$LONG_DIR/target" "$A/links/long-target"
chown -h 1000:1000 "$A/links/relative"

# hard links: same directory, across directories, three names, a setuid one, a long name
echo "one inode, several names" > "$A/hard/x/first"
ln "$A/hard/x/first" "$A/hard/x/second"
ln "$A/hard/x/first" "$A/hard/y/third"
ln "$A/bin/setuid-ls" "$A/hard/setuid-link"
ln "$A/long/$LONG_DIR/target" "$A/names/hardlink-to-long-path"  # "long" sorts first
echo "the target of a hard link is here" > "$A/long/$(printf 'n%.0s' {1..120})"
ln "$A/long/$(printf 'n%.0s' {1..120})" "$A/hard/link-named-$(printf 'h%.0s' {1..110})"

# special files, owners (1000, nobody, ids beyond ustar's 2097151)
mkfifo "$A/special/fifo"
mknod "$A/special/null" c 1 3
mknod -m 0620 "$A/special/tty9" c 4 9
echo "owned by app" > "$A/home/profile" && chown -R 1000:1000 "$A/home"
echo "owned by nobody" > "$A/data/nobody" && chown 65534:65534 "$A/data/nobody"
echo "big ids" > "$A/data/big-ids" && chown 3000000:3000001 "$A/data/big-ids"

# names: unicode, spaces, a path longer than 255 bytes, things that look like whiteouts
echo u > "$A/names/ünïcødé-名前-файл-🦀.txt"
echo s > "$A/names/with spaces and 'quotes'"
echo b > "$A/names/back\\slash"
echo w > "$A/names/.wh-lookalike"
echo w > "$A/names/x.wh.y"
mkdir -p "$A/long/$LONG_DIR/$LONG_DIR"
echo deep > "$A/long/$LONG_DIR/$LONG_DIR/$(printf 'f%.0s' {1..200})"

# what layer 2 changes the type of
echo "a file, later a directory" > "$A/to-change/file-to-dir"
mkdir -p "$A/to-change/dir-to-link/sub" && echo x > "$A/to-change/dir-to-link/sub/x"
mkdir -p "$A/to-change/dir-to-file" && echo y > "$A/to-change/dir-to-file/y"
echo "a file, later a symlink" > "$A/to-change/file-to-link"
ln -s ../etc/config.json "$A/to-change/link-to-file"

clamp "$(day 1)"
umoci repack --refresh-bundle --image "$L:app" --history.created "$(rfc3339 "$(day 1)")" \
  --history.created_by "make-corpus.sh: application content" "$B"

# ------------------------------------------------------------------------ app, layer 2

say "app layer 2: modifications, deletions, type changes"
echo "app:x:1000:1000:app:/opt/app/home:/bin/sh" >> "$RF/etc/passwd"
echo "app:x:1000:" >> "$RF/etc/group"
printf '{"port": 9090}\n' > "$A/etc/config.json"
setfattr -n user.origin -v "make-corpus layer 2" "$A/etc/config.json"
setfattr -x user.checksum "$A/etc/config.json"
for f in "$A"/small/d004/file-004[0-4]*; do echo "// changed in layer 2" >> "$f"; done
chmod 0700 "$A/bin/ls"
chown 1000:1000 "$A/data/nobody"
# deletions: whole trees of the base, a directory and scattered files of layer 1
rm -rf "$RF"/usr/share/man "$RF"/usr/share/info "$RF"/usr/share/lintian "$RF"/etc/motd
find "$RF/usr/share/doc" -mindepth 1 -maxdepth 1 -name 'lib*' -exec rm -rf {} +
rm -rf "$A/small/d002"
find "$A/small" -name '*7.txt' -delete
mv "$A/small/d003" "$A/small/d003-renamed"
rm "$A/hard/x/second"
# type changes
rm "$A/to-change/file-to-dir" && mkdir "$A/to-change/file-to-dir" &&
  echo inside > "$A/to-change/file-to-dir/inside"
rm -r "$A/to-change/dir-to-link" && ln -s ../data "$A/to-change/dir-to-link"
rm -r "$A/to-change/dir-to-file" && echo "was a directory" > "$A/to-change/dir-to-file"
rm "$A/to-change/file-to-link" && ln -s ../etc/secret "$A/to-change/file-to-link"
rm "$A/to-change/link-to-file" && echo "was a symlink" > "$A/to-change/link-to-file"
# a new name for a file of the base layer
ln "$RF/usr/bin/dpkg" "$A/bin/dpkg-hardlink"
clamp "$(day 2)"
umoci repack --refresh-bundle --image "$L:app" --history.created "$(rfc3339 "$(day 2)")" \
  --history.created_by "make-corpus.sh: changes and deletions" "$B"
rm -rf "$B"

# ------------------------------------------------------------------------ app, layer 3

say "app layer 3: written by GNU tar, with opaque directories and whiteouts"
G=$TMP/gnu
mkdir -p "$G"/opt/app/small/d001 "$G"/opt/app/bin "$G"/opt/app/gnu "$G"/etc/apt/apt.conf.d \
  "$G"/usr/share/man/man1
: > "$G/opt/app/small/d001/.wh..wh..opq"              # hides everything d001 had below
echo "the only file left in d001" > "$G/opt/app/small/d001/survivor"
: > "$G/etc/apt/apt.conf.d/.wh..wh..opq"              # a directory of the base, emptied
echo 'APT::Install-Recommends "false";' > "$G/etc/apt/apt.conf.d/90corpus"
: > "$G/opt/app/.wh.sticky"                           # whiteout of a directory
: > "$G/opt/app/bin/.wh.setgid-ls"                    # of a file
: > "$G/etc/.wh.issue.net"                            # of a base file
: > "$G/opt/app/.wh.never-existed"                    # of nothing
echo "back after layer 2 removed man" > "$G/usr/share/man/man1/corpus.1"
echo "GNU hard link" > "$G/opt/app/gnu/one"
ln "$G/opt/app/gnu/one" "$G/opt/app/gnu/two"
echo "GNU long name" > "$G/opt/app/gnu/$(printf 'gnu-long-name-%02d-' {1..8})"      # 144 bytes
ln -s "../long/$LONG_DIR/$LONG_DIR" "$G/opt/app/gnu/long-link"
echo "base-256 owner" > "$G/opt/app/gnu/huge-ids" && chown 3000002:3000003 "$G/opt/app/gnu/huge-ids"
find "$G" -exec touch -h -d "@$(day 3)" {} +
tar -C "$G" --format=gnu --sort=name --numeric-owner -cf "$TMP/gnu.tar" .
umoci raw add-layer --image "$L:app" --history.created "$(rfc3339 "$(day 3)")" \
  --history.created_by "make-corpus.sh: GNU tar layer" "$TMP/gnu.tar"
umoci config --image "$L:app" --no-history --created "$(rfc3339 "$(day 3)")" \
  --config.user 1000:1000 --config.workingdir /opt/app --config.entrypoint /opt/app/bin/ls \
  --config.exposedports 8080/tcp --config.label org.opencontainers.image.title=corpus-app

# --------------------------------------------------------------------- tiny arm64 image

say "tiny linux/arm64 image"
T=$TMP/tiny
mkdir -p "$T"/bin "$T"/etc
printf '#!/bin/sh\necho hello from arm64\n' > "$T/bin/hello" && chmod 0755 "$T/bin/hello"
echo 'ID=corpus-tiny' > "$T/etc/os-release"
find "$T" -exec touch -h -d "@$SDE" {} +
tar -C "$T" --sort=name --numeric-owner -cf "$TMP/tiny.tar" .
umoci new --image "$L:tiny"
umoci config --image "$L:tiny" --no-history --created "$(rfc3339 "$SDE")" --os linux \
  --architecture arm64 --config.cmd /bin/hello
umoci raw add-layer --image "$L:tiny" --history.created "$(rfc3339 "$SDE")" \
  --history.created_by "make-corpus.sh: tiny image" "$TMP/tiny.tar"
umoci gc --layout "$L"

# ----------------------------------------------------------------- zstd and plain tar

# skopeo reuses blobs the destination already has instead of recompressing them, so it
# copies into fresh layouts whose blobs and index entries are then merged into $L.
merge() { # LAYOUT
  cp -n "$1"/blobs/sha256/* "$L/blobs/sha256/"
  jq --slurpfile other "$1/index.json" '.manifests += $other[0].manifests' "$L/index.json" \
    > "$TMP/index.json"
  mv "$TMP/index.json" "$L/index.json"
}
say "app-zstd and app-uncompressed (skopeo)"
skopeo --insecure-policy copy -q --dest-compress-format zstd "oci:$L:app" "oci:$TMP/zstd:app-zstd"
skopeo --insecure-policy copy -q --dest-decompress "oci:$L:app" "dir:$TMP/plain-dir"
skopeo --insecure-policy copy -q --dest-oci-accept-uncompressed-layers "dir:$TMP/plain-dir" \
  "oci:$TMP/plain:app-uncompressed"
merge "$TMP/zstd"
merge "$TMP/plain"

# ------------------------------------------------------------------------------ multi

say "multi: image index"
descriptor() { # TAG -> its descriptor in index.json, without annotations
  jq -c --arg tag "$1" '.manifests[]
    | select(.annotations["org.opencontainers.image.ref.name"] == $tag) | del(.annotations)' \
    "$L/index.json"
}
jq -cn --argjson base "$(descriptor base)" --argjson tiny "$(descriptor tiny)" --arg arch "$ARCH" '{
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [
    ($base + {platform: {os: "linux", architecture: $arch}}),
    ($tiny + {platform: {os: "linux", architecture: "arm64", variant: "v8"}})
  ]}' > "$TMP/multi.json"
MULTI=sha256:$(sha256sum "$TMP/multi.json" | cut -d' ' -f1)
cp "$TMP/multi.json" "$L/blobs/sha256/${MULTI#sha256:}"
jq --arg digest "$MULTI" --argjson size "$(stat -c %s "$TMP/multi.json")" '
  .manifests |= map(select(.annotations["org.opencontainers.image.ref.name"] != "tiny"))
  | .manifests += [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $digest,
      size: $size, annotations: {"org.opencontainers.image.ref.name": "multi"}}]' \
  "$L/index.json" > "$TMP/index.json"
mv "$TMP/index.json" "$L/index.json"

# ---------------------------------------------------------------- checks and summary

blob() { echo "$L/blobs/sha256/${1#sha256:}"; }
manifest_of() { blob "$(descriptor "$1" | jq -r .digest)"; }
say "checking: every layer decompresses to its diff_id, compression is as intended"
for tag in base app app-zstd app-uncompressed; do
  m=$(manifest_of "$tag")
  config=$(blob "$(jq -r .config.digest "$m")")
  i=0
  while IFS=$'\t' read -r digest type; do
    case "$type:$tag" in
      *+gzip:app-zstd | *+gzip:app-uncompressed | *.tar:app | *.tar:base | *+zstd:app | *+zstd:base)
        die "$tag: layer $i has media type $type" ;;
      *+gzip:*) unpack=(pigz -dc) ;;
      *+zstd:*) unpack=(zstd -dcq) ;;
      *.tar:*) unpack=(cat) ;;
      *) die "$tag: unexpected layer media type $type" ;;
    esac
    got=sha256:$("${unpack[@]}" < "$(blob "$digest")" | sha256sum | cut -d' ' -f1)
    want=$(jq -r ".rootfs.diff_ids[$i]" "$config")
    [ "$got" = "$want" ] || die "$tag: layer $i decompresses to $got, its diff_id is $want"
    i=$((i + 1))
  done < <(jq -r '.layers[] | [.digest, .mediaType] | @tsv' "$m")
done
[ "$(jq -c .rootfs.diff_ids "$(blob "$(jq -r .config.digest "$(manifest_of app)")")")" = \
  "$(jq -c .rootfs.diff_ids "$(blob "$(jq -r .config.digest "$(manifest_of app-zstd)")")")" ] ||
  die "app-zstd does not hold the same layers as app"
pigz -dc < "$(blob "$(jq -r '.layers[3].digest' "$(manifest_of app)")")" | tar -t |
  grep -x './opt/app/small/d001/.wh..wh..opq' > /dev/null || die "app: the GNU tar layer is not as written"
chmod -R a+rX "$L"

{
  echo "corpus in $L (base: $ORIGIN)"
  printf '%-17s %-40s %6s %12s  %s\n' TAG LAYERS COUNT BYTES MANIFEST
  for tag in base app app-zstd app-uncompressed; do
    m=$(manifest_of "$tag")
    jq -r --arg tag "$tag" --arg m "$(basename "$m" | cut -c1-16)" '[$tag,
        (.layers | map(.mediaType | sub("application/vnd.oci.image."; "")) | unique | join(",")),
        (.layers | length), (.layers | map(.size) | add), ("sha256:" + $m)]
      | @tsv' "$m" | awk -F'\t' '{ printf "%-17s %-40s %6s %12s  %s\n", $1, $2, $3, $4, $5 }'
  done
  echo "multi             index ${MULTI:0:23}: linux/$ARCH -> base, linux/arm64/v8 -> tiny"
  echo "app: $SMALL_FILES small files, ${BIG_MB} MiB big file; built in $(($(date +%s) - started)) s"
} | tee "$OUT/summary.txt"
