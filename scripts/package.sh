#!/usr/bin/env bash
# Builds the Debian package fnq_VERSION_ARCH.deb from this source tree:
# installs the build dependencies (debian/control), copies the sources to a
# temporary directory, builds there (nothing is written to the source tree)
# and puts the .deb in OUT_DIR (default: ./out). VERSION is CMake's project
# version; debian/changelog must agree (it may add a suffix: 0.1.0+1).
#   bash scripts/package.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
out=$(realpath -m "${1:-out}")

version=$(sed -n 's/^project(fnq VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
changelog_version=$(sed -n '1s/^fnq (\([^)]*\)).*/\1/p' debian/changelog)
case "$changelog_version" in
  "$version" | "$version"+* | "$version"~*) ;;
  *)
    echo "package.sh: error: debian/changelog is at ${changelog_version:-nothing}, CMakeLists.txt at $version (add a changelog entry: dch -v $version)" >&2
    exit 1
    ;;
esac

sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo="sudo"
fi
tools=(dpkg-dev debhelper fakeroot lintian)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Build-Depends of debian/control, as dpkg-checkbuilddeps reports them
# missing ("Unmet build dependencies: a (>= 1) b").
unmet=$(dpkg-checkbuilddeps 2>&1 | sed -n 's/.*Unmet build dependencies: //p' | sed 's/([^)]*)//g')
if [ -n "$unmet" ]; then
  echo "installing: $unmet" >&2
  $sudo apt-get update -qq
  # shellcheck disable=SC2086  # one word per package
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $unmet >/dev/null
fi

work=$(mktemp -d /tmp/fnq-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
tree="$work/fnq"
mkdir -p "$tree"
# The sources: what git tracks (with local changes) and new files it does
# not ignore; outside a git checkout, everything but build directories.
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$src" ls-files -z --cached --others --exclude-standard |
    tar -C "$src" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$tree" -xf -
else
  tar -C "$src" --exclude='./build*' --exclude=./out -cf - . | tar -C "$tree" -xf -
fi

# debhelper gives the build its own HOME: point ccache at the usual cache,
# and let builds of two copies of the tree share it.
if command -v ccache >/dev/null; then
  CCACHE_DIR=${CCACHE_DIR:-$(ccache -k cache_dir)}
  CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-$(ccache -k max_size)}
  export CCACHE_DIR CCACHE_MAXSIZE CCACHE_BASEDIR=$work CCACHE_NOHASHDIR=1
fi
echo "building fnq $changelog_version in $tree" >&2
if ! (cd "$tree" && dpkg-buildpackage -b -us -uc -Jauto) >"$work/build.log" 2>&1; then
  tail -n 60 "$work/build.log" >&2
  echo "package.sh: error: dpkg-buildpackage failed (the last lines of its log are above)" >&2
  exit 1
fi
mkdir -p "$out"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb="fnq_${changelog_version}_${arch}.deb"
cp "$work/$deb" "$out/"
# The build's log beside the package; its compiler warnings, if any, here.
cp "$work/build.log" "$out/${deb%.deb}.build.log"
warnings=$(grep -c ': warning: ' "$work/build.log" || true)
if [ "$warnings" != 0 ]; then
  grep ': warning: ' "$work/build.log" >&2
  echo "package.sh: the build printed $warnings compiler warning(s); see $out/${deb%.deb}.build.log" >&2
fi
echo "$out/$deb"
