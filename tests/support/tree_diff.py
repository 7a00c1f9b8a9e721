#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compares two directory trees entry by entry: names, types, modes, owners, symlink
targets, device numbers, xattrs (user.* and security.capability), content hashes, and
which regular files are hardlinked together. Prints every difference; exits 1 if any.
Usage: tree_diff.py A B [--ignore PATH]..."""
import hashlib
import os
import stat
import sys


def describe(root):
    entries = {}
    inode_groups = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            kind = stat.S_IFMT(st.st_mode)
            info = {"type": kind, "mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid,
                    "gid": st.st_gid}
            if stat.S_ISLNK(st.st_mode):
                info["target"] = os.readlink(full)
            elif stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(full, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                info["sha256"] = h.hexdigest()
                info["size"] = st.st_size
                if st.st_nlink > 1:
                    inode_groups.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                info["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
            if not stat.S_ISLNK(st.st_mode):
                xattrs = {}
                for key in os.listxattr(full, follow_symlinks=False):
                    if key.startswith("user.") or key == "security.capability":
                        xattrs[key] = os.getxattr(full, key, follow_symlinks=False).hex()
                if xattrs:
                    info["xattrs"] = xattrs
            entries[rel] = info
    links = {}
    for group in inode_groups.values():
        for rel in group:
            links[rel] = sorted(group)
    for rel, group in links.items():
        entries[rel]["links"] = group
    return entries


def main():
    args = sys.argv[1:]
    ignore = set()
    while "--ignore" in args:
        i = args.index("--ignore")
        ignore.add(args[i + 1])
        del args[i:i + 2]
    a, b = describe(args[0]), describe(args[1])
    problems = []
    for rel in sorted(set(a) | set(b)):
        if any(rel == p or rel.startswith(p + "/") for p in ignore):
            continue
        if rel not in a:
            problems.append(f"only in {args[1]}: {rel}")
        elif rel not in b:
            problems.append(f"only in {args[0]}: {rel}")
        elif a[rel] != b[rel]:
            diff = {k: (a[rel].get(k), b[rel].get(k)) for k in set(a[rel]) | set(b[rel])
                    if a[rel].get(k) != b[rel].get(k)}
            problems.append(f"differs: {rel}: {diff}")
    for p in problems:
        print(p)
    print(f"tree_diff: {len(a)} vs {len(b)} entries, {len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
