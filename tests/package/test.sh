#!/usr/bin/env bash
# The Debian package, end to end, on this machine (as root; skipped
# otherwise): builds it with scripts/package.sh, runs lintian (no errors or
# warnings), installs it, checks the installed files and their modes, runs
# /usr/sbin/fnqd as the fnq user the way fnqd.service does (under runuser:
# there may be no systemd), submits and awaits a call with /usr/bin/fnq as a
# member of the fnq group, upgrades to a newer version (state and a changed
# conffile survive), then removes and purges it and checks what is left.
# systemd-analyze verify checks both units where it is installed.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)

if [ "$(id -u)" != 0 ]; then
  echo "package test skipped: it installs and purges the fnq package, which needs root"
  exit 0
fi
if dpkg-query -W -f='${Status}' fnq 2>/dev/null | grep -q 'ok installed'; then
  echo "package test skipped: the fnq package is installed here, and the test would purge it"
  exit 0
fi

work=$(mktemp -d /tmp/fnq-package-test.XXXXXX)
chmod 755 "$work"
client=fnq-pkgtest$$
outsider=fnq-outsider$$
fnq_user_existed=0
getent passwd fnq >/dev/null && fnq_user_existed=1
fnqd_pid=""

step() { echo "== $*"; }
fail() {
  echo "package test: FAILED: $*" >&2
  exit 1
}

cleanup() {
  if [ -n "$fnqd_pid" ]; then kill "$fnqd_pid" 2>/dev/null || true; fi
  dpkg --purge fnq >/dev/null 2>&1 || true
  userdel "$client" 2>/dev/null || true
  userdel "$outsider" 2>/dev/null || true
  if [ "$fnq_user_existed" = 0 ]; then
    userdel fnq 2>/dev/null || true
    groupdel fnq 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

expect_mode() {  # PATH MODE OWNER:GROUP
  local got
  got=$(stat -c '%a %U:%G' "$1") || fail "$1 is missing"
  [ "$got" = "$2 $3" ] || fail "$1 is '$got', expected '$2 $3'"
}

# fnq as the temp member of group fnq, with a clean environment: it finds
# the system service by itself (no FNQ_STATE_DIR).
as_client() {
  runuser -u "$client" -- env -i PATH=/usr/bin:/bin HOME=/nonexistent fnq "$@"
}

# Starts fnqd as fnqd.service does: its User=, Environment= and ExecStart=
# lines, its UMask, under setpriv (which execs, so $! is fnqd itself and its
# exit status is fnqd's; runuser would stay as a parent and die of the
# signal it forwards); on a free port (the conffile sets none).
start_fnqd() {
  local unit=$1 exec_start envs=()
  exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
  [ "$(sed -n 's/^User=//p' "$unit")" = fnq ] || fail "fnqd.service does not run as fnq"
  mapfile -t envs < <(sed -n 's/^Environment=//p' "$unit")
  rm -f /var/lib/fnq/fnqd.json
  # shellcheck disable=SC2086  # ExecStart is split into words as systemd does
  (umask 0027 && exec setpriv --reuid fnq --regid fnq --init-groups --reset-env \
    env "${envs[@]}" FNQ_LISTEN=127.0.0.1:0 $exec_start) \
    2>>"$work/fnqd.log" &
  fnqd_pid=$!
  for _ in $(seq 300); do
    [ -s /var/lib/fnq/fnqd.json ] && return 0
    kill -0 "$fnqd_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/fnqd.log" >&2
  fail "fnqd did not start"
}

stop_fnqd() {
  kill -TERM "$fnqd_pid"
  local status=0
  wait "$fnqd_pid" || status=$?
  fnqd_pid=""
  [ "$status" = 0 ] || fail "fnqd exited $status on SIGTERM"
}

install_deb() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" \
    >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "cannot install $1"; }
}

step "building the package"
deb=$(bash "$src/scripts/package.sh" "$work/v1" | tail -n 1)
[ -f "$deb" ] || fail "scripts/package.sh made no .deb"
# The Release build (-O2, hardening) prints no compiler warning.
if grep ': warning: ' "${deb%.deb}.build.log"; then
  fail "the package's build printed compiler warnings (above)"
fi
basename "$deb"

step "making a newer one, for the upgrade"
# The same build, repacked as version +1: dpkg upgrades to it as to any newer
# build (its maintainer scripts run with "upgrade" and "configure OLD"),
# without building twice.
version=$(dpkg-deb -f "$deb" Version)
dpkg-deb -R "$deb" "$work/unpacked"
sed -i "s/^Version: .*/Version: $version+1/" "$work/unpacked/DEBIAN/control"
mkdir -p "$work/v2"
deb2="$work/v2/fnq_$version+1_$(dpkg-deb -f "$deb" Architecture).deb"
dpkg-deb --root-owner-group -b "$work/unpacked" "$deb2" >/dev/null
[ "$(dpkg-deb -f "$deb2" Version)" = "$version+1" ] || fail "the newer package has the wrong version"

