#!/usr/bin/env bash
# Creating a gzip layer from the unpacked `base` rootfs of the corpus:
#   oci pack (one thread, and every CPU) vs umoci repack vs tar -c | pigz.
# Usage: benches/scripts/create-vs-tools.sh CORPUS_LAYOUT_DIR   (as root; work on /dev/shm)
set -euo pipefail
corpus=${1:?usage: $0 CORPUS_LAYOUT_DIR}
cd "$(dirname "$0")/../.."
for t in hyperfine umoci pigz tar jq; do command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }; done
cargo build --release -q -p oci-examples --bin oci
oci=$PWD/target/release/oci
w=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$w"' EXIT
"$oci" unpack "oci:$corpus:base" "$w/root" >/dev/null 2>&1
# umoci repacks a bundle it unpacked: an empty image whose rootfs is then filled.
umoci init --layout "$w/u" >/dev/null
umoci new --image "$w/u:empty" >/dev/null
prep_umoci="bash -c 'rm -rf $w/bundle $w/u2 && cp -a $w/u $w/u2 && umoci unpack --image $w/u2:empty $w/bundle >/dev/null && cp -a $w/root/. $w/bundle/rootfs/'"
hyperfine -N -w 1 -r 5 --export-json "$w/h.json" \
  --prepare "rm -rf $w/o1" -n "oci pack (1 thread)" "$oci pack --threads 1 $w/root oci:$w/o1:t" \
  --prepare "rm -rf $w/o2" -n "oci pack (all CPUs)" "$oci pack $w/root oci:$w/o2:t" \
  --prepare "rm -f $w/tar.gz" -n "tar -c | pigz" "bash -c 'tar -C $w/root -cf - . | pigz > $w/tar.gz'" \
  --prepare "$prep_umoci" -n "umoci repack" "umoci repack --image $w/u2:full $w/bundle"
jq -r '.results as $r | "create base layer: oci 1 thread \($r[0].mean*1000|round) ms, oci all CPUs \($r[1].mean*1000|round) ms, tar|pigz \($r[2].mean*1000|round) ms, umoci repack \($r[3].mean*1000|round) ms; vs umoci \(($r[3].mean/$r[1].mean)*100|round/100)x (all CPUs, as oci pack does by default and umoci too; target >= 2; one thread: \(($r[3].mean/$r[0].mean)*100|round/100)x), vs tar|pigz \(($r[2].mean/$r[1].mean)*100|round/100)x (all CPUs, target >= 1)"' "$w/h.json"
