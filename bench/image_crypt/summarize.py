# SPDX-License-Identifier: Apache-2.0
"""Prints the image_crypt benchmark table from run.sh's measurements and checks the goal.

Usage: summarize.py RESULTS LAYOUT STAGE ENCRYPT_TIME
RESULTS has "NAME RUN WALL_S RSS_KIB" lines; LAYOUT is the plain image's OCI layout (for
its sizes); STAGE is image_crypt_bench's "BYTES PLAIN_S DECRYPT_S"; ENCRYPT_TIME is
"WALL_S RSS_KIB" of `cocoon image encrypt`. Exit status 0 when the goal of issue #4 is met
(encrypted pull at most 15% slower than the plain pull), 1 when missed, 2 when figures
are missing.
"""
import json
import os
import statistics
import sys
from collections import defaultdict

MAX_OVERHEAD = 1.15


def image_sizes(layout):
    blob = lambda d: os.path.join(layout, "blobs", *d.split(":"))
    index = json.load(open(os.path.join(layout, "index.json")))
    manifest = json.load(open(blob(index["manifests"][0]["digest"])))
    return len(manifest["layers"]), sum(layer["size"] for layer in manifest["layers"])


def main():
    results, layout, stage, encrypt_time = sys.argv[1:5]
    walls, rss = defaultdict(list), defaultdict(list)
    for line in open(results):
        name, _, wall, kib = line.split()
        walls[name].append(float(wall))
        rss[name].append(int(kib) / 1024)
    # skopeo and umoci run one after the other: sum per run, then take the median.
    for peer in ("peer-enc", "peer-plain"):
        skopeo, umoci = walls.get(peer + "-skopeo"), walls.get(peer + "-umoci")
        if skopeo and umoci:
            walls[peer] = [a + b for a, b in zip(skopeo, umoci)]
            rss[peer] = [max(a, b) for a, b in zip(rss[peer + "-skopeo"], rss[peer + "-umoci"])]
    needed = ("cocoon-plain", "cocoon-enc", "peer-enc", "peer-plain")
    if any(not walls.get(n) for n in needed):
        print(f"missing figures: {[n for n in needed if not walls.get(n)]}", file=sys.stderr)
        return 2
    med = {name: statistics.median(w) for name, w in walls.items()}
    layers, compressed = image_sizes(layout)
    runs = len(walls["cocoon-plain"])
    print(f"image: {layers} gzip layers, {compressed / 1e6:.1f} MB compressed; {runs} runs, "
          "order alternated; medians")
    print(f"{'contender':48} {'wall s':>8} {'min-max s':>12} {'peak RSS MiB':>13}")
    rows = [("cocoon-plain", "cocoon image pull (plain)"),
            ("cocoon-enc", "cocoon image pull --decryption-key (encrypted)"),
            ("peer-enc", "skopeo copy --decryption-key + umoci unpack"),
            ("peer-enc-skopeo", "  skopeo copy --decryption-key"),
            ("peer-enc-umoci", "  umoci unpack"),
            ("peer-plain", "skopeo copy + umoci unpack (plain)")]
    for key, label in rows:
        w = walls[key]
        print(f"{label:48} {med[key]:8.2f} {min(w):5.2f}-{max(w):<6.2f} {max(rss[key]):13.1f}")
    size, plain_s, decrypt_s = open(stage).read().split()
    size, plain_s, decrypt_s = int(size), float(plain_s), float(decrypt_s)
    enc_wall, enc_kib = open(encrypt_time).read().split()
    print()
    print(f"decrypt stage alone (AES-256-CTR + HMAC-SHA256, one core, in memory): "
          f"{size / decrypt_s / 1e6:.0f} MB/s (plain read-through {size / plain_s / 1e6:.0f} MB/s)"
          f"; for this image's {compressed / 1e6:.1f} MB: {compressed / size * decrypt_s:.2f} s")
    print(f"cocoon image encrypt (registry -> registry): {float(enc_wall):.2f} s, "
          f"peak RSS {int(enc_kib) / 1024:.1f} MiB")
    print()
    overhead = med["cocoon-enc"] / med["cocoon-plain"]
    print(f"peer / cocoon, encrypted: {med['peer-enc'] / med['cocoon-enc']:.2f}x; "
          f"skopeo + umoci's own encrypted/plain: {med['peer-enc'] / med['peer-plain']:.2f}")
    met = overhead <= MAX_OVERHEAD
    print(f"[{'met' if met else 'MISSED'}] encrypted/plain pull time: {med['cocoon-enc']:.2f} s / "
          f"{med['cocoon-plain']:.2f} s = {overhead:.2f} (goal <= {MAX_OVERHEAD:.2f})")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
