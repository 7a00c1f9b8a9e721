#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds the cocoon guest (an uncompressed vmlinux and a cpio initrd) from Debian packages,
# reproducibly: the same packages and payload give the same bytes, so the launch
# measurement is predictable.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  cat <<'USAGE'
Usage: build-guest.sh (--agent PATH | --init PATH) --out DIR [options]

Builds DIR/vmlinux, DIR/initrd.img and DIR/manifest.txt from Debian's linux-image-amd64
(the kernel package it depends on), busybox-static and optionally crun, fetched with
`apt-get download` into a cache. The initrd's /init (guest/init.sh) mounts /proc, /sys,
/dev, loads the chosen modules, names virtio-serial ports under /dev/virtio-ports/ and
execs the payload.

Payload (exactly one):
  --agent PATH          a cocoon-agent binary; installed stripped as /usr/bin/cocoon-agent
                        (its build ID stays: symbolize guest addresses against PATH) with
                        the shared libraries ldd lists
  --init PATH           a test init (script or static binary) run as the payload
  --bare                with --init: the test init itself is /init (no guest/init.sh);
                        it must mount and insmod (cocoon.load) itself (benchmark baseline)
Options:
  --out DIR             output directory (created; existing outputs replaced)
  --payload-args ARGS   arguments the payload is started with (split on blanks)
  --agent-config FILE   with --agent: installed as /etc/cocoon/agent.toml and passed to
                        the agent as --config (e.g. insecure_registries for a local
                        registry reached through a guest forward)
  --wait-port NAME      virtio-serial port /init waits for (default agent.channel.0;
                        "" = none)
  --with-crun           add crun (and its libraries) as /usr/bin/crun
  --modules "M ..."     modules /init loads (dependencies are added); default: virtio
                        (pci, mmio, console, blk, net) and vsock
                        (vmw_vsock_virtio_transport)
  --late-modules "M ..."
                        modules for the agent's store and containers; default: overlay,
                        erofs, dm-crypt, dm-integrity, loop, xts, authenc, ecb, crc32c,
                        ext4. With --agent the agent loads them itself, while it already
                        serves (/etc/cocoon/modules); otherwise /init loads them too
  --compress none|gzip  initrd compression (default none: decompressing under TCG is
                        slow, and QEMU loads the file as is)
  --cache DIR           package cache (default ${XDG_CACHE_HOME:-~/.cache}/cocoon/guest)
  --check-reproducible  build twice in separate directories and compare the sha256 of
                        vmlinux and initrd.img; fails when they differ
  -h, --help            this text
Environment:
  SOURCE_DATE_EPOCH     mtime of every initrd entry (default: the mtime of the kernel
                        image inside its package)
Exit status: 0 built; 1 failed; 2 bad usage; 3 the Debian archive was unreachable
(apt-get download failed and the package is not cached).
USAGE
}

die() {
  echo "build-guest: $*" >&2
  exit 1
}

agent=""
init_payload=""
out=""
payload_args=""
agent_config=""
wait_port="agent.channel.0"
with_crun=0
# What the agent needs to serve: its channel (virtio-serial, or vsock), the init-data disk
# and the NIC /init configures.
modules="virtio_pci virtio_mmio virtio_console virtio_blk virtio_net vmw_vsock_virtio_transport"
# What only containers and the store need. The agent's encrypted store (src/agent/storage):
# LUKS2 aes-xts + hmac(sha256) needs authenc and ecb (under xts; hmac, sha256 and aes are
# built in); its ext4 file system wants crc32c first (a softdep that modules.dep does not
# list). ext4 alone takes about 0.25 s to load under TCG.
late_modules="overlay erofs dm-crypt dm-integrity loop xts authenc ecb crc32c_generic ext4"
compress=none
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cocoon/guest"
check_reproducible=0
bare=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    --agent) agent=$2; shift 2 ;;
    --init) init_payload=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --payload-args) payload_args=$2; shift 2 ;;
    --agent-config) agent_config=$2; shift 2 ;;
    --wait-port) wait_port=$2; shift 2 ;;
    --with-crun) with_crun=1; shift ;;
    --modules) modules=$2; shift 2 ;;
    --late-modules) late_modules=$2; shift 2 ;;
    --compress) compress=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --check-reproducible) check_reproducible=1; shift ;;
    --bare) bare=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build-guest: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [[ -n "$agent" && -n "$init_payload" ]] || [[ -z "$agent" && -z "$init_payload" ]]; then
  echo "build-guest: give exactly one of --agent PATH and --init PATH (see --help)" >&2
  exit 2
