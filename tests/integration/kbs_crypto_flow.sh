#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The cryptographic core of the KBS attestation protocol (RCAR) between a guest and the
# owner's key broker, run with the `cocoon` CLI and cross-checked with the openssl CLI.
# Used by scripts/demo and as the ctest test integration.kbs_crypto_flow.
# Usage: kbs_crypto_flow.sh PATH/TO/cocoon
set -euo pipefail
cocoon=${1:?usage: kbs_crypto_flow.sh PATH/TO/cocoon}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n== %s ==\n' "$*"; }

step "1. guest: ephemeral EC P-256 key for the KBS session (the tee-pubkey)"
"$cocoon" key generate --type ec-p256 --out "$work/tee.pem"
"$cocoon" key public --jwk "$work/tee.pem" > "$work/tee-pub.jwk"
cat "$work/tee-pub.jwk"
echo "thumbprint: $("$cocoon" key thumbprint "$work/tee.pem")"

step "2. guest: report_data = SHA-384(JCS({nonce, tee-pubkey})) for the KBS challenge"
nonce=$(openssl rand -base64 32)
printf '{"tee-pubkey": %s, "nonce": "%s"}' "$(cat "$work/tee-pub.jwk")" "$nonce" > "$work/binding.json"
echo "canonical: $("$cocoon" jcs "$work/binding.json")"
ours=$("$cocoon" jcs --hash sha384 "$work/binding.json")
theirs=$("$cocoon" jcs "$work/binding.json" | tr -d '\n' | openssl dgst -sha384 -r | cut -d' ' -f1)
echo "report_data (SHA-384, zero-padded to 64 bytes in the report): $ours"
[ "$ours" = "$theirs" ] || { echo "demo: digest differs from openssl's" >&2; exit 1; }
echo "openssl dgst -sha384 agrees"
check=$(printf '{"b":1,"a":"test","c":{"d":"e"}}' | "$cocoon" jcs --hash sha384)
[ "$check" = "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c4597480a186427c813ca941da78870c3" ] \
  || { echo "demo: the KBS protocol's JCS check vector does not match" >&2; exit 1; }
echo "KBS protocol JCS check vector: ok"

step "3. owner's KBS: resource encrypted to the tee-pubkey; guest decrypts it"
openssl rand -hex 32 > "$work/image-key.txt"
"$cocoon" jwe encrypt --kbs --to "$work/tee-pub.jwk" "$work/image-key.txt" > "$work/response.json"
echo "response: $(head -c 160 "$work/response.json")…"
"$cocoon" jwe decrypt --kbs --key "$work/tee.pem" "$work/response.json" > "$work/decrypted.txt"
cmp -s "$work/image-key.txt" "$work/decrypted.txt" || { echo "demo: decrypted resource differs" >&2; exit 1; }
echo "decrypted resource matches what the KBS encrypted"
"$cocoon" key generate --type ec-p256 --out "$work/other.pem"
if "$cocoon" jwe decrypt --kbs --key "$work/other.pem" "$work/response.json" 2> "$work/err.txt"; then
  echo "demo: another key decrypted the response" >&2; exit 1
fi
grep -q DECRYPTION_FAILED "$work/err.txt" || { cat "$work/err.txt" >&2; exit 1; }
echo "another guest's key is refused: $(cat "$work/err.txt")"

step "4. owner: Ed25519 admin token, verified by cocoon and by openssl"
"$cocoon" key generate --type ed25519 --out "$work/admin.pem"
"$cocoon" key public "$work/admin.pem" > "$work/admin-pub.pem"
printf '{"iss":"owner","aud":"cocoon-kbs"}' | "$cocoon" jwt sign --key "$work/admin.pem" --alg EdDSA --typ JWT > "$work/token"
echo "token: $(cut -c1-100 "$work/token")…"
"$cocoon" jwt verify --key "$work/admin-pub.pem" --alg EdDSA --iss owner --aud cocoon-kbs "$work/token"
token=$(cat "$work/token")
printf '%s' "${token%.*}" > "$work/signing-input"
sig=${token##*.}
sig=$(printf '%s' "$sig" | tr '_-' '/+')
while [ $(( ${#sig} % 4 )) -ne 0 ]; do sig="$sig="; done
printf '%s' "$sig" | openssl base64 -d -A > "$work/sig.bin"
openssl pkeyutl -verify -pubin -inkey "$work/admin-pub.pem" -rawin -in "$work/signing-input" \
  -sigfile "$work/sig.bin"
if "$cocoon" jwt verify --key "$work/admin-pub.pem" --alg ES256 "$work/token" 2> "$work/err.txt"; then
  echo "demo: a token was accepted with an algorithm outside the allow-list" >&2; exit 1
fi
grep -q ALGORITHM_NOT_ALLOWED "$work/err.txt" || { cat "$work/err.txt" >&2; exit 1; }
echo "algorithm outside the allow-list refused: $(cat "$work/err.txt")"

step "5. evidence-style signature: ES384 JWS over a payload; a changed payload is refused"
"$cocoon" key generate --type ec-p384 --jwk --out "$work/p384.jwk"
printf 'measurement=%s' "$(openssl rand -hex 48)" > "$work/payload"
"$cocoon" jws sign --key "$work/p384.jwk" --alg ES384 "$work/payload" > "$work/jws"
"$cocoon" jws verify --key "$work/p384.jwk" --alg ES384 "$work/jws" | cmp -s - "$work/payload" \
  || { echo "demo: JWS payload differs" >&2; exit 1; }
echo "ES384 JWS verified: $(cut -c1-60 "$work/jws")…"
jws=$(cat "$work/jws")
printf '%s.%s.%s\n' "${jws%%.*}" "$(printf 'measurement=0' | openssl base64 -A | tr '+/' '-_' | tr -d '=')" \
  "${jws##*.}" > "$work/forged"
if "$cocoon" jws verify --key "$work/p384.jwk" --alg ES384 "$work/forged" 2> "$work/err.txt"; then
  echo "demo: a changed payload verified" >&2; exit 1
fi
grep -q BAD_SIGNATURE "$work/err.txt" || { cat "$work/err.txt" >&2; exit 1; }
echo "changed payload refused: $(cat "$work/err.txt")"

printf '\ndemo: all steps passed\n'
