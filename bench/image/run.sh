#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue #8: a guest pull's fit check done separately (its own manifest + config fetch, as
# the agent did) vs inside the pull. Starts docker-registry on a free loopback port with its
# access log on (tests/integration/lib.sh), pushes a one-layer busybox image twice (repositories bench/separate and
# bench/in-pull, so each mode's requests can be told apart in the log), then runs
# guest_pull_bench for each mode, alternating the order over COCOON_BENCH_RUNS rounds, and
# prints the medians and the registry's GET requests per pull for each mode.
# Needs root (overlayfs mounts), docker-registry, skopeo, umoci, /bin/busybox.
# Environment: COCOON_BENCH_BUILD_DIR (default build/release), COCOON_BENCH_RUNS (5 rounds),
# COCOON_BENCH_PULLS (per round and mode: 1 cold + N-1 warm; default 10).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${COCOON_BENCH_BUILD_DIR:-$top/build/release}
runs=${COCOON_BENCH_RUNS:-5}
pulls=${COCOON_BENCH_PULLS:-10}
bench=$build/bench/image/guest_pull_bench
[ -x "$bench" ] || { echo "guest_pull_bench: build it first: cmake --build $build --target guest_pull_bench" >&2; exit 3; }

work=$(mktemp -d)
# shellcheck source=tests/integration/lib.sh
source "$top/tests/integration/lib.sh"  # start_registry, make_busybox_image, cleanup on exit
start_registry 127.0.0.1:0 --access-log
host=$registry
layout=$work/layout
make_busybox_image "$layout" v1
for mode in separate in-pull; do
  skopeo copy --quiet --dest-tls-verify=false "oci:$layout:v1" "docker://$host/bench/$mode:v1"
done

# The registry's GET lines for a repository so far (after a request that marks the point).
gets() {
  curl -s -o /dev/null "http://$host/v2/bench/$1/manifests/mark-$2" || true
  for _ in $(seq 100); do
    grep -q "GET /v2/bench/$1/manifests/mark-$2 " "$work/registry.log" && break
    sleep 0.05
  done
  echo "$(grep -c "\"GET /v2/bench/$1/manifests/v1 " "$work/registry.log" || true)" \
    "$(grep -c "\"GET /v2/bench/$1/blobs/" "$work/registry.log" || true)"
}

base_separate=$(gets separate start)
base_in_pull=$(gets in-pull start)
: > "$work/results.jsonl"
for round in $(seq "$runs"); do
  order="separate in-pull"
  [ $((round % 2)) -eq 0 ] && order="in-pull separate"
  for mode in $order; do
    mkdir -p "$work/$mode"
    "$bench" "$mode" "$host/bench/$mode:v1" "$work/registries.conf" "$work/$mode" 1 \
      $((pulls - 1)) >> "$work/results.jsonl"
  done
done
python3 - "$work/results.jsonl" "$runs" "$pulls" "$(gets separate end)" "$(gets in-pull end)" \
  "$base_separate" "$base_in_pull" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
runs, pulls = int(sys.argv[2]), int(sys.argv[3])
def count(end, start):
    return [int(a) - int(b) for a, b in zip(end.split(), start.split())]
gets = {"separate": count(sys.argv[4], sys.argv[6]), "in-pull": count(sys.argv[5], sys.argv[7])}
print(f"{runs} rounds x {pulls} pulls per mode (1 cold + {pulls - 1} warm), medians of rounds:")
print("| mode | cold pull ms | warm pull ms | manifest GETs per pull | blob GETs per pull |")
print("|---|---|---|---|---|")
for mode in ("separate", "in-pull"):
    r = [x for x in rows if x["mode"] == mode]
    cold = statistics.median(x["cold_median_ms"] for x in r)
    warm = statistics.median(x["warm_median_ms"] for x in r)
    n = runs * pulls
    print(f"| {mode} | {cold:.1f} | {warm:.1f} | {gets[mode][0] / n:.2f} | {gets[mode][1] / n:.2f} |")
PY
