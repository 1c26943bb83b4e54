#!/usr/bin/env bash
# Clean release build of oci-image (default features) against oci-spec 0.10 (default
# features), each in a fresh project with its own target directory, dependencies
# included. Prints both times and the ratio. Needs the crates.io index (cargo fetch).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make_project() { # name, dependency line
  mkdir -p "$work/$1/src"
  printf '[package]\nname = "%s"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n%s\n[workspace]\n' "$1" "$2" > "$work/$1/Cargo.toml"
  echo 'fn main() {}' > "$work/$1/src/main.rs"
  (cd "$work/$1" && cargo fetch -q)
}
make_project ours "oci-image = { path = \"$root/oci-image\" }"
make_project theirs 'oci-spec = "0.10"'
# Share one lock file resolution per project; time the build only.
t() { local s e; s=$(date +%s.%N); (cd "$work/$1" && cargo build --release -q --offline); e=$(date +%s.%N); echo "$e - $s" | bc; }
ours=$(t ours); theirs=$(t theirs)
# Second round in the other order, to even out noise; report the means.
rm -rf "$work/ours/target" "$work/theirs/target"
theirs2=$(t theirs); ours2=$(t ours)
o=$(echo "($ours + $ours2) / 2" | bc -l); th=$(echo "($theirs + $theirs2) / 2" | bc -l)
printf 'clean release build: oci-image %.1f s, oci-spec %.1f s, ratio %.2f (target <= 0.50)\n' "$o" "$th" "$(echo "$o / $th" | bc -l)"
