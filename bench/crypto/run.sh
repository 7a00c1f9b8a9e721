#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Compares our crypto wrappers with `openssl speed` on this machine in one run: builds
# crypto_bench with the release preset (g++, optimised, no sanitizers), then for each
# operation runs `openssl speed` and the matching benchmark of ours back to back (so both
# see the same machine load), repeats the whole round, keeps each side's best figure and
# prints operation / ours / openssl / ratio.
# Environment: COCOON_BENCH_BUILD_DIR (default build/release), COCOON_BENCH_SECONDS (3 per
# measurement), COCOON_BENCH_ROUNDS (5), COCOON_BENCH_CMAKE_ARGS (extra configure
# arguments, e.g. -DCOCOON_WERROR=OFF).
# Exit status: 0 when every ratio ours/openssl is >= 0.9, 1 when one is below, 2 when a
# figure could not be read, 3 when the build failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${COCOON_BENCH_BUILD_DIR:-$top/build/release}
seconds=${COCOON_BENCH_SECONDS:-3}
rounds=${COCOON_BENCH_ROUNDS:-5}
cd "$top"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building crypto_bench in $build ..." >&2
# shellcheck disable=SC2086  # COCOON_BENCH_CMAKE_ARGS is a list of arguments
if ! { cmake --preset release -B "$build" ${COCOON_BENCH_CMAKE_ARGS:-} &&
  cmake --build "$build" -j2 --target crypto_bench; } >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  exit 3
fi

# name | arguments of `openssl speed` | our benchmark. compare.py knows how to read each.
ops=(
  "sha256|-elapsed -bytes 16384 -evp sha256|sha256_16k"
  "aes-256-gcm|-elapsed -bytes 16384 -evp aes-256-gcm|aes256gcm_encrypt_16k"
  "aes-256-gcm-aead|-elapsed -bytes 16384 -aead -evp aes-256-gcm|aes256gcm_encrypt_16k"
  "aes-256-ctr|-elapsed -bytes 16384 -evp aes-256-ctr|aes256ctr_16k"
  "ecdsap384|ecdsap384|ecdsa_p384_verify"
  "ed25519|ed25519|ed25519_sign"
)
echo "$(openssl version); $rounds rounds of ${seconds}s per measurement" >&2
for round in $(seq 1 "$rounds"); do
  for op in "${ops[@]}"; do
    IFS='|' read -r name args ours <<<"$op"
    echo "round $round: $name" >&2
    # shellcheck disable=SC2086  # args is a list of arguments
    openssl speed -seconds "$seconds" $args >"$work/openssl.$name.$round.txt" 2>&1
    "$build/bench/crypto/crypto_bench" --benchmark_filter="^$ours(/|\$)" \
      --benchmark_min_time="$seconds" --benchmark_out="$work/ours.$name.$round.json" \
      --benchmark_out_format=json >"$work/ours.$name.$round.txt" 2>&1
  done
done

python3 "$top/bench/crypto/compare.py" "$work"
