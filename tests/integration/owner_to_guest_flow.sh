#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The owner-to-guest flow with real processes, as far as it exists today:
#   1. the owner starts cocoon-kbs (development mode: sample evidence accepted) and stores
#      an image key in it, signed in with the Ed25519 admin key;
#   2. a guest runs the RCAR handshake (auth -> sample evidence bound to its ephemeral key
#      -> EAR token) and fetches the key, which only its private key decrypts;
#   3. an image built with umoci is pushed with skopeo to Debian's docker-registry, and the
#      guest image service pulls it (verify, decompress, untar in one pass) into an OCI
#      bundle; the tree is compared entry by entry with `umoci unpack`.
# Used by scripts/demo and as the ctest test integration.owner_to_guest_flow (root only:
# overlayfs, device nodes).
# Usage: owner_to_guest_flow.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=${1:?usage: owner_to_guest_flow.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: owner_to_guest_flow.sh BUILD_DIR SOURCE_DIR}
cocoon=$build/cmd/cocoon
kbs_bin=$build/cmd/cocoon-kbs
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  "$cocoon" image rm-bundle "$work/bundle" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s ==\n' "$*"; }
# Waits for "PATTERN" in FILE (a peer's log) and prints the match's first group.
wait_for() {
  local file=$1 pattern=$2
  for _ in $(seq 1 300); do
    if m=$(grep -oE "$pattern" "$file" 2>/dev/null | head -1) && [ -n "$m" ]; then
      echo "$m"; return 0
    fi
    sleep 0.1
  done
  echo "timed out waiting for /$pattern/ in $file:" >&2; cat "$file" >&2; return 1
}

if [ "$(id -u)" -ne 0 ]; then
  echo "owner_to_guest_flow: needs root (overlayfs mounts, device nodes); skipped"
  exit 0
fi

step "1. owner: admin key, cocoon-kbs (development mode), an image key stored in it"
"$cocoon" key generate --type ed25519 --out "$work/admin.pem"
"$cocoon" key public "$work/admin.pem" > "$work/admin.pub"
"$kbs_bin" --listen 127.0.0.1:0 --data-dir "$work/kbs" --admin-pubkey "$work/admin.pub" \
  --allow-sample > "$work/kbs.log" 2>&1 &
pids+=($!)
url=$(wait_for "$work/kbs.log" 'listening on http://127\.0\.0\.1:[0-9]+' | sed 's/listening on //')
echo "cocoon-kbs at $url"
head -c 32 /dev/urandom > "$work/image.key"
"$cocoon" kbs set-resource --url "$url" --admin-key "$work/admin.pem" default/image-key/app \
  --file "$work/image.key"
echo "stored default/image-key/app (32 bytes)"
if "$cocoon" kbs set-resource --url "$url" --admin-key "$work/image.key" a/b/c --file "$work/image.key" 2>/dev/null; then
  echo "an admin call signed by another key was accepted" >&2; exit 1
fi
echo "an admin call not signed by the admin key is refused"

step "2. guest: RCAR with sample evidence, then the image key, decrypted with its own key"
"$cocoon" kbs get-resource --url "$url" default/image-key/app --out "$work/got.key"
cmp "$work/image.key" "$work/got.key"
echo "the key the guest decrypted is the one the owner stored"

step "3. guest: pull an image from a registry into an OCI bundle"
"$src/tests/image/make_test_image.sh" "$work/layout" app >/dev/null
cat > "$work/registry.yml" <<YML
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:0
YML
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
pids+=($!)
host=$(wait_for "$work/registry.log" 'listening on 127\.0\.0\.1:[0-9]+' | sed 's/listening on //')
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:app" "docker://$host/demo/app:v1"
printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$host" > "$work/registries.conf"
CONTAINERS_REGISTRIES_CONF=$work/registries.conf COCOON_STORE=$work/store \
  "$cocoon" image pull "$host/demo/app:v1" --dest "$work/bundle"
umoci unpack --image "$work/layout:app" "$work/umoci" >/dev/null
python3 "$src/tests/support/tree_diff.py" "$work/umoci/rootfs" "$work/bundle/rootfs"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print("config.json: args", s["process"]["args"], "uid", s["process"]["user"]["uid"], "cwd", s["process"]["cwd"])' "$work/bundle/config.json"
echo
echo "owner_to_guest_flow: ok"
