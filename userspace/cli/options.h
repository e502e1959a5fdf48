// Options: the parsed command line of `goretain` (trace mode), `goretain top` (the live view: trace
// mode's options) and `goretain symbols`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "userspace/http/listen_address.h"
#include "userspace/session/trace_options.h"

namespace goretain {

struct SymbolsOptions {
  std::string binary;
  std::vector<std::string> pcs;
  std::vector<std::string> funcs;
};

// --listen ADDR:PORT and --metrics-top N: the HTTP endpoint while tracing (http/server.h).
struct ListenOptions {
  std::optional<ListenAddress> address;  // nullopt: no endpoint (the default)
  size_t metrics_top = 50;
};

struct CommandLine {
  enum class Mode { kTrace, kTop, kSymbols, kAgent } mode = Mode::kTrace;
  TraceOptions trace;
  ListenOptions listen;
  SymbolsOptions symbols;
};

// Parses argv. On --help prints usage and returns exit code 0 in `exit_code`; on bad usage prints
// one `goretain: error:` line and sets exit code 2. Otherwise exit_code is nullopt.
struct ParseResult {
  CommandLine cmd;
  std::optional<int> exit_code;
};
ParseResult ParseCommandLine(int argc, char** argv);

}  // namespace goretain