step "lintian"
lintian --fail-on error,warning --display-info "$deb" || fail "lintian found errors or warnings"
echo "lintian: no errors or warnings"

step "installing"
install_deb "$deb"
for f in /usr/bin/fnq /usr/sbin/fnqd; do expect_mode "$f" 755 root:root; done
for f in /usr/share/man/man1/fnq.1.gz /usr/share/man/man5/fnq-function.5.gz \
  /usr/share/man/man8/fnqd.8.gz /usr/share/bash-completion/completions/fnq \
  /usr/share/zsh/vendor-completions/_fnq /usr/lib/systemd/user/fnqd.service \
  /etc/fnq/fnqd.conf; do
  expect_mode "$f" 644 root:root
done
# /lib/systemd/system on bookworm's debhelper, /usr/lib/systemd/system on later ones.
system_unit=$(dpkg -L fnq | grep -m1 '/systemd/system/fnqd\.service$') ||
  fail "the package installs no system unit fnqd.service"
expect_mode "$system_unit" 644 root:root
grep -qx 'ExecStart=/usr/sbin/fnqd' /usr/lib/systemd/user/fnqd.service ||
  fail "the user unit does not start /usr/sbin/fnqd"
dpkg-query -W -f='${Conffiles}\n' fnq | grep -q '^ /etc/fnq/fnqd.conf ' ||
  fail "/etc/fnq/fnqd.conf is not a conffile"
getent passwd fnq >/dev/null || fail "no fnq user"
[ "$(id -gn fnq)" = fnq ] || fail "the fnq user's group is not fnq"
expect_mode /var/lib/fnq 750 fnq:fnq
/usr/sbin/fnqd --version | grep -qx "fnqd ${version%%+*}" || fail "fnqd --version"
# fnqd runs on jemalloc (debian/rules asks for it), which the package depends on.
ldd /usr/sbin/fnqd | grep -q 'libjemalloc\.so' || fail "fnqd is not linked with jemalloc"
dpkg-deb -f "$deb" Depends | grep -q 'libjemalloc2' || fail "the package does not depend on libjemalloc2"

step "systemd-analyze verify"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify "$system_unit" || fail "systemd-analyze verify $system_unit"
  mkdir -m 700 "$work/runtime"
  XDG_RUNTIME_DIR=$work/runtime systemd-analyze --user verify /usr/lib/systemd/user/fnqd.service ||
    fail "systemd-analyze --user verify the user unit"
  echo "both units verified"
else
  echo "systemd-analyze verify skipped: systemd-analyze is not installed"
fi

step "fnqd as the fnq user, fnq as a member of the fnq group"
useradd --system --no-create-home --shell /usr/sbin/nologin -G fnq "$client"
useradd --system --no-create-home --shell /usr/sbin/nologin "$outsider"
start_fnqd "$system_unit"
expect_mode /var/lib/fnq/token 640 fnq:fnq
expect_mode /var/lib/fnq/fnqd.json 640 fnq:fnq
expect_mode /var/lib/fnq/fnq.db 600 fnq:fnq
as_client ping
as_client fn add shout -- tr a-z A-Z
id=$(as_client submit shout -d 'hello from the package')
out=$(as_client await "$id")
[ "$out" = "HELLO FROM THE PACKAGE" ] || fail "await printed '$out'"
status=0
runuser -u "$outsider" -- env -i PATH=/usr/bin:/bin HOME=/nonexistent fnq ping \
  >/dev/null 2>&1 || status=$?
[ "$status" = 69 ] || fail "a user outside group fnq got exit $status from fnq ping, expected 69"
stop_fnqd

step "upgrading to $version+1"
echo 'max-retries = 1' >>/etc/fnq/fnqd.conf
install_deb "$deb2"
[ "$(dpkg-query -W -f='${Version}' fnq)" = "$version+1" ] || fail "not upgraded"
grep -qx 'max-retries = 1' /etc/fnq/fnqd.conf || fail "the changed conffile was replaced"
expect_mode /var/lib/fnq 750 fnq:fnq
start_fnqd "$system_unit"
as_client status "$id" | grep -q succeeded || fail "call $id did not survive the upgrade"
[ "$(as_client await "$id")" = "HELLO FROM THE PACKAGE" ] || fail "its output did not survive"
stop_fnqd

step "removing, then purging"
dpkg --remove fnq >/dev/null
for f in /usr/sbin/fnqd /usr/bin/fnq; do [ ! -e "$f" ] || fail "$f is left after remove"; done
[ -f /var/lib/fnq/fnq.db ] || fail "remove deleted the state in /var/lib/fnq"
[ -f /etc/fnq/fnqd.conf ] || fail "remove deleted the conffile"
dpkg --purge fnq >/dev/null
[ ! -e /var/lib/fnq ] || fail "/var/lib/fnq is left after purge"
[ ! -e /etc/fnq ] || fail "/etc/fnq is left after purge"
for f in "$system_unit" /usr/lib/systemd/user/fnqd.service; do
  [ ! -e "$f" ] || fail "$f is left after purge"
done
echo "package test: passed"
