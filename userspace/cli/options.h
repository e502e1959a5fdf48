// Options: the parsed command line of `goretain` (trace mode) and `goretain symbols`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "userspace/session/trace_options.h"

namespace goretain {

struct SymbolsOptions {
  std::string binary;
  std::vector<std::string> pcs;
  std::vector<std::string> funcs;
};

struct CommandLine {
  enum class Mode { kTrace, kSymbols, kAgent } mode = Mode::kTrace;
  TraceOptions trace;
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
