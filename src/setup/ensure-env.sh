#!/usr/bin/env bash
# Makes a fresh checkout runnable: the BLAS/LAPACK libraries mlx.node links against, the node
# modules, and an up-to-date TypeScript build. Safe to run every time: each step is skipped when
# it is already done. Used by `npm run demo`, `npm test`, `npm run bench` and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf '[setup] %s\n' "$*" >&2; }

# ldconfig lives in /sbin, which a normal user's PATH often lacks: look there too.
LDCONFIG=$(command -v ldconfig || echo /sbin/ldconfig)
has_lib() { "$LDCONFIG" -p 2>/dev/null | grep -q "$1" || ls /usr/lib/*/"$1" /usr/lib/"$1" /lib/*/"$1" >/dev/null 2>&1; }
has_blas() { has_lib libblas.so.3 && has_lib liblapack.so.3; }

if ! has_blas; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing libopenblas0-pthread (mlx.node needs libblas.so.3 and liblapack.so.3)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq libopenblas0-pthread >/dev/null
  else
    say "mlx.node needs libblas.so.3 and liblapack.so.3, which are missing and cannot be installed from here."
    say "Run:  sudo apt-get update && sudo apt-get install -y libopenblas0-pthread"
    exit 1
  fi
fi

# Headless chromium (Debian's package; never a downloaded browser) for the report's browser test
# (test/report). Installed only when missing and only as root; otherwise a hint, not a failure.
# MLX_INTRADAY_NO_CHROMIUM=1 skips it.
if [ -z "${MLX_INTRADAY_NO_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing chromium (the report's browser test renders it headless)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq chromium fonts-liberation >/dev/null 2>&1
  else
    say "chromium is missing (the report's browser test will be skipped): sudo apt-get install -y chromium"
  fi
fi

# Redis (Debian's redis-server; never a downloaded build) for the distributed queue's tests
# (test/distributed): they start their own server on a free loopback port, so the package's own
# service is neither needed nor started here. Installed only when missing and only as root;
# otherwise a hint, not a failure. MLX_INTRADAY_NO_REDIS=1 skips it.
if [ -z "${MLX_INTRADAY_NO_REDIS:-}" ] && ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing redis-server (the distributed queue's tests start one on loopback)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # policy-rc.d 101: dpkg must not start the packaged service (no init system in containers,
    # and the tests run their own servers).
    if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && rm_policy=1; fi
    rc=0
    apt-get install -y -qq --no-install-recommends redis-server >/dev/null 2>&1 || rc=$?
    if [ -n "${rm_policy:-}" ]; then rm -f /usr/sbin/policy-rc.d; fi
    if [ "$rc" != 0 ]; then say "apt-get install redis-server failed (exit $rc): run it by hand to see why"; exit 1; fi
  else
    say "redis-server is missing (the distributed queue's tests need it): sudo apt-get install -y redis-server"
  fi
fi

# Install node modules when absent or older than the lock file.
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || { [ -f package-lock.json ] && [ package-lock.json -nt "$stamp" ]; }; then
  say "installing node modules"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund >&2; else npm install --no-audit --no-fund >&2; fi
fi

# Rebuild when any source file is newer than the build.
if [ ! -f dist/cli.js ] || [ -n "$(find src tsconfig.json package.json -newer dist/cli.js -print -quit)" ]; then
  say "building TypeScript"
  bash src/setup/build.sh
fi
