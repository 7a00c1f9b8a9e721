#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the image_pull benchmark image once into the cache directory $1: a debootstrap
# bookworm minbase tree (+ python3, for a few hundred MB) split by umoci into gzip layers
# (usr/lib, usr/share, the rest) plus a hand-made fourth layer with whiteouts, an opaque
# directory and replaced files, as the OCI layout $1/layout tag v1; $1/layers.txt lists
# "BLOB COMPRESSED_BYTES UNCOMPRESSED_BYTES" per layer. Does nothing when that file exists.
# Needs root (owners, device nodes), debootstrap, umoci and the Debian archive.
set -euo pipefail
mkdir -p "$1"
cache=$(cd "$1" && pwd)
[ -s "$cache/layers.txt" ] && exit 0
root=$cache/rootfs
log=$cache/make_image.log
: >"$log"
export SOURCE_DATE_EPOCH=1700000000

# The Debian mirror this machine's apt uses: one-line sources.list or deb822 .sources.
mirror() {
  local f line
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    while read -r line; do
      case $line in
        deb\ http*) line=${line#deb }; line=${line%% *} ;;
        URIs:\ *) line=${line#URIs: }; line=${line%% *} ;;
        *) continue ;;
      esac
      # The security archive has no bookworm suite of its own.
      [[ $line == *security* ]] && continue
      echo "$line"
      return 0
    done <"$f"
  done
  return 1
}

if [ ! -e "$cache/rootfs.done" ]; then
  url=$(mirror) || { echo "no Debian mirror found in /etc/apt/sources.list*" >&2; exit 1; }
  echo "debootstrap minbase bookworm from $url (about a minute) ..." >&2
  rm -rf "$root"
  if ! debootstrap --variant=minbase --include=python3 bookworm "$root" "$url" >>"$log" 2>&1; then
    tail -20 "$log" >&2
    exit 1
  fi
  touch "$cache/rootfs.done"
fi

layout=$cache/layout
work=$cache/work
rm -rf "$layout" "$work"
mkdir -p "$work"
umoci init --layout "$layout"
umoci new --image "$layout:v1"
umoci unpack --image "$layout:v1" "$work/bundle" >>"$log"
rootfs=$work/bundle/rootfs

# One layer per step: copy a part of the tree into the bundle and repack only the change.
layer_from() {
  local what=$1
  shift
  echo "umoci layer: $what ..." >&2
  tar -C "$root" --xattrs --xattrs-include='*' -cf - "$@" |
    tar -C "$rootfs" --xattrs --xattrs-include='*' --numeric-owner -xpf -
  umoci repack --refresh-bundle --history.created_by "$what" --image "$layout:v1" \
    "$work/bundle" >>"$log"
}
layer_from "usr/lib" usr/lib
layer_from "usr/share" usr/share
layer_from "the rest" --exclude=./usr/lib --exclude=./usr/share .

# Layer 4 written by hand, so that it holds exactly the OCI whiteout forms: an opaque
# directory refilled, whole directories and single files deleted, a symlink and a large
# library replaced by regular files (a "security update").
echo "hand-made layer: whiteouts, opaque dir, replaced files ..." >&2
stage=$work/stage
mkdir -p "$stage/usr/share/doc/bench" "$stage/usr/share" "$stage/etc" "$stage/usr/bin"
touch "$stage/usr/share/doc/.wh..wh..opq"
echo "documentation removed by the benchmark image" >"$stage/usr/share/doc/bench/README"
for gone in usr/share/man usr/share/info usr/share/locale usr/share/zoneinfo \
  usr/bin/perl usr/bin/python3.11 etc/cron.daily var/log/apt var/cache/apt; do
  if [ -e "$root/$gone" ] || [ -L "$root/$gone" ]; then
    mkdir -p "$stage/$(dirname "$gone")"
    touch "$stage/$(dirname "$gone")/.wh.$(basename "$gone")"
  fi
done
printf 'PRETTY_NAME="cocoon bench"\nID=debian\n' >"$stage/etc/os-release"
libc=$(cd "$root" && find usr/lib -name 'libc.so.6' -print -quit)
if [ -n "$libc" ]; then
  mkdir -p "$stage/$(dirname "$libc")"
  cp -a "$root/$libc" "$stage/$libc"
fi
(cd "$stage" && tar --numeric-owner --owner=0 --group=0 -cf "$work/layer4.tar" -- *)
umoci raw add-layer --history.created_by "whiteouts and replacements" \
  --image "$layout:v1" "$work/layer4.tar" >>"$log"
umoci config --image "$layout:v1" --config.cmd /bin/bash --config.workingdir / >>"$log"
umoci gc --layout "$layout"
rm -rf "$work"

# The layer list, in manifest order, with uncompressed sizes for the MB/s figures.
python3 - "$layout" >"$cache/layers.txt.tmp" <<'PY'
import gzip, json, os, sys
layout = sys.argv[1]
blob = lambda d: os.path.join(layout, "blobs", *d.split(":"))
index = json.load(open(os.path.join(layout, "index.json")))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
for layer in manifest["layers"]:
    assert layer["mediaType"].endswith("tar+gzip"), layer["mediaType"]
    size = 0
    with gzip.open(blob(layer["digest"])) as f:
        while chunk := f.read(1 << 20):
            size += len(chunk)
    print(blob(layer["digest"]), layer["size"], size)
PY
mv "$cache/layers.txt.tmp" "$cache/layers.txt"
echo "image built: $(wc -l <"$cache/layers.txt") layers in $layout" >&2
