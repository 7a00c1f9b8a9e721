#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Encrypted-pull benchmark (issue #4): the same 4-layer image pulled from a local
# docker-registry plain and ocicrypt-encrypted (jwe, EC P-256 recipient, written by
# `cocoon image encrypt`) with `cocoon image pull --flatten`, and the encrypted one with
# `skopeo copy --decryption-key` + `umoci unpack` (and the plain one with skopeo + umoci, for
# the peer's own overhead), alternating the order over several runs in the same session;
# prints medians, the encrypted/plain ratio against the goal (<= 1.15), the peer/cocoon
# ratios, the single-core speed of the decrypt stage (image_crypt_bench) and the load.
# Needs root (owners in the unpacked trees), docker-registry, skopeo, umoci.
# Environment: COCOON_BENCH_BUILD_DIR (default build/release), COCOON_BENCH_CACHE (default
# build/bench-cache/image_crypt), COCOON_BENCH_RUNS (3), COCOON_BENCH_NO_BUILD=1 (use the
# binaries already in the build dir), COCOON_BENCH_CMAKE_ARGS (extra configure arguments).
# Exit status: 0 when the goal is met, 1 when it is missed, 2 when a contender failed,
# 3 when the build failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${COCOON_BENCH_BUILD_DIR:-$top/build/release}
cache=${COCOON_BENCH_CACHE:-$top/build/bench-cache/image_crypt}
runs=${COCOON_BENCH_RUNS:-3}
cd "$top"

work=$(mktemp -d)
registry_pid=""
cocoon=$build/cmd/cocoon
cleanup() {
  set +e
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null
    wait "$registry_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
progress() { echo "image_crypt: $*" >&2; }
die() {
  echo "image_crypt: $1" >&2
  [ $# -gt 1 ] && [ -f "$2" ] && tail -20 "$2" >&2
  exit 2
}

if [ -z "${COCOON_BENCH_NO_BUILD:-}" ]; then
  progress "building cocoon and image_crypt_bench in $build ..."
  # shellcheck disable=SC2086  # COCOON_BENCH_CMAKE_ARGS is a list of arguments
  if ! { cmake --preset release -B "$build" ${COCOON_BENCH_CMAKE_ARGS:-} &&
    cmake --build "$build" -j2 --target cocoon image_crypt_bench; } >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    exit 3
  fi
fi

"$here/make_image.sh" "$cache"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
cat >"$work/registry.yml" <<EOF
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $work/registry}
http: {addr: 127.0.0.1:$port}
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break
  kill -0 "$registry_pid" 2>/dev/null || die "docker-registry exited" "$work/registry.log"
  sleep 0.1
done
printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true\n' "$port" \
  >"$work/registries.conf"
export CONTAINERS_REGISTRIES_CONF=$work/registries.conf
plain=127.0.0.1:$port/bench/plain:v1
enc=127.0.0.1:$port/bench/enc:v1

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/key.pem" 2>/dev/null
openssl pkey -in "$work/key.pem" -pubout -out "$work/key.pub"
progress "pushing the plain image to $plain ..."
skopeo copy -q --dest-tls-verify=false "oci:$cache/layout:v1" "docker://$plain" \
  >"$work/push.log" 2>&1 || die "skopeo push failed" "$work/push.log"
progress "encrypting it into $enc with cocoon image encrypt ..."
/usr/bin/time -f '%e %M' -o "$work/encrypt.time" "$cocoon" image encrypt "$plain" "$enc" \
  --recipient "jwe:$work/key.pub" >"$work/encrypt.log" 2>&1 ||
  die "cocoon image encrypt failed" "$work/encrypt.log"

# measure NAME LOG CMD...: runs CMD under GNU time, appends "NAME RUN WALL_S RSS_KIB".
# Outputs stay until the end and sync runs first (see bench/image_pull/run.sh for why).
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
check() { [ -s "$1/rootfs/layer4/text-0.txt" ] || die "$2: layer4/text-0.txt missing" "$3"; }

pullCocoon() {
  local name=$1 ref=$2
  shift 2
  measure "$name" "$rd/$name.log" "$cocoon" image pull "$ref" --dest "$rd/$name" \
    --store "$rd/$name-store" --flatten --insecure-policy "$@"
  check "$rd/$name" "$name" "$rd/$name.log"
}
runCocoonPlain() { pullCocoon cocoon-plain "$plain"; }
runCocoonEnc() { pullCocoon cocoon-enc "$enc" --decryption-key "$work/key.pem"; }
skopeoUmoci() {
  local name=$1 ref=$2
  shift 2
  measure "$name-skopeo" "$rd/$name-skopeo.log" skopeo copy --src-tls-verify=false "$@" \
    "docker://$ref" "oci:$rd/$name-oci:v1"
  measure "$name-umoci" "$rd/$name-umoci.log" umoci unpack --image "$rd/$name-oci:v1" \
    "$rd/$name-bundle"
  check "$rd/$name-bundle" "$name" "$rd/$name-umoci.log"
}
runSkopeoEnc() { skopeoUmoci peer-enc "$enc" --decryption-key "$work/key.pem"; }
runSkopeoPlain() { skopeoUmoci peer-plain "$plain"; }

contenders=(runCocoonPlain runCocoonEnc runSkopeoEnc runSkopeoPlain)
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
done
progress "decrypt stage alone (image_crypt_bench, 256 MiB in memory) ..."
"$build/bench/image_crypt/image_crypt_bench" 256 >"$work/stage.txt" ||
  die "image_crypt_bench failed"

fstype=$(findmnt -n -o FSTYPE --target "$work" 2>/dev/null || stat -f -c %T "$work")
echo "outputs on $fstype ($work), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$here/summarize.py" "$results" "$cache/layout" "$work/stage.txt" "$work/encrypt.time"
