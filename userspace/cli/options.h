// Options: the parsed command line of `goretain` (trace mode) and `goretain symbols`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace goretain {

enum class OutputFormat { kTable, kJson };

struct TraceOptions {
  std::optional<pid_t> pid;               // --pid
  std::vector<std::string> command;       // after --
  double duration_s = 0;                  // 0 = until the target exits or a signal
  double interval_s = 0;                  // 0 = one final report
  OutputFormat format = OutputFormat::kTable;
  std::string output_path;                // empty = stdout
  size_t top = 0;                         // 0 = all call sites
  uint32_t stack_depth = 0;               // frames beyond the call site in the JSON stack
  uint32_t ringbuf_mb = 32;
  bool assigns = false;                   // --assigns: probe every map insert
  bool retained = false;                  // --retained: retained bytes after GC, leak signal
  bool verbose = false;
};

struct SymbolsOptions {
  std::string binary;
  std::vector<std::string> pcs;
  std::vector<std::string> funcs;
};

struct CommandLine {
  enum class Mode { kTrace, kSymbols } mode = Mode::kTrace;
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
