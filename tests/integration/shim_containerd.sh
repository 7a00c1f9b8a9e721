#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# containerd-shim-cocoon-v2 under real containerd (1.6, private root/state/socket), with the
# runtime config's process sandbox backend (cocoon-agent on the host, runc) so that the
# shim protocol is exercised without booting a guest:
#   1. `ctr run --runtime io.containerd.cocoon.v2 --rootfs EMPTY --annotation
#      io.cocoon.image=REF` — the agent pulls the image itself; stdout comes back through
#      containerd's FIFOs and the exit code propagates;
#   2. a long-running task: `ctr task ls` shows it, `ctr task kill` + `ctr task delete` end
#      it, and no agent process, shim or sandbox directory is left;
#   3. a bundle without an image annotation fails with the shim's own message.
# With GUEST_DIR (a guest from guest/build-guest.sh --agent ... --with-crun whose agent
# trusts the registry at 10.0.2.100:5000 and runs --permissive-policy), the same runs
# through the vm backend: QEMU (TCG) boots the guest, whose agent pulls through a guestfwd.
# ctest tests integration.shim_containerd and shim_vm.containerd (root only).
# Usage: shim_containerd.sh BUILD_DIR SOURCE_DIR [GUEST_DIR]
set -euo pipefail
build=$(cd "${1:?usage: shim_containerd.sh BUILD_DIR SOURCE_DIR}" && pwd)
src=${2:?usage: shim_containerd.sh BUILD_DIR SOURCE_DIR [GUEST_DIR]}
guest=${3:-}
cocoon=$build/cmd/cocoon
kbs_bin=$build/cmd/cocoon-kbs
work=$(mktemp -d)
source "$src/tests/integration/lib.sh"
die() { echo "shim_containerd: $*" >&2; [ -f "$work/containerd.log" ] && tail -30 "$work/containerd.log" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  echo "shim_containerd: needs root (containerd, runc); skipped"
  exit 0
fi
for tool in containerd ctr runc umoci skopeo docker-registry; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup installs it)"
done

step "1. a busybox image in a local registry"
start_registry
make_busybox_image "$work/layout" bb
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:bb" "docker://$registry/test/busybox:v1"
image=$registry/test/busybox:v1
printf '[image]\ninsecure_registries = ["%s"]\n' "$registry" > "$work/agent.toml"

backend=process
[ -z "$guest" ] || backend=vm
step "2. containerd with a private root, the shim on PATH, the $backend sandbox backend"
if [ -z "$guest" ]; then
  cat > "$work/cocoon.toml" <<TOML
[sandbox]
backend = "process"
oci_runtime = "$(command -v runc)"
agent_binary = "$build/cmd/cocoon-agent"
agent_config = "$work/agent.toml"
permissive_policy = true
TOML
else
  if [ ! -f "$guest/manifest.txt" ]; then  # the guest the sandbox_vm tests build, if absent
    printf '[image]\ninsecure_registries = ["10.0.2.100:5000"]\n' > "$work/guest-agent.toml"
    rc=0
    "$src/guest/build-guest.sh" --agent "$build/cmd/cocoon-agent" --with-crun \
      --agent-config "$work/guest-agent.toml" --payload-args --permissive-policy \
      --out "$guest" || rc=$?
    if [ "$rc" -eq 3 ]; then echo "shim_containerd: Debian archive unreachable, no guest; skipped"; exit 0; fi
    [ "$rc" -eq 0 ] || die "guest/build-guest.sh failed ($rc)"
  fi
  # The guest reaches the registry at 10.0.2.100:5000 (QEMU user networking, guestfwd).
  image=10.0.2.100:5000/test/busybox:v1
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
guest_forwards = ["10.0.2.100:5000=${registry}"]
[timeouts]
boot = 120
TOML
fi
# What runs the sandbox on the host: the agent process, or QEMU.
sandbox_proc="cocoon-agent.*run2"
[ -z "$guest" ] || sandbox_proc="qemu-system.*run2"
start_containerd || die "containerd did not start"
stop_tasks() {  # leave nothing running if the test fails midway
  stop_containerd_tasks
  rm -f /run/cocoon/sandboxes/run[123].console.log
}
lib_cleanup_hooks+=(stop_tasks)
mkdir -p "$work/empty"

