#!/usr/bin/env bash
# Installs what building and testing fnq needs, from Debian's packages.
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config ccache
          libsqlite3-dev libcli11-dev libcpp-httplib-dev nlohmann-json3-dev
          libgtest-dev libgmock-dev curl mandoc bash-completion
          libyaml-cpp-dev libjemalloc-dev)
# promtool checks /metrics in the tests.
[ "${FNQ_WITH_PROMETHEUS:-1}" = 1 ] && packages+=(prometheus)
# clang-format checks the layout of the sources in the tests.
[ "${FNQ_WITH_FORMAT:-1}" = 1 ] && packages+=(clang-format-14)
# PostgreSQL (cluster mode): libpq to build it, the server for its tests
# (each test run starts a private server; the system one is never used).
[ "${FNQ_WITH_POSTGRESQL:-1}" = 1 ] && packages+=(libpq-dev postgresql)
# The dashboard's browser tests (tests/browser/): a headless Chromium driven
# through chromedriver by Python's Selenium.
[ "${FNQ_WITH_BROWSER:-1}" = 1 ] && packages+=(chromium chromium-driver python3-selenium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo="sudo"
fi
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
