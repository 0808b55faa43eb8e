#!/usr/bin/env bash
# Lays out fnq's C++ as .clang-format says:
#   scripts/format.sh          reformats every tracked .cpp/.h file in place
#   scripts/format.sh --check  changes nothing; fails naming each file that differs
set -euo pipefail
cd "$(dirname "$0")/.."
cf=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$cf" >/dev/null; then
  echo "fnq: error: $cf is not installed (apt-get install clang-format-14)" >&2
  exit 69
fi
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if [ "${1:-}" = --check ]; then
  bad=()
  for f in "${files[@]}"; do
    "$cf" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if [ ${#bad[@]} -gt 0 ]; then
    echo "fnq: error: ${#bad[@]} file(s) differ from .clang-format: ${bad[*]} (run scripts/format.sh)" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files match .clang-format"
else
  "$cf" -i "${files[@]}"
fi
