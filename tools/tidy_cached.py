#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Runs clang-tidy over the given files, skipping those whose exact input was already found
# clean: the key is the preprocessed translation unit (so any header change counts), the
# compile flags, the .clang-tidy file and the clang-tidy version. Only clean results are
# remembered, so a finding is reported on every run until it is fixed.
# Usage: tidy_cached.py BUILD_DIR FILE... (paths relative to the source root, the cwd).
# Cache: $COCOON_TIDY_CACHE, else ~/.cache/cocoon/tidy. Two files are checked at a time.
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys


def preprocess_command(entry):
    """The file's compile command turned into `-E` to stdout (same flags, same defines)."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    out = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if arg in ("-c", "-MD", "-MMD"):
            continue
        out.append(arg)
    return out + ["-E", "-P", "-o", "-"]


def cache_key(entry, salt):
    pre = subprocess.run(preprocess_command(entry), cwd=entry["directory"], capture_output=True)
    if pre.returncode != 0:
        return None  # let clang-tidy report the problem
    digest = hashlib.sha256(salt)
    digest.update(entry.get("command", " ".join(entry.get("arguments", []))).encode())
    digest.update(pre.stdout)
    return digest.hexdigest()


def check(path, entry, build, cache, salt):
    key = cache_key(entry, salt) if entry else None
    if key and os.path.exists(os.path.join(cache, key)):
        return path, True, "", True
    run = subprocess.run(["clang-tidy", "-p", build, "--quiet", path], capture_output=True, text=True)
    ok = run.returncode == 0
    if ok and key:
        with open(os.path.join(cache, key), "w") as marker:
            marker.write(path + "\n")
    return path, ok, run.stdout + run.stderr, False


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: tidy_cached.py BUILD_DIR FILE...")
    build, files = sys.argv[1], sys.argv[2:]
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = {os.path.realpath(e["file"]): e for e in json.load(f)}
    cache = os.environ.get("COCOON_TIDY_CACHE") or os.path.expanduser("~/.cache/cocoon/tidy")
    os.makedirs(cache, exist_ok=True)
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True).stdout
    with open(".clang-tidy", "rb") as f:
        salt = version + f.read()
    failed = 0
    hits = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(check, p, entries.get(os.path.realpath(p)), build, cache, salt)
                for p in files]
        for job in jobs:
            path, ok, output, cached = job.result()
            hits += cached
            if not ok:
                print(output.strip())
                failed += 1
                print(f"check_tidy: findings in {path}", file=sys.stderr)
    print(f"check_tidy: {len(files)} files ({hits} unchanged since a clean run), "
          f"{failed} with findings")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
