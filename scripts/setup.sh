#!/usr/bin/env bash
# setup.sh -- installs the Debian packages mqtt-vote needs (only those missing), builds it into build/,
# and installs the web pages' two libraries (npm ci) into web/vendor/
# Usage: scripts/setup.sh [cmake options...]   (BUILD_DIR=dir to build elsewhere;
#        MQTTVOTE_TEST_PACKAGES=1 to install what only the tests need too, as scripts/test.sh does)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

packages=(build-essential cmake pkg-config libssl-dev libpaho-mqtt-dev libcjson-dev libsqlite3-dev
          libcmocka-dev libicu-dev mosquitto mosquitto-clients python3 netcat-openbsd iproute2
          python3-cryptography) # the signed-ballot test signs with it, independently of OpenSSL's C API
# Node.js and npm for `npm ci` (the web pages' libraries, the browser test's driver): Debian's,
# unless a node and an npm are already on PATH (another install, such as NodeSource's).
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
# What only the tests need, which the demo never uses: Debian's chromium for the browser tests
# (driven by playwright-core, which npm ci installs below), and groff (Debian's groff-base, what
# man(1) renders with) for the man pages' test.
[ "${MQTTVOTE_TEST_PACKAGES:-0}" = 1 ] && packages+=(chromium groff-base)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The web pages' libraries (web/, served by the broker's WebSockets listener): MQTT.js and
# qrcode-generator, at the versions of package-lock.json, plus playwright-core for the browser
# test. Their browser bundles are copied into web/vendor/ (ignored by git): no other build step.
lock_stamp=$root/node_modules/.mqttvote-package-lock.json
if ! cmp -s "$root/package-lock.json" "$lock_stamp" 2>/dev/null; then
  echo "setup: npm ci (package-lock.json: mqtt, qrcode-generator, playwright-core)"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$root/package-lock.json" "$lock_stamp"
fi
mkdir -p "$root/web/vendor"
cp "$root/node_modules/mqtt/dist/mqtt.min.js" "$root/node_modules/qrcode-generator/dist/qrcode.js" "$root/web/vendor/"
chmod 644 "$root/web/vendor/mqtt.min.js" "$root/web/vendor/qrcode.js"

cmake -S "$root" -B "$build" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
echo "setup: built $build/voter/voter, $build/tallier/tallier and $build/pollctl/pollctl"
