#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds the release vm_boot_bench and cocoon-agent, then three guests with
# guest/build-guest.sh: the bare busybox baseline, the cocoon initrd with the test init
# standing in for the agent, and the cocoon initrd with the real agent (and crun, and the
# runtime's scratch disk for the encrypted store), as the runtime boots it. Runs RUNS
# interleaved boots of each and prints launch -> agent port open, and the ratios to bare.
# Environment: BUILD (default build/vm-rel), CMAKE_ARGS (extra configure arguments, e.g.
# "-DCMAKE_CXX_COMPILER=clang++ -DCOCOON_GUEST_AGENT_STATIC=ON" for the lean agent),
# SCRATCH_MIB (default 10240, the runtime's default scratch_disk_mib).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BUILD:-$root/build/vm-rel}
runs=${1:-3}
cd "$root"
echo "vm bench: building vm_boot_bench and cocoon-agent in $build" >&2
# shellcheck disable=SC2086  # a list of arguments
cmake --preset release -B "$build" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j2 --target vm_boot_bench cocoon-agent >/dev/null
out="$build/bench-vm"
echo "vm bench: building the guests in $out" >&2
guest/build-guest.sh --bare --init bench/vm/bare_init.sh --modules "virtio_pci virtio_console" \
  --late-modules "" --out "$out/bare" >/dev/null
guest/build-guest.sh --init tests/runtime/vm/test_init.sh --out "$out/guest" >/dev/null
guest/build-guest.sh --agent "$build/cmd/cocoon-agent" --with-crun --out "$out/agent" >/dev/null
echo "vm bench: $runs interleaved boots of each (TCG), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$build/bench/vm/vm_boot_bench" --runs "$runs" "bare=$out/bare" "test-init=$out/guest" \
  "agent=$out/agent,scratch=${SCRATCH_MIB:-10240}"
