#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `cocoon agent-ctl` against a real cocoon-agent (process mode, --listen unix:PATH, runc)
# and a real registry:
#   1. one call by name with a JSON request: Health.Check, Health.Version, GetGuestDetails;
#   2. `agent-ctl run IMAGE -- CMD`: the agent pulls the image, output and exit code come
#      back, the container is removed;
#   3. errors: an unknown call, request JSON that does not fit the message, a request the
#      agent's confidential default policy refuses (ExecProcess), and no agent at the address.
# ctest test integration.agent_ctl (root only: runc).
# Usage: agent_ctl.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "${1:?usage: agent_ctl.sh BUILD_DIR SOURCE_DIR}" && pwd)
src=${2:?usage: agent_ctl.sh BUILD_DIR SOURCE_DIR}
cocoon=$build/cmd/cocoon
work=$(mktemp -d)
source "$src/tests/integration/lib.sh"
die() { echo "agent_ctl: $*" >&2; [ -f "$work/agent.log" ] && tail -30 "$work/agent.log" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  echo "agent_ctl: needs root (runc); skipped"
  exit 0
fi
for tool in runc umoci skopeo docker-registry; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup installs it)"
done

# start_agent NAME ARGS...: cocoon-agent listening on $work/NAME.sock, with its own state.
start_agent() {
  local name=$1; shift
  "$build/cmd/cocoon-agent" --listen "unix:$work/$name.sock" --oci-runtime "$(command -v runc)" \
    --state-dir "$work/$name-state" --config "$work/agent.toml" "$@" > "$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do [ -S "$work/$name.sock" ] && return 0; sleep 0.1; done
  die "cocoon-agent $name did not start: $(cat "$work/$name.log")"
}
ctl() { "$cocoon" agent-ctl --address "unix:$work/agent.sock" "$@"; }

step "0. a busybox image in a local registry, an agent trusting it"
start_registry
make_busybox_image "$work/layout" bb
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:bb" "docker://$registry/test/busybox:v1"
printf '[image]\ninsecure_registries = ["%s"]\n' "$registry" > "$work/agent.toml"
start_agent agent --permissive-policy

step "1. calls by name"
ctl Health.Check '{}' | tee "$work/check.json"
grep -q '"status": *"SERVING"' "$work/check.json" || die "Health.Check: not SERVING"
ctl Health.Version | tee "$work/version.json"
grep -q '"agent_version"' "$work/version.json" || die "Health.Version: no agent_version"
ctl GetGuestDetails '{"mem_block_size": true}' > "$work/details.json"
grep -q '"agent_details"' "$work/details.json" || die "GetGuestDetails: no agent_details: $(cat "$work/details.json")"

step "2. agent-ctl run"
rc=0
ctl run "$registry/test/busybox:v1" -- sh -c 'echo hello from agent-ctl; exit 7' \
  > "$work/run.out" 2>"$work/run.err" || rc=$?
cat "$work/run.out"
[ "$rc" -eq 7 ] || die "agent-ctl run: exit $rc, expected 7: $(cat "$work/run.err")"
grep -qx 'hello from agent-ctl' "$work/run.out" || die "agent-ctl run: output missing"
[ -z "$(ls -A "$work/agent-state/bundles" 2>/dev/null)" ] || die "a bundle was left behind"

step "3. errors"
rc=0; ctl NoSuchCall '{}' 2>"$work/e1" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'unknown call grpc.AgentService/NoSuchCall' "$work/e1" ||
  die "unknown call: exit $rc: $(cat "$work/e1")"
rc=0; ctl CreateContainer '{"no_such_field": 1}' 2>"$work/e2" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'request JSON for CreateContainer' "$work/e2" ||
  die "bad JSON: exit $rc: $(cat "$work/e2")"
start_agent strict  # the confidential default policy
rc=0
"$cocoon" agent-ctl --address "unix:$work/strict.sock" ExecProcess '{"container_id":"c","exec_id":"e"}' \
  2>"$work/e3" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'PERMISSION_DENIED\|denied by rule' "$work/e3" ||
  die "policy denial: exit $rc: $(cat "$work/e3")"
rc=0
"$cocoon" agent-ctl --address "unix:$work/nobody.sock" Health.Check 2>"$work/e4" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'nobody.sock' "$work/e4" || die "no agent: exit $rc: $(cat "$work/e4")"
cat "$work/e3" "$work/e4"
echo "agent_ctl: all checks passed"
