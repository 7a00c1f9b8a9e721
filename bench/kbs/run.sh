#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds kbs_bench with the release preset (g++ -O3, no sanitizers) and runs it: an
# in-process cocoon-kbs on loopback driven by 1/16/64 client threads (RCAR handshakes with
# the sample TEE and with the tpm TEE on swtpm, resource GETs), the crypto floor of the same
# work in the same run, the ratios and goals of issue #5 and a per-stage breakdown.
# Arguments go to kbs_bench (--help lists them; e.g. --seconds 2 --stores sqlite,postgres).
# Environment: COCOON_BENCH_BUILD_DIR (default build/release), COCOON_BENCH_CMAKE_ARGS
# (extra configure arguments). Exit status: 0 when the run completed (goals are reported,
# not enforced), 1 when the bench failed, 3 when the build failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${COCOON_BENCH_BUILD_DIR:-$top/build/release}
cd "$top"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "building kbs_bench in $build ..." >&2
# shellcheck disable=SC2086  # COCOON_BENCH_CMAKE_ARGS is a list of arguments
if ! { cmake --preset release -B "$build" ${COCOON_BENCH_CMAKE_ARGS:-} &&
  cmake --build "$build" -j2 --target kbs_bench; } >"$log" 2>&1; then
  cat "$log" >&2
  exit 3
fi

echo "$(openssl version); $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs));" \
  "temp dir on $(df -T "${TMPDIR:-/tmp}" | awk 'NR==2 {print $2}')"
"$build/bench/kbs/kbs_bench" "$@" || exit 1
