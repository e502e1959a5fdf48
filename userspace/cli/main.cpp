// goretain: entry point. Parses the command line, opens where reports go, hands over to one mode,
// and turns its outcome into an exit code and, for an error, one line on stderr.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "userspace/cli/exit_codes.h"
#include "userspace/cli/options.h"
#include "userspace/cli/symbols_command.h"
#include "userspace/cli/top_command.h"
#include "userspace/cli/user_errors.h"
#include "userspace/cli/version.h"
#include "userspace/http/server.h"
#include "userspace/output/report_writer.h"
#include "userspace/session/trace_session.h"

namespace {

void InstallLogger(bool verbose) {
  auto logger = spdlog::stderr_color_mt("goretain");
  logger->set_pattern("goretain: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
}

int Trace(goretain::TraceOptions opts, const goretain::ListenOptions& listen) {
  using namespace goretain;
  auto writer = ReportWriter::Open(opts.output_path, opts.format, opts.top);
  if (!writer) return ReportError(writer.error());
  for (const auto& [format, path] : opts.more_outputs) {
    if (auto s = (*writer)->Also(path, format); !s) return ReportError(s.error());
  }
  // --listen: bound before anything is attached (a port in use ends here); serves until the
  // session is over. The session publishes to `live`; the endpoint renders on its own threads.
  LiveReport live;
  std::unique_ptr<HttpEndpoint> http;
  if (listen.address) {
    auto endpoint = HttpEndpoint::Start(*listen.address, live,
                                        EndpointOptions{listen.metrics_top, kGoretainVersion});
    if (!endpoint) return ReportError(endpoint.error());
    http = std::move(endpoint).value();
    opts.live = &live;
    fmt::print(stderr, "goretain: serving {0}/metrics, {0}/debug/pprof/heap and {0}/\n",
               http->url());
  }
  TraceSession session(opts, **writer);
  Result<int> status = session.Run();
  return status ? *status : ReportError(status.error());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace goretain;
  ParseResult parsed = ParseCommandLine(argc, argv);
  if (parsed.exit_code) return *parsed.exit_code;
  InstallLogger(parsed.cmd.trace.verbose);
  try {
    if (parsed.cmd.mode == CommandLine::Mode::kSymbols) {
      const SymbolsOptions& s = parsed.cmd.symbols;
      return RunSymbolsCommand(s.binary, s.pcs, s.funcs, std::cout, std::cerr);
    }
    if (parsed.cmd.mode == CommandLine::Mode::kTop) return RunTopCommand(parsed.cmd.trace);
    return Trace(parsed.cmd.trace, parsed.cmd.listen);
  } catch (const std::exception& e) {
    WriteErrorLine(std::string("internal: ") + e.what() + " (hint: rerun with -v and report this)");
    return kExitInternal;
  }
}
