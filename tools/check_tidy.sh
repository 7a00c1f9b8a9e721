#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs clang-tidy with the root .clang-tidy (a short list, warnings are errors) over every
# tracked .cc file in src/ and cmd/, two at a time; files whose preprocessed input was
# already found clean are skipped (tools/tidy_cached.py).
# Usage: check_tidy.sh SOURCE_DIR BUILD_DIR (BUILD_DIR holds compile_commands.json).
set -euo pipefail
src=${1:?usage: check_tidy.sh SOURCE_DIR BUILD_DIR}
build=${2:?usage: check_tidy.sh SOURCE_DIR BUILD_DIR}
command -v clang-tidy >/dev/null || { echo "check_tidy: clang-tidy is not installed" >&2; exit 1; }
[ -f "$build/compile_commands.json" ] || { echo "check_tidy: no $build/compile_commands.json" >&2; exit 1; }
cd "$src"
if git ls-files 'src/*.cc' 'cmd/*.cc' | xargs python3 tools/tidy_cached.py "$build"; then
  echo "check_tidy: ok"
else
  echo "check_tidy: clang-tidy found problems (above)" >&2
  exit 1
fi
