// goretain: entry point. Parses the command line and hands over to one mode; nothing else here.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "userspace/cli/exit_codes.h"
#include "userspace/cli/options.h"
#include "userspace/cli/symbols_command.h"
#include "userspace/session/trace_session.h"

int main(int argc, char** argv) {
  using namespace goretain;
  ParseResult parsed = ParseCommandLine(argc, argv);
  if (parsed.exit_code) return *parsed.exit_code;

  auto logger = spdlog::stderr_color_mt("goretain");
  logger->set_pattern("goretain: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(parsed.cmd.trace.verbose ? spdlog::level::debug : spdlog::level::warn);

  try {
    if (parsed.cmd.mode == CommandLine::Mode::kSymbols) {
      const SymbolsOptions& s = parsed.cmd.symbols;
      return RunSymbolsCommand(s.binary, s.pcs, s.funcs, std::cout, std::cerr);
    }
    TraceSession session(parsed.cmd.trace);
    return session.Run();
  } catch (const std::exception& e) {
    std::cerr << "goretain: error: internal: " << e.what()
              << " (hint: rerun with -v and report this)\n";
    return kExitInternal;
  }
}
