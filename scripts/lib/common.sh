# Shared by scripts/run and scripts/test: where build outputs live, and the
# idempotent installers for every tool the build needs. Each installer checks
# first and installs only what is missing or at the wrong version, so a warm
# machine skips straight to the build.
# shellcheck shell=bash

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

# Build outputs outside the clone, so a fresh clone (CI) reuses them.
CACHE="${ANSHIN_CACHE:-$HOME/.cache/anshin}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
TOOLS="$CACHE/tools"
export PATH="$HOME/.cargo/bin:$TOOLS/node_modules/.bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
elapsed() { printf '    (%ss)\n' "$SECONDS"; }

need_root_for_apt() {
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then echo sudo; else
      echo "need root (or sudo) to install: $*" >&2; exit 1
    fi
  fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "Installing Debian packages: ${missing[*]}"
  local sudo; sudo="$(need_root_for_apt "${missing[*]}")"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

ensure_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || { step "Adding the wasm32 target"; rustup target add wasm32-unknown-unknown; }
}

ensure_trunk() {
  if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION\$"; then
    step "Installing trunk $TRUNK_VERSION (several minutes, once)"
    cargo install --locked "trunk@$TRUNK_VERSION"
  fi
}

# wasm-bindgen-cli must equal the wasm-bindgen library in Cargo.lock.
# Without --locked: a locked transitive version is missing from the registry.
ensure_wasm_bindgen() {
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    step "Installing wasm-bindgen-cli $want"
    cargo install --force "wasm-bindgen-cli@$want"
  fi
}

# Debian's binaryen builds a wasm that fails at run time; npm's 132 works.
ensure_wasm_opt() {
  if ! wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
    step "Installing wasm-opt (binaryen@$BINARYEN_VERSION from npm)"
    mkdir -p "$TOOLS"
    [ -f "$TOOLS/package.json" ] || echo '{"name":"anshin-tools","private":true}' >"$TOOLS/package.json"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
  fi
}

ensure_build_tools() {
  ensure_wasm_target
  ensure_trunk
  ensure_wasm_bindgen
  ensure_wasm_opt
  apt_install brotli
}

# Each bundle (shared::bundle) as binary:page: its binary is anshin-<binary>,
# its page in dist/ is <page>. Every page is index.html with its own binary.
BUNDLES=(app:index.html customer:customer.html cash:cash.html send:send.html guardian:guardian.html
  staff:staff.html atm:atm.html)

# A digest of everything the browser app is built from.
client_inputs() {
  find app shared style public .cargo index.html Trunk.toml Cargo.toml Cargo.lock -type f -print0 \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}

# Brotli (quality 11) and gzip copies beside every text and wasm file, so the
# server sends each compressed once, at build time, at the best ratio.
precompress() {
  find "$1" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' \
    -o -name '*.svg' -o -name '*.json' \) -print0 |
    while IFS= read -r -d '' f; do
      brotli -q 11 -f -k -o "$f.br" "$f"
      gzip -9 -n -k -f -c "$f" >"$f.gz"
    done
}

# The browser app, one bundle per audience, size-tuned (profile
# wasm-release + wasm-opt -Oz), into dist/. Trunk builds one page at a
# time, each into a stage of its own that is then merged into dist/ (the
# hashed names never collide). Trunk reruns wasm-bindgen and wasm-opt even
# when nothing changed, so an unchanged app (same inputs, same checkout) is
# not rebuilt.
build_client() {
  local stamp inputs stage bundle bin page source
  stamp="$CACHE/client-$(printf '%s' "$ROOT" | sha256sum | cut -c1-16).stamp"
  inputs="$(client_inputs)"
  if [ -f dist/atm.html ] && [ "$(cat "$stamp" 2>/dev/null)" = "$inputs" ]; then
    step "Browser app is up to date (dist/)"
    return 0
  fi
  # Trunk runs cargo offline, so every crate must be fetched beforehand.
  cargo fetch --locked --target wasm32-unknown-unknown
  stage="$CACHE/dist-stage"
  rm -rf dist && mkdir -p dist
  for bundle in "${BUNDLES[@]}"; do
    bin="${bundle%%:*}" page="${bundle#*:}"
    step "Building the browser app: $page (anshin-$bin; trunk, release)"
    # Beside index.html, so that its relative links still resolve.
    source=".page-$page"
    sed "s/data-bin=\"anshin-app\"/data-bin=\"anshin-$bin\"/" index.html >"$source"
    rm -rf "$stage"
    trunk build --release --cargo-profile wasm-release --offline --skip-version-check \
      --dist "$stage" --html-output "$page" "$source"
    rm -f "$source"
    cp -r "$stage"/. dist/
  done
  precompress dist
  mkdir -p "$CACHE" && printf '%s' "$inputs" >"$stamp"
}

build_server() {
  step "Building the server"
  cargo build -p server --bin anshin
}
