#!/usr/bin/env bash
# Installs the Debian 12 packages cachewarm needs to build and test, idempotently:
# nothing is downloaded when everything is already installed.
# Usage: scripts/deps.sh            (uses sudo only when not root)
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libcurl4-openssl-dev libhiredis-dev
  doctest-dev libsqlite3-dev libpq-dev libhowardhinnant-date-dev libexpected-dev tzdata
  # redis-sentinel and openssl: the Sentinel and TLS tests (certificates made with the openssl CLI)
  libssl-dev redis-server redis-sentinel openssl python3-yaml postgresql sqlite3 time procps jq clang-format groff-base python3 curl nginx-light clang libclang-rt-14-dev
  # systemd-analyze verify checks the units of `cachewarm cron --systemd` (cron_output.sh);
  # installing the package does not make systemd PID 1.
  systemd
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#packages[@]} packages installed" >&2
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
