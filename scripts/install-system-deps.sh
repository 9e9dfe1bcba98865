#!/usr/bin/env bash
# Installs the Debian packages and npm tools the integration tests compare against.
# Idempotent: re-running it on a machine that already has everything is quick.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export DEBIAN_FRONTEND=noninteractive

apt_pkgs=(
  nginx-light testssl.sh whatweb sslscan
  apache2 libapache2-mod-php php-mysql mariadb-server wordpress wordpress-theme-twentytwentyone
  php-cli php-gd php-curl php-mbstring php-xml php-zip php-intl php-tidy php-bcmath
  chromium chromium-driver poppler-utils fonts-dejavu-core
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libfontconfig1
  redis-server postgresql
)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-system-deps: installing ${missing[*]}"
  apt-get update -qq
  # policy-rc.d keeps Debian from starting services at install time; tests start their own on loopback.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

# npm peers, installed into tools/node (ignored by git).
node_dir="$here/tools/node"
mkdir -p "$node_dir"
if [ ! -f "$node_dir/.installed-v2" ]; then
  ( cd "$node_dir"
    [ -f package.json ] || echo '{"name":"ppid-auditor-peers","private":true}' > package.json
    # --ignore-scripts: a dependency of the Observatory downloads CA bundles at install (offline here).
    npm install --silent --no-audit --no-fund --ignore-scripts \
      @mdn/mdn-http-observatory@1.4.8 retire@5.7.0 @salesforce/code-analyzer-retirejs-engine \
      nik-parser@1.0.1 nik-parse@1.0.0 idn-area-data@4.0.1 axe-core@4.10.3
    echo '{}' > node_modules/@mdn/mdn-http-observatory/conf/hsts-preload.json
    touch .installed-v2 )
fi
echo "install-system-deps: ok"
