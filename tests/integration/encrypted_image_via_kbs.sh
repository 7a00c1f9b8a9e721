#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# An image whose layer keys only the owner's KBS releases, pulled through attestation:
#   1. the owner starts cocoon-kbs (sample evidence accepted) and a local docker-registry;
#   2. `cocoon image encrypt --recipient provider:attestation-agent:kbs:///default/key/k1`
#      pushes an encrypted copy of a umoci-built image; the KEK goes into the KBS;
#   3. the guest pulls with `cocoon image pull --kbs`: the confidential data hub attests,
#      fetches the KEK, the layers decrypt; the tree equals `umoci unpack` of the plain image;
#   4. without the KEK (no --kbs, or the resource policy denying it) the pull fails with a
#      clear error and leaves no bundle and no layer behind;
#   5. sealed secrets: `cocoon secret seal` (signed) and `unseal` to stdout and to a tmpfs
#      file; a disk directory, a tampered signature and a denied resource are refused.
# ctest test integration.encrypted_image_via_kbs (root only: device nodes, owners).
# Usage: encrypted_image_via_kbs.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=${1:?usage: encrypted_image_via_kbs.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: encrypted_image_via_kbs.sh BUILD_DIR SOURCE_DIR}
cocoon=$build/cmd/cocoon
kbs_bin=$build/cmd/cocoon-kbs
work=$(mktemp -d)
shm=/dev/shm/cocoon-cdh.$$.$RANDOM
mkdir -m 0700 "$shm"
source "$src/tests/integration/lib.sh"
remove_shm() { rm -rf "$shm"; }
lib_cleanup_hooks+=(remove_shm)
die() { echo "encrypted_image_via_kbs: $*" >&2; exit 1; }
# Runs "$@", expecting exit status $1 and stderr containing $2.
expect_fail() {
  local want=$1 text=$2; shift 2
  local rc=0
  "$@" > "$work/out" 2> "$work/err" || rc=$?
  [ "$rc" -eq "$want" ] || { cat "$work/err" >&2; die "$* exited $rc, expected $want"; }
  grep -qF -- "$text" "$work/err" || { cat "$work/err" >&2; die "$*: no \"$text\" in stderr"; }
  echo "refused as expected (exit $rc): $(tail -1 "$work/err")"
}

if [ "$(id -u)" -ne 0 ]; then
  echo "encrypted_image_via_kbs: needs root (device nodes and owners in the test image); skipped"
  exit 0
fi

step "1. owner: cocoon-kbs (development mode) and a registry"
start_kbs
url=$kbs_url
start_registry
host=$registry
export CONTAINERS_REGISTRIES_CONF=$work/registries.conf
echo "cocoon-kbs at $url, registry at $host"

step "2. owner: encrypt an image for kbs:///default/key/k1, store the KEK in the KBS"
"$src/tests/image/make_test_image.sh" "$work/layout" app >/dev/null
umoci unpack --image "$work/layout:app" "$work/umoci" >/dev/null
head -c 32 /dev/urandom > "$work/k1.bin"
"$cocoon" image encrypt "oci:$work/layout:app" "$host/demo/app:enc" \
  --recipient provider:attestation-agent:kbs:///default/key/k1 --kek "$work/k1.bin"
"$cocoon" kbs set-resource --url "$url" --admin-key "$work/admin.pem" default/key/k1 \
  --file "$work/k1.bin"
pull() {  # pull DEST STORE [flags...]
  local dest=$1 store=$2; shift 2
  COCOON_STORE=$store "$cocoon" image pull "$host/demo/app:enc" --dest "$dest" --flatten \
    --insecure-policy "$@"
}
kbs_flags=(--kbs "$url" --tee sample --allow-sample)

step "3. guest: pull through attestation; the tree equals the plain image's"
pull "$work/bundle" "$work/store" "${kbs_flags[@]}"
python3 "$src/tests/support/tree_diff.py" "$work/umoci/rootfs" "$work/bundle/rootfs"
echo "decrypted tree matches umoci unpack of the plain image"