step "3. ctr run: output and exit code come back"
rc=0
ctr_ run --rm --runtime io.containerd.cocoon.v2 --rootfs --annotation "io.cocoon.image=$image" \
  "$work/empty" run1 sh -c 'echo hello from the sandbox; echo to stderr >&2; exit 7' \
  > "$work/out" 2> "$work/err" || rc=$?
cat "$work/out"
[ "$rc" -eq 7 ] || { cat "$work/err" >&2; die "exit status $rc, expected 7"; }
grep -qx "hello from the sandbox" "$work/out" || die "stdout missing"
grep -qx "to stderr" "$work/err" || die "stderr missing"
echo "exit status 7 propagated"

step "4. a running task: kill and delete clean up"
ctr_ run -d --runtime io.containerd.cocoon.v2 --rootfs --annotation "io.cocoon.image=$image" \
  "$work/empty" run2 sleep 300
ctr_ task ls | grep -q "run2.*RUNNING" || { ctr_ task ls; die "run2 is not RUNNING"; }
pgrep -f "$sandbox_proc" >/dev/null || die "no sandbox process ($sandbox_proc) for run2"
out=$(ctr_ task exec --exec-id probe run2 sh -c 'echo exec works; exit 3') && rc=0 || rc=$?
[ "$out" = "exec works" ] && [ "$rc" -eq 3 ] || die "exec: output '$out', status $rc"
echo "exec: output and exit status 3 came back"
ctr_ task pause run2
ctr_ task ls | grep -q "run2.*PAUSED" || { ctr_ task ls; die "run2 is not PAUSED"; }
ctr_ task resume run2
ctr_ task ls | grep -q "run2.*RUNNING" || { ctr_ task ls; die "run2 did not resume"; }
echo "paused and resumed"
ctr_ task metrics run2 > "$work/metrics" || die "ctr task metrics failed"
grep -q "memory.usage_in_bytes" "$work/metrics" || { cat "$work/metrics"; die "no memory usage in the metrics"; }
echo "metrics: $(grep memory.usage_in_bytes "$work/metrics" | tr -s ' ')"
# sleep is PID 1 of its namespace: it ignores SIGTERM, as under runc
ctr_ task kill -s KILL run2
for _ in $(seq 1 100); do ctr_ task ls | grep -q "run2.*STOPPED" && break; sleep 0.1; done
ctr_ task ls | grep -q "run2.*STOPPED" || { ctr_ task ls; die "run2 did not stop"; }
ctr_ task delete run2
ctr_ container delete run2
# The shim exits shortly after containerd's Shutdown; the agent goes with the sandbox.
for _ in $(seq 1 100); do
  pgrep -f "$sandbox_proc|containerd-shim-cocoon-v2.*run2" >/dev/null || break
  sleep 0.1
done
! pgrep -f "$sandbox_proc" >/dev/null || die "the sandbox of run2 is still running"
! pgrep -f "containerd-shim-cocoon-v2.*run2" >/dev/null || die "the shim of run2 is still running"
[ ! -d /run/cocoon/sandboxes/run2 ] || die "/run/cocoon/sandboxes/run2 is left"
echo "killed, deleted, nothing left"

step "5. no image annotation: the shim says what is missing"
if ctr_ run --rm --runtime io.containerd.cocoon.v2 --rootfs "$work/empty" run3 true 2> "$work/err"; then
  die "a container without an image reference started"
fi
grep -q "io.cocoon.image" "$work/err" || { cat "$work/err" >&2; die "no hint about io.cocoon.image"; }
echo "refused: $(tail -1 "$work/err")"
echo
echo "shim_containerd: ok"
