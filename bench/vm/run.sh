#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds the release vm_boot_bench, the test guest (guest/init.sh + the test init, the
# agent's stand-in) and the bare busybox baseline, then runs RUNS interleaved boots of each.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BUILD:-$root/build/vm-rel}
runs=${1:-3}
cd "$root"
cmake --preset release -B "$build" >/dev/null
cmake --build "$build" -j2 --target vm_boot_bench
out="$build/bench-vm"
guest/build-guest.sh --init tests/runtime/vm/test_init.sh --out "$out/guest" >/dev/null
guest/build-guest.sh --bare --init bench/vm/bare_init.sh --modules "virtio_pci virtio_console" \
  --out "$out/bare" >/dev/null
"$build/bench/vm/vm_boot_bench" "$out/guest" "$out/bare" "$runs"