step "4. guest: without the KEK nothing is unpacked"
no_trace() {  # the bundle and every layer of a failed pull are gone
  [ ! -e "$1" ] || die "a failed pull left $1 behind"
  if [ -d "$2" ] && [ -n "$(find "$2" -type f -path '*layers*' -print -quit)" ]; then
    die "a failed pull left layers in $2"
  fi
}
expect_fail 4 "provider.attestation-agent" pull "$work/b-nokbs" "$work/s-nokbs"
no_trace "$work/b-nokbs" "$work/s-nokbs"
cat > "$work/deny.json" <<'JSON'
{"version":1,"id":"no-image-keys","rules":[{"id":"keys","when":{"prefix":[{"claim":"/resource_path"},"default/key/"]},"deny":"image keys are withheld"}],"default":"allow"}
JSON
"$cocoon" kbs set-policy --url "$url" --admin-key "$work/admin.pem" --kind resource "$work/deny.json"
expect_fail 4 "image keys are withheld" pull "$work/b-denied" "$work/s-denied" "${kbs_flags[@]}"
no_trace "$work/b-denied" "$work/s-denied"
printf '{"version":1,"id":"open","rules":[],"default":"allow"}\n' > "$work/allow.json"
"$cocoon" kbs set-policy --url "$url" --admin-key "$work/admin.pem" --kind resource "$work/allow.json"

step "4b. guest: the signature policy comes from the KBS (--policy kbs:///...), not the host"
printf '{"default":[{"type":"reject"}]}\n' > "$work/reject-policy.json"
"$cocoon" kbs set-resource --url "$url" --admin-key "$work/admin.pem" default/policy/image \
  --file "$work/reject-policy.json"
expect_fail 5 "reject" env COCOON_STORE="$work/s-policy" "$cocoon" image pull \
  "$host/demo/app:enc" --dest "$work/b-policy" --flatten --policy kbs:///default/policy/image \
  "${kbs_flags[@]}"
no_trace "$work/b-policy" "$work/s-policy"
printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' > "$work/accept-policy.json"
"$cocoon" kbs set-resource --url "$url" --admin-key "$work/admin.pem" default/policy/image \
  --file "$work/accept-policy.json"
COCOON_STORE="$work/s-policy" "$cocoon" image pull "$host/demo/app:enc" --dest "$work/b-policy" \
  --flatten --policy kbs:///default/policy/image "${kbs_flags[@]}"
python3 "$src/tests/support/tree_diff.py" "$work/umoci/rootfs" "$work/b-policy/rootfs"
expect_fail 1 "needs --kbs" env COCOON_STORE="$work/s-policy2" "$cocoon" image pull \
  "$host/demo/app:enc" --dest "$work/b-policy2" --flatten --policy kbs:///default/policy/image
echo "the policy the KBS holds decided both pulls"

step "5. sealed secrets: seal, unseal to stdout and into tmpfs"
"$cocoon" key generate --type ec-p256 --out "$work/seal.pem"
"$cocoon" key public "$work/seal.pem" > "$work/seal.pub"
printf 'hunter2' > "$work/db-password"
"$cocoon" kbs set-resource --url "$url" --admin-key "$work/admin.pem" default/sealed/db \
  --file "$work/db-password"
sealed=$("$cocoon" secret seal --name kbs:///default/sealed/db --signing-key "$work/seal.pem" \
  --kid seal-key)
case $sealed in sealed.*) ;; *) die "seal printed $sealed" ;; esac
value=$("$cocoon" secret unseal "$sealed" "${kbs_flags[@]}" --verification-key "$work/seal.pub")
[ "$value" = hunter2 ] || die "unseal printed '$value'"
"$cocoon" secret unseal "$sealed" "${kbs_flags[@]}" --output "$shm/db"
[ "$(cat "$shm/db")" = hunter2 ] && [ "$(stat -c %a "$shm/db")" = 400 ] || die "bad $shm/db"
echo "unsealed to stdout and to $shm/db (mode 400)"
expect_fail 6 "is not on tmpfs" "$cocoon" secret unseal "$sealed" "${kbs_flags[@]}" \
  --output "$work/db"
[ ! -e "$work/db" ] || die "a secret was written to disk"
tampered="${sealed%?}"; [ "${sealed: -1}" = A ] && tampered+=B || tampered+=A
expect_fail 4 "sealed secret signature" "$cocoon" secret unseal "$tampered" "${kbs_flags[@]}" \
  --verification-key "$work/seal.pub"
sed -i 's#default/key/#default/sealed/#' "$work/deny.json"
"$cocoon" kbs set-policy --url "$url" --admin-key "$work/admin.pem" --kind resource "$work/deny.json"
expect_fail 4 "image keys are withheld" "$cocoon" secret unseal "$sealed" "${kbs_flags[@]}"
echo
echo "encrypted_image_via_kbs: ok"
