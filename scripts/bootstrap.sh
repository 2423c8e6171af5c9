#!/usr/bin/env bash
# Sets up a fresh Debian machine that has Node 20 and npm: the system packages the confluent
# client needs to build from source (its prebuilt download is not reachable everywhere), kcat
# (an independent Kafka client the example tests use), pnpm, and the workspace dependencies.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(zlib1g-dev libssl-dev libzstd-dev libcurl4-openssl-dev libsasl2-dev liblz4-dev kcat)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "bootstrap: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

pnpm_version="10.34.9"
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$pnpm_version" ]; then
  echo "bootstrap: installing pnpm $pnpm_version"
  npm install -g --silent "pnpm@$pnpm_version"
fi

# Link the confluent client against librdkafka built from its bundled sources.
export CKJS_LINKING=dynamic
pnpm install --frozen-lockfile
