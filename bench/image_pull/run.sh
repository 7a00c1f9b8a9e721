#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Image pull benchmark (issue #3): pulls one multi-layer image from a local docker-registry
# with `cocoon image pull` (overlay and --flatten), with `skopeo copy` + `umoci unpack`, and
# with containerd's `ctr image pull` (overlayfs snapshotter), alternating the order over
# several runs, and prints median wall times, peak RSS of every process involved, the
# peer/cocoon ratios against the issue's goals, and single-core isa-l gzip decompression
# speed of the same layers measured in the same run.
# The image (debootstrap minbase + python3 in 4 layers, see make_image.sh) is built once
# and kept in $COCOON_BENCH_CACHE. Needs root (overlay mounts, containerd).
# Every contender writes to the same filesystem: the one of $TMPDIR (default /tmp).
# Environment: COCOON_BENCH_BUILD_DIR (default build/release), COCOON_BENCH_CACHE (default
# build/bench-cache), COCOON_BENCH_RUNS (3), COCOON_BENCH_CPU (CPU for igzip, 0),
# COCOON_BENCH_COCOON_ARGS (extra `cocoon image pull` arguments, e.g. "--parallel 1"),
# COCOON_BENCH_CMAKE_ARGS (extra configure arguments, e.g. -DCOCOON_WERROR=OFF).
# Exit status: 0 when every goal is met, 1 when one is missed, 2 when a contender failed
# or a figure could not be read, 3 when the build failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${COCOON_BENCH_BUILD_DIR:-$top/build/release}
cache=${COCOON_BENCH_CACHE:-$top/build/bench-cache}
runs=${COCOON_BENCH_RUNS:-3}
cpu=${COCOON_BENCH_CPU:-0}
cd "$top"

work=$(mktemp -d)
registry_pid="" containerd_pid=""
cocoon=$build/cmd/cocoon
cleanup() {
  set +e
  [ -n "$containerd_pid" ] && stopContainerd
  for d in "$work"/run*/cocoon "$work"/run*/cocoon-flatten; do
    [ -d "$d" ] && "$cocoon" image rm-bundle "$d" >/dev/null 2>&1
  done
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null
    wait "$registry_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
progress() { echo "image_pull: $*" >&2; }
die() {
  echo "image_pull: $1" >&2
  [ $# -gt 1 ] && [ -f "$2" ] && tail -20 "$2" >&2
  exit 2
}

progress "building cocoon in $build ..."
# shellcheck disable=SC2086  # COCOON_BENCH_CMAKE_ARGS is a list of arguments
if ! { cmake --preset release -B "$build" ${COCOON_BENCH_CMAKE_ARGS:-} &&
  cmake --build "$build" -j2 --target cocoon; } >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  exit 3
fi

"$here/make_image.sh" "$cache"

freePort() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(freePort)
mkdir -p "$work/registry"
cat >"$work/registry.yml" <<EOF
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $work/registry}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$port}
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break
  kill -0 "$registry_pid" 2>/dev/null || die "docker-registry exited" "$work/registry.log"
  sleep 0.1
done
ref=127.0.0.1:$port/bench/img:v1
progress "pushing the image to $ref ..."
skopeo copy -q --dest-tls-verify=false "oci:$cache/layout:v1" "docker://$ref" \
  >"$work/push.log" 2>&1 || die "skopeo push failed" "$work/push.log"
printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true\n' "$port" \
  >"$work/registries.conf"
export CONTAINERS_REGISTRIES_CONF=$work/registries.conf

# measure NAME LOG CMD...: runs CMD under GNU time, appends "NAME RUN WALL_S RSS_KIB".
# Every contender writes into a directory of its own that stays until the end: deleting
# 260 MB of small files just before the next pull made ext4 inode allocation (its
# recently_deleted() scan) the main cost of whichever contender came next. The sync keeps
# one contender's writeback out of the next one's time.
results=$work/results.txt
: >"$results"
measure() {
  local name=$1 log=$2
  shift 2
  sync
  /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" >"$log" 2>&1 ||
    die "$name failed: $*" "$log"
  echo "$name $run $(cat "$work/time.txt")" >>"$results"
}

