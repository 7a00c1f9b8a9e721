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
source "$src/tests/integration/lib.sh"
remove_bundle() { "$cocoon" image rm-bundle "$work/bundle" 2>/dev/null; }
lib_cleanup_hooks+=(remove_bundle)

if [ "$(id -u)" -ne 0 ]; then
  echo "owner_to_guest_flow: needs root (overlayfs mounts, device nodes); skipped"
  exit 0
fi

step "1. owner: admin key, cocoon-kbs (development mode), an image key stored in it"
start_kbs
url=$kbs_url
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
start_registry
host=$registry
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:app" "docker://$host/demo/app:v1"
CONTAINERS_REGISTRIES_CONF=$work/registries.conf COCOON_STORE=$work/store \
  "$cocoon" image pull "$host/demo/app:v1" --dest "$work/bundle"
umoci unpack --image "$work/layout:app" "$work/umoci" >/dev/null
python3 "$src/tests/support/tree_diff.py" "$work/umoci/rootfs" "$work/bundle/rootfs"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print("config.json: args", s["process"]["args"], "uid", s["process"]["user"]["uid"], "cwd", s["process"]["cwd"])' "$work/bundle/config.json"
echo
echo "owner_to_guest_flow: ok"
