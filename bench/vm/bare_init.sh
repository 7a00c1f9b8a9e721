#!/bin/busybox sh
# SPDX-License-Identifier: Apache-2.0
# Benchmark baseline: the least a busybox /init must do to hold the agent port open (mount
# /sys and /dev, load the virtio-serial modules, open the port), booted like the guest.
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
release=$(/bin/busybox uname -r)
while read -r module; do
  /bin/busybox insmod "/lib/modules/$release/$module"
done </lib/modules/cocoon.load
while :; do
  for dir in /sys/class/virtio-ports/*; do
    if [ "$(/bin/busybox cat "$dir/name" 2>/dev/null)" = agent.channel.0 ]; then
      exec 3<>"/dev/${dir##*/}"
      echo "bare-init: port open"
      while :; do /bin/busybox sleep 3600; done
    fi
  done
  /bin/busybox sleep 0.01
done
