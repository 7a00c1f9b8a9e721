#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Measures single-core gzip decompression of a realistic layer (a tar.gz of files from
# /usr/lib and /usr/share, ~100 MB compressed) through our GzipSource (isa-l inflate behind
# the ByteSource pipeline) against `igzip -d -c` (the isa-l CLI) and `gzip -dc`, in the same
# run and pinned to the same CPU, and prints MB/s of uncompressed output and the ratios.
# Builds image_layer_bench with the release preset (g++, optimised, no sanitizers).
# Environment: COCOON_BENCH_BUILD_DIR (default build/release), COCOON_BENCH_ROUNDS (5; each
# side's best round counts), COCOON_BENCH_TAR_MB (uncompressed size of the tar, 200),
# COCOON_BENCH_LAYER (an existing .tar.gz to use instead; else one is made once and kept in
# the build dir), COCOON_BENCH_CPU (the CPU to pin to, 0), COCOON_BENCH_CMAKE_ARGS.
# Exit status: 0 with the table printed, 2 when a figure could not be read or the outputs
# differ in size, 3 when the build failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${COCOON_BENCH_BUILD_DIR:-$top/build/release}
rounds=${COCOON_BENCH_ROUNDS:-5}
tar_mb=${COCOON_BENCH_TAR_MB:-200}
cpu=${COCOON_BENCH_CPU:-0}
cd "$top"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building image_layer_bench in $build ..." >&2
# shellcheck disable=SC2086  # COCOON_BENCH_CMAKE_ARGS is a list of arguments
if ! { cmake --preset release -B "$build" ${COCOON_BENCH_CMAKE_ARGS:-} &&
  cmake --build "$build" -j2 --target image_layer_bench; } >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  exit 3
fi
bench="$build/bench/image_layer/image_layer_bench"

layer=${COCOON_BENCH_LAYER:-$build/bench-data/layer-${tar_mb}m.tar.gz}
if [ ! -s "$layer" ]; then
  echo "making $layer from ${tar_mb} MB of /usr/lib and /usr/share files ..." >&2
  mkdir -p "$(dirname "$layer")"
  # Regular files under 32 MB in directory order, until the budget is spent: the mix of
  # shared objects, text and compressed data that real base-image layers carry.
  # find stops on SIGPIPE once awk has enough, and tar exits 1 when a file changes while it
  # is read; neither matters for a benchmark input, so pipefail is off here.
  set +o pipefail
  find /usr/lib /usr/share -xdev -type f -size -32M -readable -printf '%s %p\n' 2>/dev/null |
    awk -v budget=$((tar_mb * 1024 * 1024)) '{ sum += $1; print substr($0, index($0, " ") + 1);
      if (sum >= budget) exit }' >"$work/files"
  tar --no-recursion -cf - -T "$work/files" 2>/dev/null | gzip -6 >"$layer.tmp"
  set -o pipefail
  mv "$layer.tmp" "$layer"
fi
compressed=$(stat -c %s "$layer")
uncompressed=$(gzip -dc "$layer" | wc -c)
echo "$layer: $compressed bytes compressed, $uncompressed uncompressed; $rounds rounds on CPU $cpu" >&2

now() { date +%s.%N; }
# Prints the seconds one CLI takes to decompress the layer to /dev/null.
time_cli() {
  local start end
  start=$(now)
  taskset -c "$cpu" "$@" <"$layer" >/dev/null
  end=$(now)
  python3 -c "print($end - $start)"
}

best_ours="" best_igzip="" best_gzip=""
min() { python3 -c "import sys; print(min(float(x) for x in sys.argv[1:] if x))" "$@"; }
for round in $(seq 1 "$rounds"); do
  echo "round $round" >&2
  read -r bytes secs < <(taskset -c "$cpu" "$bench" "$layer" gzip)
  if [ "$bytes" != "$uncompressed" ]; then
    echo "image_layer_bench produced $bytes bytes, gzip -dc $uncompressed" >&2
    exit 2
  fi
  best_ours=$(min "$secs" "$best_ours")
  best_igzip=$(min "$(time_cli igzip -d -c)" "$best_igzip")
  best_gzip=$(min "$(time_cli gzip -dc)" "$best_gzip")
done

python3 - "$uncompressed" "$best_ours" "$best_igzip" "$best_gzip" <<'PY'
import sys
size = int(sys.argv[1])
ours, igzip, gz = (float(x) for x in sys.argv[2:5])
mbs = lambda s: size / s / 1e6
print(f"{'single-core gzip decompression':34} {'MB/s (uncompressed)':>20} {'vs igzip':>9}")
for name, secs in (("cocoon GzipSource (isa-l)", ours), ("igzip -d -c (isa-l CLI)", igzip),
                   ("gzip -dc", gz)):
    print(f"{name:34} {mbs(secs):20.1f} {igzip / secs:9.2f}")
print(f"ours / isa-l igzip: {igzip / ours:.2f}; ours / gzip: {gz / ours:.2f}")
PY
