#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails when a tracked C++ file differs from what clang-format (.clang-format) makes of it.
# Usage: check_format.sh SOURCE_DIR. Fix with: clang-format -i FILE...
set -euo pipefail
cd "${1:?usage: check_format.sh SOURCE_DIR}"
command -v clang-format >/dev/null || { echo "check_format: clang-format is not installed" >&2; exit 1; }
bad=()
while IFS= read -r f; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(git ls-files '*.h' '*.cc' 2>/dev/null || find src cmd tests fuzz bench -name '*.h' -o -name '*.cc')
if [ ${#bad[@]} -gt 0 ]; then
  printf 'check_format: not clang-formatted: %s\n' "${bad[@]}"
  exit 1
fi
echo "check_format: ok"