fi
[[ $bare == 0 || -n "$init_payload" ]] ||
  { echo "build-guest: --bare needs --init PATH" >&2; exit 2; }
[[ -n "$out" ]] || { echo "build-guest: --out DIR is required (see --help)" >&2; exit 2; }
[[ "$compress" == none || "$compress" == gzip ]] ||
  { echo "build-guest: --compress must be none or gzip, not '$compress'" >&2; exit 2; }
[[ -z "$agent_config" || -n "$agent" ]] ||
  { echo "build-guest: --agent-config needs --agent PATH" >&2; exit 2; }
[[ -z "$agent_config" || -f "$agent_config" ]] || die "agent config '$agent_config' is not a file"
payload=${agent:-$init_payload}
[[ -f "$payload" && -x "$payload" ]] || die "payload '$payload' is not an executable file"
for tool in apt-get apt-cache dpkg-deb depmod cpio xz sha256sum ldd strip; do
  command -v "$tool" >/dev/null || die "'$tool' is missing (scripts/setup installs it)"
done

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
out=$(mkdir -p "$out" && cd "$out" && pwd)
payload=$(cd "$(dirname "$payload")" && pwd)/$(basename "$payload")

# The candidate version apt resolves for a package; the .deb path it is cached under.
candidate() {
  apt-cache policy "$1" | awk '/Candidate:/ { print $2 }'
}
# fetch PACKAGE: prints the path of the cached .deb of the candidate version.
fetch() {
  local pkg=$1 version file
  version=$(candidate "$pkg")
  [[ -n "$version" && "$version" != "(none)" ]] || die "apt knows no candidate for $pkg"
  file="$cache/${pkg}_${version//:/%3a}_amd64.deb"
  if [[ ! -s "$file" ]]; then
    if ! (cd "$cache" && apt-get download "$pkg=$version" >/dev/null 2>"$cache/apt.err"); then
      echo "build-guest: apt-get download $pkg=$version failed:" >&2
      cat "$cache/apt.err" >&2
      exit 3
    fi
  fi
  [[ -s "$file" ]] || die "apt-get download did not produce $file"
  echo "$file"
}

