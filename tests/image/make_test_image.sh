#!/usr/bin/env bash
# Builds a multi-layer OCI image with umoci into layout $1 as tag $2 (default "tree"):
# each step repacks into its own layer, so the image carries whiteouts, a replaced
# directory, hardlinks, symlinks, an xattr, setuid/setgid/sticky modes, a fifo, a device
# node and owners other than root. Needs root (owners, mknod) and umoci.
set -euo pipefail
layout=$1
tag=${2:-tree}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000

umoci init --layout "$layout" 2>/dev/null || true
umoci new --image "$layout:$tag"
unpack() { rm -rf "$work/b"; umoci unpack --image "$layout:$tag" "$work/b" >/dev/null; }
repack() { umoci repack --image "$layout:$tag" "$work/b"; }

# Layer 1: a base tree.
unpack
r=$work/b/rootfs
mkdir -p "$r"/{bin,etc,usr/lib,var/log,tmp,data/keep,data/gone,opq/old}
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n' > "$r/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' > "$r/etc/group"
printf '#!/bin/sh\necho hello\n' > "$r/bin/hello"; chmod 0755 "$r/bin/hello"
head -c 300000 /dev/urandom > "$r/usr/lib/blob.bin"
cp -a /usr/share/common-licenses "$r/usr/share-licenses" 2>/dev/null || mkdir -p "$r/usr/share-licenses"
echo keep > "$r/data/keep/file"; echo gone > "$r/data/gone/file"; echo old > "$r/opq/old/a"
echo first > "$r/etc/motd"
ln -s ../usr/lib/blob.bin "$r/bin/blob-link"
ln -s /etc/passwd "$r/etc/abs-link"
ln "$r/bin/hello" "$r/bin/hello-hard"
cp "$r/bin/hello" "$r/bin/suid"; chmod 4755 "$r/bin/suid"
mkdir -p "$r/srv/sgid"; chmod 2775 "$r/srv/sgid"; chmod 1777 "$r/tmp"
mkfifo "$r/var/log/fifo"
mknod "$r/bin/null-dev" c 1 3
echo owned > "$r/data/owned"; chown 1000:1000 "$r/data/owned"
python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.cocoon", b"layer-one")' "$r/usr/lib/blob.bin"
truncate -s 4M "$r/usr/lib/sparse.img"; printf 'end' >> "$r/usr/lib/sparse.img"
touch -h -d @1600000000 "$r/etc/motd"
repack

# Layer 2: deletions (whiteouts), a directory replaced by a file, changed content and mode.
unpack
r=$work/b/rootfs
rm -rf "$r/data/gone" "$r/etc/abs-link"
rm -rf "$r/opq/old"; echo new > "$r/opq/old"
echo second > "$r/etc/motd"
chmod 0600 "$r/data/keep/file"
mkdir -p "$r/added/deep/er"; echo deep > "$r/added/deep/er/f"
repack

# Layer 3: a directory emptied and refilled (opaque when the tool writes one), a hardlink
# to a file of an earlier layer, a symlink replaced by a file.
unpack
r=$work/b/rootfs
rm -rf "$r/added/deep"; mkdir -p "$r/added/deep"; echo again > "$r/added/deep/g"
ln "$r/usr/lib/blob.bin" "$r/usr/lib/blob-hard"
rm "$r/bin/blob-link"; echo "now a file" > "$r/bin/blob-link"
repack
umoci config --image "$layout:$tag" --config.cmd /bin/hello --config.user app \
  --config.workingdir /data --config.env GREETING=hi
umoci gc --layout "$layout"
