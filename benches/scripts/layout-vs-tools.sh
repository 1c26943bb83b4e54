#!/usr/bin/env bash
# Side by side on the corpus layout (benches/scripts/make-corpus.sh builds it):
#   copy of the `app` image between two layouts: oci copy vs skopeo copy
#   fsck of the whole layout: oci validate vs openssl dgst -sha256 over the same blobs
#   peak RSS of oci copy (GNU time)
# Usage: benches/scripts/layout-vs-tools.sh CORPUS_LAYOUT_DIR
# Work directories go to /dev/shm: this machine's disk makes metadata writes slow.
set -euo pipefail
corpus=${1:?usage: $0 CORPUS_LAYOUT_DIR}
cd "$(dirname "$0")/../.."
for t in hyperfine skopeo openssl jq /usr/bin/time; do command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }; done
cargo build --release -q -p oci-examples --bin oci
oci=$PWD/target/release/oci
work=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$corpus" "$work/src"
src=$work/src

hyperfine -N -w 1 -r 5 --export-json "$work/copy.json" \
  --prepare "rm -rf $work/a $work/b" \
  -n skopeo "skopeo copy --quiet oci:$src:app oci:$work/a:app" \
  -n oci "$oci copy oci:$src:app oci:$work/b:app"
jq -r '.results as $r | "copy app layout->layout: skopeo \($r[0].mean*1000|round) ms, oci \($r[1].mean*1000|round) ms, oci is \(($r[0].mean/$r[1].mean)*100|round/100)x as fast (target >= 3)"' "$work/copy.json"

blobs=$(find "$src/blobs" -type f | tr '\n' ' ')
hyperfine -N -w 1 -r 5 --export-json "$work/fsck.json" \
  -n openssl "openssl dgst -sha256 $blobs" \
  -n oci "$oci validate oci:$src"
jq -r '.results as $r | "fsck of the corpus layout: openssl \($r[0].mean*1000|round) ms, oci validate \($r[1].mean*1000|round) ms, oci is \(($r[0].mean/$r[1].mean)*100|round/100)x as fast (target >= 1.5)"' "$work/fsck.json"

rm -rf "$work/b"
/usr/bin/time -f "%M" -o "$work/rss" "$oci" copy "oci:$src:app" "oci:$work/b:app" 2>/dev/null
echo "peak RSS of oci copy (app, largest layer $(jq '[.layers[].size]|max' "$src/blobs/sha256/$(jq -r '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]=="app").digest' "$src/index.json" | cut -d: -f2)") bytes): $(( $(cat "$work/rss") / 1024 )) MiB (target < 32)"
