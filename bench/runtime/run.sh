#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `ctr run` to container exit, cold, through containerd-shim-cocoon-v2 (a fresh sandbox VM
# each time: QEMU boot, agent ready, guest pull + create, start, exit) next to `ctr run`
# with containerd's default runtime (runc) on the same busybox image in the same session
# (issue #9). Alternates the two over COCOON_BENCH_RUNS rounds and prints medians, the
# split of the cocoon run from the shim's log and the guest console, and the ratio.
# Needs root, containerd, QEMU. The VM runs under TCG here (this host's KVM cannot boot
# ordinary guests) with tee = "none": the figures show the runtime's overheads, not a TEE's.
# Environment: COCOON_BENCH_BUILD_DIR (default build/release), COCOON_BENCH_RUNS (3),
# COCOON_BENCH_NO_BUILD=1 (use the binaries already built), COCOON_BENCH_CMAKE_ARGS.
# Exit status: 0 measured; 2 a contender failed; 3 the build failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
runs=${COCOON_BENCH_RUNS:-3}
cd "$top"
# Absolute: the runtime config written below names the guest by this path.
build=$(realpath -m "${COCOON_BENCH_BUILD_DIR:-$top/build/release}")
cocoon=$build/cmd/cocoon
kbs_bin=$build/cmd/cocoon-kbs
work=$(mktemp -d)
source "$top/tests/integration/lib.sh"
progress() { echo "runtime_bench: $*" >&2; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

if [ -z "${COCOON_BENCH_NO_BUILD:-}" ]; then
  progress "building in $build ..."
  # shellcheck disable=SC2086  # a list of arguments
  if ! { cmake --preset release -B "$build" ${COCOON_BENCH_CMAKE_ARGS:-} &&
    cmake --build "$build" -j2 --target cocoon cocoon-agent containerd-shim-cocoon-v2; } \
    > "$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    exit 3
  fi
fi

progress "registry and image"
start_registry
make_busybox_image "$work/layout" bb
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:bb" "docker://$registry/bench/busybox:v1"

guest=$build/bench-guest
printf '[image]\ninsecure_registries = ["10.0.2.100:5000"]\n' > "$work/guest-agent.toml"
if [ ! -f "$guest/manifest.txt" ] || [ "$build/cmd/cocoon-agent" -nt "$guest/manifest.txt" ]; then
  progress "building the guest ..."
  guest/build-guest.sh --agent "$build/cmd/cocoon-agent" --with-crun \
    --agent-config "$work/guest-agent.toml" --payload-args --permissive-policy --out "$guest" \
    > "$work/guest.log" 2>&1 || { cat "$work/guest.log" >&2; exit 2; }
fi
cat > "$work/cocoon.toml" <<TOML
[hypervisor]
accel = "tcg"
kernel = "$guest/vmlinux"
initrd = "$guest/initrd.img"
memory_mib = 1024
[tee]
kind = "none"
[sandbox]
scratch_disk_mib = 64
guest_forwards = ["10.0.2.100:5000=$registry"]
TOML
start_containerd
lib_cleanup_hooks+=(stop_containerd_tasks)
ctr_ image pull --plain-http "$registry/bench/busybox:v1" > /dev/null
mkdir -p "$work/empty"

cocoon_ms=() runc_ms=() boot_ms=() ready_ms=() pull_ms=()
rss_ready=() inuse_ready=() rss_created=() inuse_created=()
# mib_after TEXT LINE_PATTERN FIELD: the MiB figure after FIELD ("agent Rss", "guest in use")
# on the console line matching LINE_PATTERN (the agent's guest-memory log).
mib_after() {
  grep -E "$2" <<<"$1" | head -n 1 | grep -oE "$3 [0-9.]+" | grep -oE '[0-9.]+$'
}
for i in $(seq 1 "$runs"); do
  progress "round $i/$runs"
  t0=$(now_ms)
  out=$(ctr_ run --rm --runtime io.containerd.cocoon.v2 --rootfs \
    --annotation "io.cocoon.image=10.0.2.100:5000/bench/busybox:v1" "$work/empty" "cocoon-$i" \
    echo hi) || { progress "cocoon run failed"; tail -20 "$work/containerd.log" >&2; exit 2; }
  cocoon_ms+=($(( $(now_ms) - t0 )))
  [ "$out" = "hi" ] || { progress "cocoon run printed '$out'"; exit 2; }
  boot_ms+=("$(grep -oE "sandbox cocoon-$i ready: vm [0-9]+" "$work/containerd.log" | grep -oE '[0-9]+$')")
  ready_ms+=("$(grep -oE "sandbox cocoon-$i ready: vm [0-9]+ ms, agent [0-9]+" "$work/containerd.log" | grep -oE '[0-9]+$')")
  console=/run/cocoon/sandboxes/cocoon-$i.console.log
  pull_ms+=("$(grep -oE "container cocoon-$i created from .*: pull [0-9]+" "$console" | grep -oE '[0-9]+$')")
  log=$(cat "$console")
  rss_ready+=("$(mib_after "$log" "memory when ready" "agent Rss")")
  inuse_ready+=("$(mib_after "$log" "memory when ready" "guest in use")")
  rss_created+=("$(mib_after "$log" "container cocoon-$i created" "agent Rss")")
  inuse_created+=("$(mib_after "$log" "container cocoon-$i created" "guest in use")")
  rm -f "$console"
  t0=$(now_ms)
  out=$(ctr_ run --rm "$registry/bench/busybox:v1" "runc-$i" echo hi) ||
    { progress "runc run failed"; exit 2; }
  runc_ms+=($(( $(now_ms) - t0 )))
done

c=$(printf '%s\n' "${cocoon_ms[@]}" | median)
r=$(printf '%s\n' "${runc_ms[@]}" | median)
echo "ctr run to exit, cold, median of $runs (same session, load $(cut -d' ' -f1 /proc/loadavg)):"
printf '  cocoon (VM, TCG, tee none)  %6d ms   = QEMU ready %s ms, agent ready %s ms, guest pull %s ms (medians)\n' \
  "$c" "$(printf '%s\n' "${boot_ms[@]}" | median)" "$(printf '%s\n' "${ready_ms[@]}" | median)" \
  "$(printf '%s\n' "${pull_ms[@]}" | median)"
printf '  runc (containerd default)   %6d ms\n' "$r"
awk -v c="$c" -v r="$r" 'BEGIN { printf "  ratio cocoon/runc: %.1fx\n", c / r }'
echo "  boot-to-agent-ready vs a bare busybox init booted the same way: bench/vm/run.sh"
fmedian() { sort -g | awk '{a[NR]=$1} END {printf "%.1f", (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "guest memory, MiB (medians; in use = MemTotal - MemAvailable, of 1024 MiB):"
printf '  agent ready:        agent Rss %s, guest in use %s\n' \
  "$(printf '%s\n' "${rss_ready[@]}" | fmedian)" "$(printf '%s\n' "${inuse_ready[@]}" | fmedian)"
printf '  container created:  agent Rss %s, guest in use %s (image on the encrypted scratch disk)\n' \
  "$(printf '%s\n' "${rss_created[@]}" | fmedian)" "$(printf '%s\n' "${inuse_created[@]}" | fmedian)"
