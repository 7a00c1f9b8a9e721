# SPDX-License-Identifier: Apache-2.0
# Shared by the integration scripts and scripts/demo: starting the real peers (cocoon-kbs,
# docker-registry) on kernel-chosen loopback ports, waiting on their logs, and stopping
# everything on exit. Source it after setting: cocoon, kbs_bin (binaries) and work (a
# fresh temp dir that cleanup removes).
#   lib_cleanup_hooks+=(fn)   functions run first by the EXIT trap (e.g. unmount a bundle)

pids=()
lib_cleanup_hooks=()
lib_cleanup() {
  local hook p
  for hook in "${lib_cleanup_hooks[@]}"; do "$hook" || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap lib_cleanup EXIT

step() { printf '\n== %s ==\n' "$*"; }

# wait_for FILE PATTERN: waits (30 s at most) for the extended regex PATTERN in FILE (a
# peer's log) and prints the first match.
wait_for() {
  local file=$1 pattern=$2 m
  for _ in $(seq 1 300); do
    if m=$(grep -oE "$pattern" "$file" 2>/dev/null | head -1) && [ -n "$m" ]; then
      echo "$m"; return 0
    fi
    sleep 0.1
  done
  echo "timed out waiting for /$pattern/ in $file:" >&2; cat "$file" >&2; return 1
}

# start_kbs [--no-sample] [ARGS...]: an admin key pair ($work/admin.pem, admin.pub) and
# cocoon-kbs on a free port; sets kbs_url. Development mode (sample evidence accepted)
# unless --no-sample comes first. Other arguments go to cocoon-kbs.
start_kbs() {
  local sample=--allow-sample
  if [ "${1:-}" = --no-sample ]; then
    sample=
    shift
  fi
  "$cocoon" key generate --type ed25519 --out "$work/admin.pem"
  "$cocoon" key public "$work/admin.pem" > "$work/admin.pub"
  # shellcheck disable=SC2086  # $sample is one flag or none
  "$kbs_bin" --listen 127.0.0.1:0 --data-dir "$work/kbs" --admin-pubkey "$work/admin.pub" \
    $sample "$@" > "$work/kbs.log" 2>&1 &
  pids+=($!)
  kbs_url=$(wait_for "$work/kbs.log" 'listening on http://127\.0\.0\.1:[0-9]+' | sed 's/listening on //')
}

# start_registry [ADDRESS] [--access-log]: Debian's docker-registry on ADDRESS (default
# 127.0.0.1:0, a free port) with storage under $work/registry and its log in
# $work/registry.log (with a line per request given --access-log); sets registry
# (host:port) and writes $work/registries.conf that marks it insecure (plain http).
start_registry() {
  local address=${1:-127.0.0.1:0} access_log_off=true
  [ "${2:-}" = --access-log ] && access_log_off=false
  cat > "$work/registry.yml" <<YML
version: 0.1
log:
  level: info
  accesslog:
    disabled: $access_log_off
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: $address
YML
  docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
  pids+=($!)
  registry=$(wait_for "$work/registry.log" 'listening on [0-9.]+:[0-9]+' | sed 's/listening on //')
  printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$registry" > "$work/registries.conf"
}

# make_busybox_image LAYOUT TAG: an OCI layout holding a one-layer image with the host's
# static busybox (sh, echo, cat, sleep) and CMD /bin/sh, built with umoci.
make_busybox_image() {
  local layout=$1 tag=$2 tmp
  tmp=$work/busybox-build.$RANDOM
  mkdir "$tmp"
  umoci init --layout "$layout"
  umoci new --image "$layout:$tag"
  umoci unpack --rootless --image "$layout:$tag" "$tmp/bundle" >/dev/null
  mkdir -p "$tmp/bundle/rootfs/bin"
  cp /bin/busybox "$tmp/bundle/rootfs/bin/busybox"
  for applet in sh echo cat sleep; do ln -s busybox "$tmp/bundle/rootfs/bin/$applet"; done
  umoci repack --image "$layout:$tag" "$tmp/bundle"
  umoci config --image "$layout:$tag" --config.cmd /bin/sh
  rm -rf "$tmp"
}

# start_containerd: containerd with a private root, state and sockets under $work, with
# $build/cmd (the shim) first on PATH and COCOON_CONFIG=$work/cocoon.toml for the shim;
# defines ctr_ (ctr on that socket, namespace cocoon-test) and stops its tasks on exit.
start_containerd() {
  cat > "$work/containerd.toml" <<TOML
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
[grpc]
  address = "$work/containerd.sock"
[ttrpc]
  address = "$work/containerd.sock.ttrpc"
TOML
  PATH=$build/cmd:$PATH COCOON_CONFIG=$work/cocoon.toml \
    containerd --config "$work/containerd.toml" > "$work/containerd.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do [ -S "$work/containerd.sock" ] && return 0; sleep 0.1; done
  echo "containerd did not start:" >&2; cat "$work/containerd.log" >&2; return 1
}
ctr_() { ctr -a "$work/containerd.sock" -n cocoon-test "$@"; }
# Kills and deletes every task and container left in the test namespace.
stop_containerd_tasks() {
  local t c
  for t in $(ctr_ task ls -q 2>/dev/null); do
    ctr_ task kill -s KILL "$t" 2>/dev/null; ctr_ task delete -f "$t" 2>/dev/null
  done
  for c in $(ctr_ container ls -q 2>/dev/null); do ctr_ container delete "$c" 2>/dev/null; done
  true
}
