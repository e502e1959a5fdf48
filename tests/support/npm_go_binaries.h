// The real third-party Go binaries of the suite, one per Go release they were built with
// (installed by scripts/install-npm-binaries.sh into GORETAIN_NPM_DIR), for every tier.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace goretain {

inline std::string NpmPath(const std::string& rel) { return std::string(GORETAIN_NPM_DIR) + "/" + rel; }

inline const std::vector<std::pair<std::string, std::string>>& NpmGoBinaries() {
  static const std::vector<std::pair<std::string, std::string>> v = {
      {"go1.17.2", "esbuild-0.14.0/node_modules/esbuild-linux-64/bin/esbuild"},
      {"go1.19.3", "esbuild-0.15.18/node_modules/esbuild-linux-64/bin/esbuild"},
      {"go1.20.12", "esbuild-0.19.12/node_modules/@esbuild/linux-x64/bin/esbuild"},
      {"go1.22.4", "esbuild-0.23.0/node_modules/@esbuild/linux-x64/bin/esbuild"},
      {"go1.23.5", "esbuild-0.25.0/node_modules/@esbuild/linux-x64/bin/esbuild"},
      {"go1.25.4", "esbuild-0.27.0/node_modules/@esbuild/linux-x64/bin/esbuild"},
      {"go1.27.3", "buf-1.75.0/node_modules/@bufbuild/buf-linux-x64/bin/protoc-gen-buf-lint"},
  };
  return v;
}

}  // namespace goretain
