#!/usr/bin/env bash
# Unpacking the corpus `app` image (gzip) and `app-zstd` on /dev/shm, side by side:
#   oci unpack, built by default (gzip through zlib-rs) and with `--features isal` (gzip
#   through the system's ISA-L), vs umoci unpack vs GNU tar -xzf / tar --zstd -xf of the
#   same layers in order. zstd is decoded the same way in both builds.
# Prints the ratios and the peak RSS of oci unpack. Run as root (owners, devices).
# Usage: benches/scripts/unpack-vs-tools.sh CORPUS_LAYOUT_DIR
set -euo pipefail
L=${1:?usage: $0 CORPUS_LAYOUT_DIR}
cd "$(dirname "$0")/../.."
for t in hyperfine umoci tar jq /usr/bin/time; do command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }; done
[ -e /usr/include/isa-l.h ] || { echo "missing: libisal-dev (for --features isal)" >&2; exit 1; }
w=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$w"' EXIT
cargo build --release -q -p oci-examples --bin oci --features isal
cp target/release/oci "$w/oci-isal"
cargo build --release -q -p oci-examples --bin oci
cp target/release/oci "$w/oci"
oci=$w/oci isal=$w/oci-isal
layers() { jq -r '.layers[].digest' "$L/blobs/sha256/$(jq -r --arg r "$1" '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]==$r).digest' "$L/index.json" | cut -d: -f2)" | cut -d: -f2 | tr '\n' ' '; }
printf 'mkdir -p %s/t; for l in %s; do tar -C %s/t -xzf %s/blobs/sha256/$l; done\n' "$w" "$(layers app)" "$w" "$L" > "$w/tar-gz.sh"
printf 'mkdir -p %s/t; for l in %s; do tar --zstd -C %s/t -xf %s/blobs/sha256/$l; done\n' "$w" "$(layers app-zstd)" "$w" "$L" > "$w/tar-zstd.sh"
hyperfine -N -w 1 -r 5 --export-json "$w/h.json" \
  --prepare "rm -rf $w/o" -n "oci unpack app" "$oci unpack oci:$L:app $w/o" \
  --prepare "rm -rf $w/o" -n "oci unpack app (isal)" "$isal unpack oci:$L:app $w/o" \
  --prepare "rm -rf $w/t" -n "tar -xzf" "bash $w/tar-gz.sh" \
  --prepare "rm -rf $w/u" -n "umoci unpack app" "umoci unpack --image $L:app $w/u" \
  --prepare "rm -rf $w/o" -n "oci unpack app-zstd" "$oci unpack oci:$L:app-zstd $w/o" \
  --prepare "rm -rf $w/t" -n "tar --zstd -xf" "bash $w/tar-zstd.sh"
jq -r '.results as $r | def ms(i): $r[i].mean*1000|round; def x(a; b): ($r[a].mean/$r[b].mean)*100|round/100;
  "unpack app, default build: oci \(ms(0)) ms, tar -xzf \(ms(2)) ms (\(x(2; 0))x, target 2), umoci \(ms(3)) ms (\(x(3; 0))x, target 8)",
  "unpack app, --features isal: oci \(ms(1)) ms, tar -xzf (\(x(2; 1))x, target 2), umoci (\(x(3; 1))x, target 8)",
  "unpack app-zstd: oci \(ms(4)) ms, tar --zstd \(ms(5)) ms (\(x(5; 4))x, target 1.2)"' "$w/h.json"
for b in oci oci-isal; do
  rm -rf "$w/o"
  /usr/bin/time -f "%M" -o "$w/rss" "$w/$b" unpack "oci:$L:app" "$w/o" >/dev/null 2>&1
  echo "peak RSS of $b unpack app: $(( $(cat "$w/rss") / 1024 )) MiB (target < 32)"
done
rm -rf "$w/o"
/usr/bin/time -f "%M" -o "$w/rss" "$oci" unpack "oci:$L:app-zstd" "$w/o" >/dev/null 2>&1
echo "peak RSS of oci unpack app-zstd: $(( $(cat "$w/rss") / 1024 )) MiB (target < 32)"
