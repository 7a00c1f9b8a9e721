#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the image_crypt benchmark image once into the cache directory $1: 4 gzip layers
# made by umoci from generated files (incompressible random blobs next to repetitive text,
# so gzip does real work: about 76 MB of files, 58 MB compressed), as the OCI layout
# $1/layout tag v1. The content is seeded, so every build gives the same files. Does
# nothing when $1/layout.done exists. Needs umoci and python3.
set -euo pipefail
mkdir -p "$1"
cache=$(cd "$1" && pwd)
[ -e "$cache/layout.done" ] && exit 0
layout=$cache/layout
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000
rm -rf "$layout"
umoci init --layout "$layout"
umoci new --image "$layout:v1"
umoci unpack --image "$layout:v1" "$work/bundle" >/dev/null

# layer N RANDOM_MIB TEXT_MIB FILES: adds directory layer<N> with FILES files, then repacks.
layer() {
  python3 - "$work/bundle/rootfs/layer$1" "$1" "$2" "$3" "$4" <<'PY'
import os, random, sys
root, seed, rand_mib, text_mib, files = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:])
rng = random.Random(seed)
os.makedirs(root, exist_ok=True)
words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
         for _ in range(2000)]
for i in range(files):
    with open(os.path.join(root, f"random-{i}.bin"), "wb") as f:
        f.write(rng.randbytes(rand_mib * 2**20 // files))
    with open(os.path.join(root, f"text-{i}.txt"), "wb") as f:
        left = text_mib * 2**20 // files
        while left > 0:
            line = b" ".join(rng.choice(words) for _ in range(12)) + b"\n"
            f.write(line[:left])
            left -= len(line)
PY
  umoci repack --refresh-bundle --image "$layout:v1" "$work/bundle" >/dev/null
}
echo "image_crypt: generating 4 layers ..." >&2
layer 1 16 12 40
layer 2 12 8 200
layer 3 8 8 12
layer 4 6 6 4
umoci config --image "$layout:v1" --config.cmd /bin/sh >/dev/null
umoci gc --layout "$layout"
touch "$cache/layout.done"
