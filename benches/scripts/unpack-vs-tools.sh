#!/usr/bin/env bash
# Unpacking the corpus `app` image (gzip) and `app-zstd` on /dev/shm, side by side:
#   oci unpack vs umoci unpack vs GNU tar -xzf / tar --zstd -xf of the same layers in order.
# Prints the ratios and the peak RSS of oci unpack. Run as root (owners, devices).
# Usage: benches/scripts/unpack-vs-tools.sh CORPUS_LAYOUT_DIR
set -euo pipefail
L=${1:?usage: $0 CORPUS_LAYOUT_DIR}
cd "$(dirname "$0")/../.."
for t in hyperfine umoci tar jq /usr/bin/time; do command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }; done
cargo build --release -q -p oci-examples --bin oci
oci=$PWD/target/release/oci
w=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$w"' EXIT
layers() { jq -r '.layers[].digest' "$L/blobs/sha256/$(jq -r --arg r "$1" '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]==$r).digest' "$L/index.json" | cut -d: -f2)" | cut -d: -f2 | tr '\n' ' '; }
printf 'mkdir -p %s/t; for l in %s; do tar -C %s/t -xzf %s/blobs/sha256/$l; done\n' "$w" "$(layers app)" "$w" "$L" > "$w/tar-gz.sh"
printf 'mkdir -p %s/t; for l in %s; do tar --zstd -C %s/t -xf %s/blobs/sha256/$l; done\n' "$w" "$(layers app-zstd)" "$w" "$L" > "$w/tar-zstd.sh"
hyperfine -N -w 1 -r 5 --export-json "$w/h.json" \
  --prepare "rm -rf $w/o" -n "oci unpack app" "$oci unpack oci:$L:app $w/o" \
  --prepare "rm -rf $w/t" -n "tar -xzf" "bash $w/tar-gz.sh" \
  --prepare "rm -rf $w/u" -n "umoci unpack app" "umoci unpack --image $L:app $w/u" \
  --prepare "rm -rf $w/o" -n "oci unpack app-zstd" "$oci unpack oci:$L:app-zstd $w/o" \
  --prepare "rm -rf $w/t" -n "tar --zstd -xf" "bash $w/tar-zstd.sh"
jq -r '.results as $r | "unpack app: oci \($r[0].mean*1000|round) ms, tar -xzf \($r[1].mean*1000|round) ms (\(($r[1].mean/$r[0].mean)*100|round/100)x, target 2), umoci \($r[2].mean*1000|round) ms (\(($r[2].mean/$r[0].mean)*100|round/100)x, target 8); app-zstd: oci \($r[3].mean*1000|round) ms, tar --zstd \($r[4].mean*1000|round) ms (\(($r[4].mean/$r[3].mean)*100|round/100)x, target 1.2)"' "$w/h.json"
rm -rf "$w/o"
/usr/bin/time -f "%M" -o "$w/rss" "$oci" unpack "oci:$L:app" "$w/o" 2>/dev/null
echo "peak RSS of oci unpack app: $(( $(cat "$w/rss") / 1024 )) MiB (target < 32)"
