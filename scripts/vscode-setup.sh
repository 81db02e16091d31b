#!/usr/bin/env bash
# Sets up everything the VS Code extension's tests need (owned with client-vscode/ and tests/vscode/):
#   1. Debian packages: chromium (the e2e's browser), ripgrep and libkrb5-dev (code-server's install);
#   2. `npm ci` at the root: vscode-languageclient, TypeScript, esbuild, @vscode/vsce;
#   3. `npm run package`: client-vscode/out/nanscope.vsix;
#   4. `npm ci` in tests/vscode/: code-server 4.100.3 and playwright-core (see shared/clients.md).
# Idempotent and fast when done: packages are installed only when missing, each `npm ci` only when its
# lockfile changed since the last one, the .vsix only when a source is newer than it.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "vscode-setup: need root to run: $*" >&2; return 1; fi
}

# 1. Debian packages (chromium is ~400 MB: installed once per machine).
missing=()
for pkg in chromium ripgrep libkrb5-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "vscode-setup: apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

lock_stamp() { sha256sum "$1/package-lock.json" | cut -d' ' -f1; }

# 2. The extension's build tools.
if [ "$(cat node_modules/.nanscope-lock 2>/dev/null)" != "$(lock_stamp .)" ]; then
  echo "vscode-setup: npm ci (extension build tools)"
  npm ci --no-audit --no-fund --loglevel=error
  lock_stamp . > node_modules/.nanscope-lock
fi

# 3. The .vsix, rebuilt when a source is newer.
vsix=client-vscode/out/nanscope.vsix
if [ ! -f "$vsix" ] || [ -n "$(find package.json package-lock.json client-vscode/src client-vscode/build.mjs \
    client-vscode/README.md client-vscode/tsconfig.json -newer "$vsix" -print -quit)" ]; then
  echo "vscode-setup: npm run package"
  if ! out=$(npm run --silent package 2>&1); then echo "$out" >&2; exit 1; fi
fi

# 4. code-server + playwright-core. code-server's postinstall downloads ripgrep from GitHub (unreachable
#    here): its download cache is filled with Debian's rg first. npm 11 runs no dependency install script
#    without approval, and code-server's postinstall runs a nested `npm install` in its own folder, which
#    our allowScripts cannot reach: the scripts of this pinned tree are allowed for this one install.
if [ "$(cat tests/vscode/node_modules/.nanscope-lock 2>/dev/null)" != "$(lock_stamp tests/vscode)" ]; then
  case "$(uname -m)" in
    x86_64) rg_target=x86_64-unknown-linux-musl ;;
    aarch64|arm64) rg_target=aarch64-unknown-linux-musl ;;
    *) rg_target= ;;
  esac
  if [ -n "$rg_target" ]; then
    rg_cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
    mkdir -p "$rg_cache"
    tar czf "$rg_cache/ripgrep-v13.0.0-10-$rg_target.tar.gz" -C "$(dirname "$(command -v rg)")" rg
  fi
  echo "vscode-setup: npm ci in tests/vscode (code-server, playwright-core)"
  (cd tests/vscode && npm_config_yes=true npm_config_unsafe_perm=true npm_config_dangerously_allow_all_scripts=true \
    npm ci --no-audit --no-fund --loglevel=error 2>&1) | { grep -v 'Unknown env config "unsafe-perm"' || true; }
  for built in code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node playwright-core/package.json; do
    test -f "tests/vscode/node_modules/$built" || { echo "vscode-setup: tests/vscode/node_modules/$built is missing" >&2; exit 1; }
  done
  lock_stamp tests/vscode > tests/vscode/node_modules/.nanscope-lock
fi
