#!/usr/bin/env bash
# System packages the tests need that pip and npm cannot provide: make (the README's
# commands), Debian's chromium for the browser tests and shellcheck for the EC2 bootstrap
# script. Idempotent (installs only what is missing, after `apt-get update`); root or sudo.
set -euo pipefail

packages=(make chromium shellcheck)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "install-system-deps: need root or sudo to apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "install-system-deps: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
