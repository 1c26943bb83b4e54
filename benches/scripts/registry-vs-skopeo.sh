#!/usr/bin/env bash
# Push and pull of the corpus `app` image against a local distribution registry
# (docker-registry on 127.0.0.1, storage on /dev/shm), side by side:
#   oci copy (the blocking driver) and the async_copy example (the async driver) vs
#   skopeo copy, same layout, same registry, every run into a fresh repository (push) or
#   a fresh layout (pull). Prints the ratios and the peak RSS of both drivers.
# Usage: benches/scripts/registry-vs-skopeo.sh CORPUS_LAYOUT_DIR [RUNS]
# With OCI_BASELINE=/path/to/an/older/oci, that build's push and pull are timed in the
# same run too (to see what a change costs). OCI_FLAGS and ASYNC_FLAGS are added to the
# pushes of each driver (for example --no-push-digest-check).
set -euo pipefail
L=${1:?usage: $0 CORPUS_LAYOUT_DIR [RUNS]}
RUNS=${2:-5}
cd "$(dirname "$0")/../.."
for t in hyperfine skopeo docker-registry jq /usr/bin/time; do command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }; done
cargo build --release -q -p oci-examples --bin oci
cargo build --release -q -p oci-distribution --features async-client --example async_copy
oci=$PWD/target/release/oci
async=$PWD/target/release/examples/async_copy
w=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
registry=
trap '[ -n "$registry" ] && { kill $registry 2>/dev/null; wait $registry 2>/dev/null; }; rm -rf "$w"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$w/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $w/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$w/config.yml" >"$w/registry.log" 2>&1 &
registry=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
# The source layout on /dev/shm too, so that neither side waits for the disk.
cp -a "$L" "$w/src"
r=127.0.0.1:$port
# skopeo remembers where it has seen blobs and mounts them from there instead of
# uploading: forget that before each of its pushes, so that both upload every byte.
if [ "$(id -u)" = 0 ]; then cache=/var/lib/containers/cache/blob-info-cache-v1.boltdb; else cache=$HOME/.local/share/containers/cache/blob-info-cache-v1.boltdb; fi
# Seed one repository for the pulls.
"$oci" copy -q --plain-http "oci:$w/src:app" "docker://$r/seed/app:v1" 2>/dev/null
hyperfine -N -w 1 -r "$RUNS" --export-json "$w/h.json" \
  --prepare "bash -c 'echo \$((\$(cat $w/n 2>/dev/null || echo 0) + 1)) > $w/n'" \
  -n "oci push" "bash -c '$oci copy -q --plain-http ${OCI_FLAGS:-} oci:$w/src:app docker://$r/oci\$(cat $w/n)/app:v1'" \
  --prepare "bash -c 'echo \$((\$(cat $w/n 2>/dev/null || echo 0) + 1)) > $w/n; rm -f $cache'" \
  -n "skopeo push" "bash -c 'skopeo copy -q --dest-tls-verify=false oci:$w/src:app docker://$r/skopeo\$(cat $w/n)/app:v1'" \
  --prepare "rm -rf $w/pull" \
  -n "oci pull" "$oci copy -q --plain-http docker://$r/seed/app:v1 oci:$w/pull:app" \
  --prepare "rm -rf $w/pull" \
  -n "skopeo pull" "skopeo copy -q --src-tls-verify=false docker://$r/seed/app:v1 oci:$w/pull:app" \
  --prepare "bash -c 'echo \$((\$(cat $w/n 2>/dev/null || echo 0) + 1)) > $w/n'" \
  -n "async push" "bash -c '$async --plain-http ${ASYNC_FLAGS:-} oci:$w/src:app docker://$r/async\$(cat $w/n)/app:v1 >/dev/null'" \
  --prepare "rm -rf $w/pull" \
  -n "async pull" "$async --plain-http docker://$r/seed/app:v1 oci:$w/pull:app" \
  ${OCI_BASELINE:+--prepare "bash -c 'echo \$((\$(cat $w/n 2>/dev/null || echo 0) + 1)) > $w/n'"} \
  ${OCI_BASELINE:+-n "baseline push" "bash -c '$OCI_BASELINE copy -q --plain-http oci:$w/src:app docker://$r/base\$(cat $w/n)/app:v1'"} \
  ${OCI_BASELINE:+--prepare "rm -rf $w/pull"} \
  ${OCI_BASELINE:+-n "baseline pull" "$OCI_BASELINE copy -q --plain-http docker://$r/seed/app:v1 oci:$w/pull:app"}
jq -r '.results as $r | "push app: oci \($r[0].mean*1000|round) ms, async \($r[4].mean*1000|round) ms, skopeo \($r[1].mean*1000|round) ms (oci \(($r[1].mean/$r[0].mean)*100|round/100)x, async \(($r[1].mean/$r[4].mean)*100|round/100)x, target 1.5)\npull app: oci \($r[2].mean*1000|round) ms, async \($r[5].mean*1000|round) ms, skopeo \($r[3].mean*1000|round) ms (oci \(($r[3].mean/$r[2].mean)*100|round/100)x, async \(($r[3].mean/$r[5].mean)*100|round/100)x, target 1.5)"' "$w/h.json"
if [ -n "${OCI_BASELINE:-}" ]; then
  jq -r '.results as $r | "baseline: push \($r[6].mean*1000|round) ms (\(($r[1].mean/$r[6].mean)*100|round/100)x skopeo), pull \($r[7].mean*1000|round) ms (\(($r[3].mean/$r[7].mean)*100|round/100)x skopeo)"' "$w/h.json"
fi
rm -rf "$w/pull"
/usr/bin/time -f "%M" -o "$w/rss-push" "$oci" copy -q --plain-http "oci:$w/src:app" "docker://$r/rss/app:v1" 2>/dev/null
/usr/bin/time -f "%M" -o "$w/rss-pull" "$oci" copy -q --plain-http "docker://$r/seed/app:v1" "oci:$w/pull:app" 2>/dev/null
/usr/bin/time -f "%M" -o "$w/rss-apush" "$async" --plain-http "oci:$w/src:app" "docker://$r/arss/app:v1" >/dev/null 2>&1
rm -rf "$w/pull"
/usr/bin/time -f "%M" -o "$w/rss-apull" "$async" --plain-http "docker://$r/seed/app:v1" "oci:$w/pull:app" >/dev/null 2>&1
echo "peak RSS: oci push $(( $(cat "$w/rss-push") / 1024 )) MiB, oci pull $(( $(cat "$w/rss-pull") / 1024 )) MiB, async push $(( $(cat "$w/rss-apush") / 1024 )) MiB, async pull $(( $(cat "$w/rss-apull") / 1024 )) MiB (target < 64)"
