# SPDX-License-Identifier: Apache-2.0
"""Prints the image_pull benchmark table from run.sh's measurements and checks the goals.

Usage: summarize.py RESULTS LAYERS [CTR_SKIPPED_REASON]
RESULTS has "NAME RUN WALL_S RSS_KIB" lines (WALL_S "-" for a daemon's peak only);
LAYERS has "BLOB COMPRESSED UNCOMPRESSED" lines. Exit status 0 when every goal of issue #3
is met, 1 when one is missed, 2 when a contender has no figures.
"""
import statistics
import sys
from collections import defaultdict

# Issue #3: cocoon takes at most 1/3 of a peer's time, and peaks at 20 MiB or less and
# below the peer.
MAX_TIME_RATIO = 1 / 3
MAX_RSS_MIB = 20.0


def main():
    results, layers_file = sys.argv[1:3]
    ctr_skipped = sys.argv[3] if len(sys.argv) > 3 else ""
    walls, rss = defaultdict(list), defaultdict(list)
    for line in open(results):
        name, _, wall, kib = line.split()
        if wall != "-":
            walls[name].append(float(wall))
        rss[name].append(int(kib) / 1024)
    layers = [line.split() for line in open(layers_file) if line.strip()]
    compressed = sum(int(c) for _, c, _ in layers)
    uncompressed = sum(int(u) for _, _, u in layers)
    runs = len(walls.get("cocoon", []))
    if runs == 0:
        print("no cocoon figures", file=sys.stderr)
        return 2

    med = lambda xs: statistics.median(xs)
    # skopeo and umoci run one after the other: their walls add up per run, before the
    # median is taken.
    peers = {}  # peer name -> (median wall, its processes' peak RSS)
    if walls.get("skopeo") and walls.get("umoci"):
        total = [a + b for a, b in zip(walls["skopeo"], walls["umoci"])]
        peers["skopeo + umoci"] = (med(total), max(max(rss["skopeo"]), max(rss["umoci"])))
    if walls.get("ctr") and rss.get("containerd"):
        peers["ctr image pull"] = (med(walls["ctr"]),
                                   max(max(rss["ctr"]), max(rss["containerd"])))

    cocoon_wall = med(walls["cocoon"])
    print(f"image: {len(layers)} gzip layers, {compressed / 1e6:.1f} MB compressed, "
          f"{uncompressed / 1e6:.1f} MB uncompressed; {runs} runs, order alternated")
    print(f"{'contender':28} {'wall s (median)':>15} {'min-max s':>13} "
          f"{'peak RSS MiB (median/max)':>26} {'peer/cocoon time':>17}")
    rows = [("cocoon", "cocoon image pull"), ("cocoon-flatten", "cocoon pull --flatten"),
            ("skopeo", "  skopeo copy"), ("umoci", "  umoci unpack"),
            ("skopeo + umoci", "skopeo + umoci (sum)"), ("ctr", "  ctr (client)"),
            ("containerd", "  containerd (daemon)"), ("ctr image pull", "ctr image pull")]
    for key, label in rows:
        if key in peers:
            wall, peak = peers[key]
            print(f"{label:28} {wall:15.2f} {'':>13} {'max ' + format(peak, '.1f'):>26} "
                  f"{wall / cocoon_wall:17.2f}")
            continue
        if key not in rss:
            continue
        w = walls.get(key)
        span = f"{min(w):.2f}-{max(w):.2f}" if w else ""
        wall_txt = f"{med(w):15.2f} {span:>13}" if w else f"{'':15} {'':13}"
        print(f"{label:28} {wall_txt} "
              f"{format(med(rss[key]), '.1f') + ' / ' + format(max(rss[key]), '.1f'):>26}")
    if ctr_skipped:
        print(f"ctr image pull: skipped ({ctr_skipped})")

    igzip = med(walls["igzip"])
    print()
    print(f"single-core isa-l (igzip -d -c, same layers): {uncompressed / igzip / 1e6:.0f} MB/s "
          f"uncompressed ({compressed / igzip / 1e6:.0f} MB/s compressed), {igzip:.2f} s")
    for key, label in (("cocoon", "cocoon image pull"), ("cocoon-flatten", "--flatten")):
        if walls.get(key):
            w = med(walls[key])
            print(f"{label} effective: {uncompressed / w / 1e6:.0f} MB/s uncompressed "
                  f"({igzip / w:.2f}x single-core igzip), {w:.2f} s")

    print()
    ok = True
    cocoon_peak = max(rss["cocoon"] + rss.get("cocoon-flatten", []))

    def goal(met, text):
        nonlocal ok
        ok = ok and met
        print(f"[{'met' if met else 'MISSED'}] {text}")

    for peer, (wall, peak) in peers.items():
        goal(cocoon_wall <= wall * MAX_TIME_RATIO,
             f"time vs {peer}: cocoon {cocoon_wall:.2f} s = {cocoon_wall / wall:.2f} of "
             f"{wall:.2f} s (goal <= 0.33)")
        goal(cocoon_peak < peak,
             f"peak RSS vs {peer}: cocoon {cocoon_peak:.1f} MiB, peer {peak:.1f} MiB "
             f"(largest process)")
    goal(cocoon_peak <= MAX_RSS_MIB,
         f"cocoon peak RSS {cocoon_peak:.1f} MiB over all runs (goal <= {MAX_RSS_MIB:.0f} MiB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
