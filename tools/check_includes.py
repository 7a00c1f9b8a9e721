#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks include hygiene that CMake cannot enforce (STYLE.md §2):
- includes of our own headers start at src/ ("crypto/key.h"), never "../";
- a component's private headers (in sub-folders that are not components themselves) are
  included only by that component, its tests and its fuzzers;
- dependencies point downward: nothing in src/ includes from cmd/ or tests/.
A component is a folder under src/ with its own CMakeLists.txt. Exits 1 listing violations.
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
src = root / "src"
components = sorted(
    (p.parent.relative_to(src).as_posix() for p in src.rglob("CMakeLists.txt")),
    key=len, reverse=True)
include_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def component_of(rel):
    """The innermost component that holds src-relative path rel."""
    for comp in components:
        if rel == comp or rel.startswith(comp + "/"):
            return comp
    return None


def owner_of(path):
    """The component a source file belongs to, wherever it lives (src, tests, fuzz)."""
    rel = path.relative_to(root).as_posix()
    for top in ("src/", "tests/"):
        if rel.startswith(top):
            return component_of(rel[len(top):])
    return None


problems = []
for path in sorted(root.glob("*/**/*")):
    if path.suffix not in (".h", ".cc") or "build" in path.relative_to(root).parts[:1]:
        continue
    text = path.read_text(errors="replace")
    owner = owner_of(path)
    in_src = path.relative_to(root).parts[0] == "src"
    for inc in include_re.findall(text):
        where = f"{path.relative_to(root)}: \"{inc}\""
        if inc.startswith("../") or "/../" in inc:
            problems.append(f"{where}: relative include; start at src/")
            continue
        target = src / inc
        if not target.exists():
            if in_src and (inc.startswith("cmd/") or inc.startswith("tests/")):
                problems.append(f"{where}: src/ must not depend on cmd/ or tests/")
            continue
        comp = component_of(inc)
        header_dir = pathlib.PurePosixPath(inc).parent.as_posix()
        is_private = comp is not None and header_dir != comp
        if is_private and owner != comp and path.relative_to(root).parts[0] != "fuzz":
            problems.append(f"{where}: private header of {comp}")

for p in problems:
    print(p)
if problems:
    print(f"check_includes: {len(problems)} problem(s)")
    sys.exit(1)
print("check_includes: ok")
