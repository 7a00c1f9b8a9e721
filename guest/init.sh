#!/bin/busybox sh
# SPDX-License-Identifier: Apache-2.0
# /init of the cocoon guest initrd: mounts the kernel file systems, loads the modules
# build-guest.sh chose (in dependency order), names the virtio-serial ports as udev would
# (/dev/virtio-ports/<name>), brings up QEMU user networking when the VM has a NIC, then
# execs the payload (cocoon-agent or a test init).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

# OCI runtimes pivot_root(2) into the container's rootfs, which the kernel refuses while
# the namespace's root is the initramfs itself (rootfs: a mount without a parent). So the
# first /init bind-mounts the initramfs onto itself, moves that mount over / and chroots
# into it; the second one goes on. Nothing is copied: copying the tens of MiB of the
# agent's initramfs into a tmpfs cost seconds of every boot under TCG.
if [ "$$" = 1 ] && [ -z "$COCOON_ROOT_MOVED" ]; then
  mkdir -p /newroot
  mount -o bind / /newroot
  cd /newroot || exit 1
  mount -o move . /
  COCOON_ROOT_MOVED=1 exec chroot . /init
fi
unset COCOON_ROOT_MOVED

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs tmpfs /tmp

# One modprobe loads them, in cocoon.load's order (dependencies first, from the
# modules.dep build-guest.sh made): an insmod per module cost a fork and an exec of
# busybox each, about 20 ms apiece under TCG. The vsock ones only when the VM has a vsock
# device (virtio id 0x0013; the runtime attaches none where the host lacks vhost-vsock).
modules=''
vsock_modules=''
while read -r path; do
  module=${path##*/}
  module=${module%%.ko*}
  case $module in
    *vsock*) vsock_modules="$vsock_modules $module" ;;
    *) modules="$modules $module" ;;
  esac
done </lib/modules/cocoon.load
# shellcheck disable=SC2086 # one argument per module name is wanted
modprobe -a $modules || echo "cocoon-init: modprobe -a$modules failed" >&2
if [ -n "$vsock_modules" ] && grep -qs 0x0013 /sys/bus/virtio/devices/*/device; then
  # shellcheck disable=SC2086
  modprobe -a $vsock_modules || echo "cocoon-init: modprobe -a$vsock_modules failed" >&2
fi

# Ports appear once the host's control messages have been processed (a workqueue), so
# a port the host declared may show up shortly after virtio_console has loaded.
mkdir -p /dev/virtio-ports
want=$(cat /etc/cocoon/wait-port 2>/dev/null)
# Wait only when the VM has a virtio console device (virtio device id 3) at all.
grep -qs 0x0003 /sys/bus/virtio/devices/*/device || want=
tries=0
while :; do
  for port in /sys/class/virtio-ports/*; do
    [ -r "$port/name" ] || continue
    name=$(cat "$port/name")
    [ -n "$name" ] && ln -sf "/dev/${port##*/}" "/dev/virtio-ports/$name"
  done
  if [ -z "$want" ] || [ -e "/dev/virtio-ports/$want" ] || [ "$tries" -ge 200 ]; then
    break
  fi
  tries=$((tries + 1))
  sleep 0.01
done

# QEMU user networking (restrict=on): the guest is 10.0.2.15/24 behind the gateway 10.0.2.2;
# the host's registry and KBS are reached only through the guestfwd addresses the runtime
# configured (10.0.2.100:PORT by default). No DHCP client: the addresses are QEMU's fixed
# defaults.
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up &&
    ip addr add 10.0.2.15/24 dev eth0 &&
    ip route add default via 10.0.2.2 ||
    echo "cocoon-init: network setup of eth0 failed" >&2
fi

echo "cocoon-init: payload starting"
if [ -r /etc/cocoon/payload.args ]; then
  # shellcheck disable=SC2046 # word splitting of the build-time argument list is wanted
  exec /sbin/cocoon-payload $(cat /etc/cocoon/payload.args)
fi
exec /sbin/cocoon-payload
