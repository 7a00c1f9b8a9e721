#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Test payload of the guest initrd: opens the virtio-serial port named agent.channel.0
# (found through /sys/class/virtio-ports/*/name, as the agent finds it), answers each line
# "ping X" with "pong X" and "tpm" with whether /dev/tpm0 exists, and powers the VM off
# on "poweroff".
port=""
for dir in /sys/class/virtio-ports/*; do
  if [ "$(cat "$dir/name" 2>/dev/null)" = agent.channel.0 ]; then
    port=/dev/${dir##*/}
  fi
done
if [ -z "$port" ]; then
  echo "test-init: no virtio-serial port named agent.channel.0" >&2
  poweroff -f
fi
echo "test-init: serving $port"
exec 3<>"$port"
# A read returns EOF at once while no host process is connected to the port's socket,
# so EOF means "wait for the host", not "done".
while :; do
  while read -r verb arg <&3; do
    case "$verb" in
      ping) echo "pong $arg" >&3 ;;
      tpm) if [ -c /dev/tpm0 ]; then echo "tpm yes" >&3; else echo "tpm no" >&3; fi ;;
      poweroff) echo "bye" >&3; poweroff -f ;;
      *) echo "unknown $verb" >&3 ;;
    esac
  done
  sleep 0.05
done
