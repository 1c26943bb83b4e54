#!/usr/bin/env bash
# Streams a 1 GiB blob through oci-image's VerifyingReader (the `verify_blob` example)
# and through `openssl dgst -sha256`, side by side with hyperfine, and prints the ratio.
# Usage: benches/scripts/hash-vs-openssl.sh [SIZE_MIB]   (default 1024; file on /dev/shm)
set -euo pipefail
cd "$(dirname "$0")/../.."
for t in hyperfine openssl jq; do command -v "$t" >/dev/null || { echo "missing tool: $t (apt-get install $t)" >&2; exit 1; }; done
size=${1:-1024}
dir=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$dir"' EXIT
head -c "$((size << 20))" /dev/urandom > "$dir/blob"
cargo build --release -q -p oci-examples --example verify_blob
digest=sha256:$(openssl dgst -sha256 -r "$dir/blob" | cut -d' ' -f1)
hyperfine -N -w 2 -r 10 --export-json "$dir/h.json" \
  -n openssl "openssl dgst -sha256 $dir/blob" \
  -n oci-image "target/release/examples/verify_blob $dir/blob $digest"
jq -r '.results as $r | ($r[0].mean / $r[1].mean) as $x |
  "verifying reader vs openssl dgst -sha256 on \('"$size"') MiB: ratio \($x * 100 | round / 100) (>1: oci-image faster)"' "$dir/h.json"
