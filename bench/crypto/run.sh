#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Compares our crypto wrappers with `openssl speed` on this machine in one run: builds
# crypto_bench with the release preset (g++, optimised, no sanitizers), runs the openssl
# figures and ours one after the other, and prints operation / ours / openssl / ratio.
# Environment: COCOON_BENCH_BUILD_DIR (default build/release), COCOON_BENCH_SECONDS (3),
# COCOON_BENCH_CMAKE_ARGS (extra configure arguments, e.g. -DCOCOON_WERROR=OFF).
# Exit status: 0 when every ratio ours/openssl is >= 0.9, 1 when one is below, 2 when a
# figure could not be read, other values when building or running failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${COCOON_BENCH_BUILD_DIR:-$top/build/release}
seconds=${COCOON_BENCH_SECONDS:-3}
cd "$top"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building crypto_bench in $build ..." >&2
if ! { cmake --preset release -B "$build" ${COCOON_BENCH_CMAKE_ARGS:-} && cmake --build "$build" -j2 --target crypto_bench; } \
    >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  exit 3
fi

echo "openssl: $(openssl version)" >&2
for alg in sha256 aes-256-gcm aes-256-ctr; do
  echo "running openssl speed -evp $alg ..." >&2
  openssl speed -elapsed -seconds "$seconds" -bytes 16384 -evp "$alg" >"$work/$alg.txt" 2>&1
done
for alg in ecdsap384 ed25519; do
  echo "running openssl speed $alg ..." >&2
  openssl speed -seconds "$seconds" "$alg" >"$work/$alg.txt" 2>&1
done
echo "running crypto_bench ..." >&2
"$build/bench/crypto/crypto_bench" --benchmark_min_time="$seconds" \
  --benchmark_out="$work/ours.json" --benchmark_out_format=json >"$work/ours.txt" 2>&1

python3 "$top/bench/crypto/compare.py" "$work"
