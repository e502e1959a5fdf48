#!/usr/bin/env bash
# Installs the third-party Go binaries the symbols tests read (real-world pclntabs, Go 1.17-1.27).
#
# Idempotent: one directory per package@version under "${GORETAIN_NPM_DIR:-<repo>/build/npm}";
# a package whose binary is already there is skipped. npm's cache lives under that directory
# (unless npm_config_cache is already set), so the script never depends on HOME.
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
npm_dir="${GORETAIN_NPM_DIR:-${repo_dir}/build/npm}"
mkdir -p "${npm_dir}"
export npm_config_cache="${npm_config_cache:-${npm_dir}/.npm-cache}"
export npm_config_update_notifier=false

# directory name | npm package spec | binary path inside the directory
# (esbuild-linux-64 is the pre-0.16 package name; those versions cover Go 1.17 and 1.19 pclntabs)
packages=(
  "esbuild-0.14.0|esbuild-linux-64@0.14.0|node_modules/esbuild-linux-64/bin/esbuild"
  "esbuild-0.15.18|esbuild-linux-64@0.15.18|node_modules/esbuild-linux-64/bin/esbuild"
  "esbuild-0.19.12|@esbuild/linux-x64@0.19.12|node_modules/@esbuild/linux-x64/bin/esbuild"
  "esbuild-0.23.0|@esbuild/linux-x64@0.23.0|node_modules/@esbuild/linux-x64/bin/esbuild"
  "esbuild-0.25.0|@esbuild/linux-x64@0.25.0|node_modules/@esbuild/linux-x64/bin/esbuild"
  "esbuild-0.27.0|@esbuild/linux-x64@0.27.0|node_modules/@esbuild/linux-x64/bin/esbuild"
  "buf-1.75.0|@bufbuild/buf-linux-x64@1.75.0|node_modules/@bufbuild/buf-linux-x64/bin/buf"
)

for entry in "${packages[@]}"; do
  IFS='|' read -r dir spec binary <<<"${entry}"
  if [[ -x "${npm_dir}/${dir}/${binary}" ]]; then
    echo "install-npm-binaries: ${spec} already present"
    continue
  fi
  echo "install-npm-binaries: installing ${spec}"
  # --ignore-scripts: these packages only carry a binary; nothing needs to run at install time.
  # Up to three tries: a registry or proxy hiccup must not fail a whole CI run.
  # A package.json makes the directory its own project root. (Not --prefix: it also moves npm's
  # global config, and with it the machine's registry and CA settings.)
  mkdir -p "${npm_dir}/${dir}"
  [[ -f "${npm_dir}/${dir}/package.json" ]] || echo '{"private": true}' >"${npm_dir}/${dir}/package.json"
  for try in 1 2 3; do
    if (cd "${npm_dir}/${dir}" && npm install --no-save --no-audit --no-fund --ignore-scripts \
      --no-package-lock "${spec}"); then
      break
    fi
    echo "install-npm-binaries: ${spec}: attempt ${try} failed" >&2
    sleep $((try * 5))
  done
  if [[ ! -x "${npm_dir}/${dir}/${binary}" ]]; then
    echo "install-npm-binaries: ${spec} did not provide ${binary}" >&2
    exit 1
  fi
done