# shellcheck disable=SC2086  # COCOON_BENCH_COCOON_ARGS is a list of arguments
pullCocoon() {
  local name=$1 dest=$rd/$1
  shift
  measure "$name" "$rd/$name.log" "$cocoon" image pull "$ref" --dest "$dest" \
    --store "$rd/$name-store" ${COCOON_BENCH_COCOON_ARGS:-} "$@"
  [ -x "$dest/rootfs/bin/bash" ] || die "$name: no /bin/bash in the bundle" "$rd/$name.log"
}
runCocoon() {
  pullCocoon cocoon
  # Unmount now (the upper layer is empty); the layers stay in the store until the end.
  "$cocoon" image rm-bundle "$rd/cocoon" >>"$rd/cocoon.log" 2>&1 ||
    die "cocoon: rm-bundle failed" "$rd/cocoon.log"
}
runCocoonFlat() { pullCocoon cocoon-flatten --flatten; }

runSkopeoUmoci() {
  measure skopeo "$rd/skopeo.log" skopeo copy --src-tls-verify=false "docker://$ref" \
    "oci:$rd/oci:v1"
  measure umoci "$rd/umoci.log" umoci unpack --image "$rd/oci:v1" "$rd/umoci-bundle"
  [ -x "$rd/umoci-bundle/rootfs/bin/bash" ] || die "umoci: no /bin/bash" "$rd/umoci.log"
}

# A private containerd per run: fresh content store and snapshots, and its own peak RSS
# (VmHWM) covers exactly one pull. The CRI plugin is off (no CNI, no kubelet here).
ctd=$work/containerd-probe
startContainerd() {
  mkdir -p "$ctd"
  cat >"$ctd/config.toml" <<EOF
version = 2
root = "$ctd/root"
state = "$ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$ctd/sock"
[ttrpc]
  address = "$ctd/sock.ttrpc"
EOF
  containerd --config "$ctd/config.toml" >"$work/containerd.log" 2>&1 &
  containerd_pid=$!
  for _ in $(seq 100); do
    ctr -a "$ctd/sock" version >/dev/null 2>&1 && return 0
    kill -0 "$containerd_pid" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}
stopContainerd() {
  kill "$containerd_pid" 2>/dev/null || true
  wait "$containerd_pid" 2>/dev/null || true
  containerd_pid=""
  # Snapshot mounts are temporary during a pull, but a killed daemon may leave one behind.
  { grep -o " ${ctd}[^ ]*" /proc/mounts || true; } | sort -r | xargs -r -n1 umount -l
}
runCtr() {
  ctd=$rd/containerd
  startContainerd || die "containerd did not start" "$work/containerd.log"
  measure ctr "$rd/ctr.log" ctr -a "$ctd/sock" -n bench image pull --plain-http "$ref"
  local hwm
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$containerd_pid/status")
  echo "containerd $run - $hwm" >>"$results"
  local snaps
  snaps=$(ctr -a "$ctd/sock" -n bench snapshots ls | tail -n +2 | wc -l)
  [ "$snaps" -ge "$(wc -l <"$cache/layers.txt")" ] ||
    die "ctr: $snaps snapshots after the pull (not unpacked?)" "$rd/ctr.log"
  stopContainerd
}

contenders=(runCocoon runCocoonFlat runSkopeoUmoci)
ctr_skipped=""
if startContainerd; then
  stopContainerd
  contenders+=(runCtr)
else
  ctr_skipped="containerd does not start here: $(tail -1 "$work/containerd.log")"
  stopContainerd
  progress "skipping ctr: $ctr_skipped"
fi
rm -rf "$ctd"

mapfile -t layers < <(cut -d' ' -f1 "$cache/layers.txt")
for run in $(seq 1 "$runs"); do
  rd=$work/run$run
  mkdir -p "$rd"
  order=("${contenders[@]}")
  if [ $((run % 2)) -eq 0 ]; then
    order=()
    for ((i = ${#contenders[@]} - 1; i >= 0; i--)); do order+=("${contenders[i]}"); done
  fi
  for c in "${order[@]}"; do
    progress "run $run/$runs: ${c#run} ..."
    "$c"
  done
  # Single-core isa-l decompression of the same blobs, between the pulls of each run.
  progress "run $run/$runs: igzip -d of ${#layers[@]} layers on CPU $cpu ..."
  # shellcheck disable=SC2016  # $l expands in the inner shell
  measure igzip "$rd/igzip.log" taskset -c "$cpu" \
    sh -c 'for l; do igzip -d -c "$l" >/dev/null || exit 1; done' sh "${layers[@]}"
done

fstype=$(findmnt -n -o FSTYPE --target "$work" 2>/dev/null || stat -f -c %T "$work")
echo "outputs on $fstype ($work; TMPDIR picks it), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$here/summarize.py" "$results" "$cache/layers.txt" "$ctr_skipped"
