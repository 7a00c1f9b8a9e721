#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Prints our crypto_bench figures next to `openssl speed`'s and their ratios.

Usage: compare.py WORKDIR, where run.sh left WORKDIR/ours.json (Google Benchmark JSON) and
WORKDIR/<name>.txt (stdout and stderr of one `openssl speed` run each). Exits 0 when every
ratio ours/openssl is at least THRESHOLD, 1 when one is below, 2 when a figure is missing.
"""
import json
import pathlib
import re
import sys

THRESHOLD = 0.9

# (label, our benchmark, openssl file, what to read from it, unit)
ROWS = [
    ("sha256, 16 KiB buffers", "sha256_16k", "sha256", ("evp", "sha256"), "MB/s"),
    ("AES-256-GCM encrypt, 16 KiB", "aes256gcm_encrypt_16k", "aes-256-gcm",
     ("evp", "aes-256-gcm"), "MB/s"),
    ("AES-256-CTR, 16 KiB", "aes256ctr_16k", "aes-256-ctr", ("evp", "aes-256-ctr"), "MB/s"),
    ("ECDSA P-384 verify", "ecdsa_p384_verify", "ecdsap384", ("pk", "nistp384", "verify/s"),
     "op/s"),
    ("Ed25519 sign", "ed25519_sign", "ed25519", ("pk", "Ed25519", "sign/s"), "op/s"),
]
BLOCK = 16384


def openssl_evp(text, alg):
    """Bytes per second for BLOCK-byte buffers from `openssl speed -evp` output."""
    lines = text.splitlines()
    sizes = None
    for line in lines:
        tokens = line.split()
        if tokens and tokens[0] == "type":
            sizes = [int(n) for n in re.findall(r"(\d+)\s*bytes", line)]
        elif sizes and tokens and tokens[0].lower() == alg.lower():
            values = tokens[-len(sizes):]
            if BLOCK in sizes:
                value = values[sizes.index(BLOCK)]
                scale = 1000.0 if value.endswith("k") else 1.0
                return float(value.rstrip("k")) * scale
    # Fallback on the progress line: "Doing AES-256-GCM for 3s on 16384 size blocks:
    # 123 AES-256-GCM's in 3.00s".
    m = re.search(r"on %d size blocks: (\d+) \S+ in ([\d.]+)s" % BLOCK, text)
    if m and float(m.group(2)) > 0:
        return int(m.group(1)) * BLOCK / float(m.group(2))
    return None


def openssl_pk(text, marker, column):
    """Operations per second from the sign/verify table of `openssl speed <pk alg>`."""
    header = None
    for line in text.splitlines():
        tokens = line.split()
        if column in tokens and ("sign/s" in tokens or "verify/s" in tokens):
            header = tokens
        elif header and marker in line:
            from_end = len(header) - header.index(column)
            numbers = [t for t in tokens if re.fullmatch(r"[\d.]+s?", t)]
            if len(numbers) >= from_end:
                return float(numbers[-from_end].rstrip("s"))
    return None


def ours(path):
    """Benchmark name -> bytes/s (throughput benchmarks) or items/s (operations)."""
    data = json.loads(path.read_text())
    result = {}
    for bench in data.get("benchmarks", []):
        if bench.get("run_type", "iteration") != "iteration" or bench.get("error_occurred"):
            continue
        name = bench["name"].split("/")[0]
        value = bench.get("bytes_per_second") or bench.get("items_per_second")
        if value:
            result[name] = float(value)
    return result


def main():
    work = pathlib.Path(sys.argv[1])
    our = ours(work / "ours.json")
    print(f"{'operation':<30} {'ours':>16} {'openssl':>16} {'ratio':>7}")
    ratios, missing = [], []
    for label, bench, file, what, unit in ROWS:
        text = (work / f"{file}.txt").read_text() if (work / f"{file}.txt").exists() else ""
        theirs = openssl_evp(text, what[1]) if what[0] == "evp" else openssl_pk(text, *what[1:])
        mine = our.get(bench)
        scale = 1e6 if unit == "MB/s" else 1.0
        fmt = lambda v: f"{v / scale:,.1f} {unit}" if v else "missing"
        ratio = mine / theirs if mine and theirs else None
        print(f"{label:<30} {fmt(mine):>16} {fmt(theirs):>16} "
              f"{(f'{ratio:.3f}' if ratio else '-'):>7}")
        if ratio is None:
            missing.append(label)
        else:
            ratios.append(ratio)
    if missing:
        print(f"incomplete: no figure for {', '.join(missing)}")
        return 2
    ok = all(r >= THRESHOLD for r in ratios)
    print(f"every ratio >= {THRESHOLD}: {'yes' if ok else 'no'} (lowest {min(ratios):.3f})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