kernel_pkg=$(apt-cache depends linux-image-amd64 |
  awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[[ -n "$kernel_pkg" ]] || die "linux-image-amd64 depends on no linux-image-<release> package"
kernel_deb=$(fetch "$kernel_pkg")
busybox_deb=$(fetch busybox-static)
crun_deb=""
if [[ $with_crun == 1 ]]; then
  crun_deb=$(fetch crun)
fi
# The agent makes its store's ext4 with e2fsprogs' mke2fs: busybox's makes only ext2 and
# writes every inode table (src/agent/storage/scratch_store.cc says why that matters).
e2fsprogs_deb=""
if [[ -n "$agent" ]]; then
  e2fsprogs_deb=$(fetch e2fsprogs)
fi
kernel_release=${kernel_pkg#linux-image-}

# Extracted once per package file; depmod over the whole tree gives the dependency list.
kernel_tree="$cache/tree/$(basename "$kernel_deb" .deb)"
if [[ ! -e "$kernel_tree/.done" ]]; then
  rm -rf "$kernel_tree"
  mkdir -p "$kernel_tree"
  dpkg-deb -x "$kernel_deb" "$kernel_tree"
  depmod -b "$kernel_tree" "$kernel_release"
  # The uncompressed kernel boots through its PVH entry without decompressing under TCG.
  vmlinuz="$kernel_tree/boot/vmlinuz-$kernel_release"
  offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n 1 | cut -d: -f1 || true)
  [[ -n "$offset" ]] || die "no xz stream in $vmlinuz"
  tail -c +$((offset + 1)) "$vmlinuz" | xz -dc --single-stream >"$kernel_tree/vmlinux" \
    2>/dev/null || true
  [[ "$(head -c 4 "$kernel_tree/vmlinux" | od -An -tx1 | tr -d ' ')" == 7f454c46 ]] ||
    die "the xz stream of $vmlinuz is not an ELF vmlinux"
  touch "$kernel_tree/.done"
fi
vmlinuz="$kernel_tree/boot/vmlinuz-$kernel_release"
moddir="$kernel_tree/lib/modules/$kernel_release"
epoch=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$vmlinuz")}

# module_path NAME: the modules.dep key of a module ('-' and '_' are the same in names).
module_path() {
  local name=${1//-/_}
  awk -F: -v n="$name" '{ b = $1; sub(/.*\//, "", b); sub(/\.ko.*$/, "", b);
    gsub(/-/, "_", b); if (b == n) { print $1; exit } }' "$moddir/modules.dep"
}
declare -A seen=()
load_order=()
# add_module PATH: its dependencies first (modules.dep lists them outermost first).
add_module() {
  local path=$1 deps i
  [[ -n "${seen[$path]:-}" ]] && return 0
  seen[$path]=1
  read -r -a deps <<<"$(awk -F': ?' -v p="$path" '$1 == p { print $2; exit }' \
    "$moddir/modules.dep")"
  for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
    add_module "${deps[i]}"
  done
  load_order+=("$path")
}

# order_modules "M ...": appends the modules and their dependencies to load_order.
order_modules() {
  local m path
  if [[ -n "$(module_path crc32c_generic)" && " $1 " == *" erofs "* ]]; then
    # libcrc32c's softdep (crc32c) is not in modules.dep.
    add_module "$(module_path crc32c_generic)"
  fi
  for m in $1; do
    path=$(module_path "$m")
    [[ -n "$path" ]] || die "module $m is not in $kernel_pkg"
    add_module "$path"
  done
}

# build_once DIR: the whole guest into DIR (vmlinux, initrd.img).
build_once() {
  local dir=$1 root="$1/root" path
  rm -rf "$dir"
  mkdir -p "$root"

  cp "$kernel_tree/vmlinux" "$dir/vmlinux"

  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,etc/cocoon,root}
  mkdir -p "$root/lib/modules/$kernel_release"
  dpkg-deb --fsys-tarfile "$busybox_deb" | tar -xO ./bin/busybox >"$root/bin/busybox"
  chmod 0755 "$root/bin/busybox"
  for m in $("$root/bin/busybox" --list); do
    [[ "$m" == busybox || -e "$root/bin/$m" ]] || ln -s busybox "$root/bin/$m"
  done
  if [[ $bare == 1 ]]; then
    install -m 0755 "$payload" "$root/init"
  else
    install -m 0755 "$here/init.sh" "$root/init"
  fi

  seen=()
  load_order=()
  order_modules "$modules"
  local boot_count=${#load_order[@]}
  order_modules "$late_modules"
  for path in "${load_order[@]}"; do
    install -D -m 0644 "$moddir/$path" "$root/lib/modules/$kernel_release/$path"
  done
  cp "$moddir"/modules.{builtin,builtin.modinfo,order} "$root/lib/modules/$kernel_release/"
  depmod -b "$root" "$kernel_release"
  if [[ -n "$agent" ]]; then
    # /init loads what the agent needs to serve; the agent loads the rest by path while it
    # serves, and sets up its store after them (src/agent/guest_init.h).
    printf '%s\n' "${load_order[@]:0:boot_count}" >"$root/lib/modules/cocoon.load"
    printf "/lib/modules/$kernel_release/%s\n" "${load_order[@]:boot_count}" \
      >"$root/etc/cocoon/modules"
  else
    printf '%s\n' "${load_order[@]}" >"$root/lib/modules/cocoon.load"
  fi

  if [[ -n "$agent" ]]; then
    # Stripped: the initrd is unpacked and copied at every boot, and a dev (ASan) agent's
    # symbols are 70 MiB of it; the guest has no symbolizer to use them anyway.
    install -m 0755 "$payload" "$root/usr/bin/cocoon-agent"
    strip "$root/usr/bin/cocoon-agent"
    ln -s ../usr/bin/cocoon-agent "$root/sbin/cocoon-payload"
  elif [[ $bare == 0 ]]; then
    install -m 0755 "$payload" "$root/sbin/cocoon-payload"
  fi
  if [[ -n "$crun_deb" ]]; then
    dpkg-deb --fsys-tarfile "$crun_deb" | tar -xO ./usr/bin/crun >"$root/usr/bin/crun"
    chmod 0755 "$root/usr/bin/crun"
  fi
  if [[ -n "$e2fsprogs_deb" ]]; then
    dpkg-deb --fsys-tarfile "$e2fsprogs_deb" | tar -xO ./sbin/mke2fs >"$root/sbin/mke2fs"
    chmod 0755 "$root/sbin/mke2fs"
  fi
  # Shared libraries of dynamic binaries, at the paths the loader looks for them.
  local bin lib
  for bin in "$root/usr/bin/cocoon-agent" "$root/usr/bin/crun" "$root/sbin/cocoon-payload" \
    "$root/sbin/mke2fs"; do
    [[ -f "$bin" && ! -L "$bin" ]] || continue
    for lib in $(ldd "$bin" 2>/dev/null | grep -oE '/[^ ]+' | sort -u); do
      [[ -e "$root$lib" ]] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
    done
  done
  # Libraries the agent dlopens at first use, which ldd cannot list (common/shared_library.h):
  # libcurl (image pulls, the KBS), ISA-L (gzip layers), libcryptsetup (the encrypted
  # scratch store) and tpm2-tss (vTPM quotes), whose TCTI loader in turn dlopens
  # libtss2-tcti-device for /dev/tpmrm0. Each with what ldd lists for it, next to libc.
  local libc libdir soname
  for libc in "$root"/lib/*/libc.so.6 "$root"/usr/lib/*/libc.so.6; do
    [[ -n "$agent" && -e "$libc" ]] || continue
    libdir="$(dirname "${libc#"$root"}")"
    for soname in libcurl.so.4 libisal.so.2 libcryptsetup.so.12 libtss2-tctildr.so.0 \
      libtss2-esys.so.0 libtss2-mu.so.0 libtss2-rc.so.0 libtss2-tcti-device.so.0; do
      for lib in "$libdir/$soname" $(ldd "$libdir/$soname" | grep -oE '/[^ ]+' | sort -u); do
        [[ -e "$root$lib" ]] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
      done
    done
  done
  if [[ -n "$agent_config" ]]; then
    install -m 0644 "$agent_config" "$root/etc/cocoon/agent.toml"
    payload_args="--config /etc/cocoon/agent.toml${payload_args:+ $payload_args}"
  fi
  [[ -z "$payload_args" ]] || echo "$payload_args" >"$root/etc/cocoon/payload.args"
  [[ -z "$wait_port" ]] || echo "$wait_port" >"$root/etc/cocoon/wait-port"

  # Reproducible archive: sorted names, owner 0:0, one mtime, no inode/device numbers.
  find "$root" -exec touch -h -d "@$epoch" {} +
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc -R 0:0 --reproducible >"$dir/initrd.cpio")
  rm -rf "$root"
  if [[ "$compress" == gzip ]]; then
    gzip -n -9 -c "$dir/initrd.cpio" >"$dir/initrd.img"
    rm "$dir/initrd.cpio"
  else
    mv "$dir/initrd.cpio" "$dir/initrd.img"
  fi
}

version_of() {
  dpkg-deb -W --showformat='${Package} ${Version}' "$1"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/cocoon-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT
build_once "$work/a"
if [[ $check_reproducible == 1 ]]; then
  build_once "$work/b"
  for f in vmlinux initrd.img; do
    a=$(sha256sum <"$work/a/$f" | cut -d' ' -f1)
    b=$(sha256sum <"$work/b/$f" | cut -d' ' -f1)
    [[ "$a" == "$b" ]] || die "$f is not reproducible: $a != $b"
  done
  echo "build-guest: reproducible (two builds, identical vmlinux and initrd.img)" >&2
fi

mv -f "$work/a/vmlinux" "$out/vmlinux"
mv -f "$work/a/initrd.img" "$out/initrd.img"
{
  echo "# cocoon guest manifest (guest/build-guest.sh)"
  echo "package $(version_of "$kernel_deb")"
  echo "package $(version_of "$busybox_deb")"
  [[ -z "$crun_deb" ]] || echo "package $(version_of "$crun_deb")"
  [[ -z "$e2fsprogs_deb" ]] || echo "package $(version_of "$e2fsprogs_deb")"
  echo "kernel-release $kernel_release"
  echo "payload $(if [[ -n "$agent" ]]; then echo agent; elif [[ $bare == 1 ]]; then
    echo bare-init; else echo init; fi)" \
    "sha256:$(sha256sum <"$payload" | cut -d' ' -f1)"
  echo "modules ${load_order[*]##*/}"
  [[ -z "$agent_config" ]] ||
    echo "agent-config sha256:$(sha256sum <"$agent_config" | cut -d' ' -f1)"
  echo "compress $compress"
  echo "source-date-epoch $epoch"
  echo "sha256 vmlinux $(sha256sum <"$out/vmlinux" | cut -d' ' -f1)"
  echo "sha256 initrd.img $(sha256sum <"$out/initrd.img" | cut -d' ' -f1)"
} >"$out/manifest.txt"
cat "$out/manifest.txt"
