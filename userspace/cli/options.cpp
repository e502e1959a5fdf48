#include "userspace/cli/options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "userspace/cli/exit_codes.h"
#include "userspace/cli/user_errors.h"

namespace goretain {
namespace {

constexpr const char* kDescription =
    "goretain: which lines of a running Go program allocate and keep memory (maps, slices).\n"
    "  goretain --pid PID [options]          trace a running Go process\n"
    "  goretain [options] -- COMMAND [ARGS]  start COMMAND traced from its first instruction\n"
    "  goretain symbols BINARY [--pc ADDR...] [--func NAME...]\n";

constexpr uint32_t kPprofStackDepth = 16;

OutputFormat ToFormat(const std::string& name) {
  if (name == "json") return OutputFormat::kJson;
  if (name == "pprof") return OutputFormat::kPprof;
  return OutputFormat::kTable;
}

// -f and -o, paired by position: one format for at most one output, or one format per output.
std::optional<std::string> PairOutputs(const std::vector<std::string>& formats,
                                       const std::vector<std::string>& outputs, TraceOptions& t) {
  if (formats.size() > 1 || outputs.size() > 1) {
    if (formats.size() != outputs.size()) {
      return "several outputs: give one --format per --output, in the same order";
    }
  }
  t.format = formats.empty() ? OutputFormat::kTable : ToFormat(formats[0]);
  t.output_path = outputs.empty() ? "" : outputs[0];
  for (size_t i = 1; i < outputs.size(); i++) {
    t.more_outputs.emplace_back(ToFormat(formats[i]), outputs[i]);
  }
  return std::nullopt;
}

// What argv gives beyond TraceOptions' own fields, interpreted after parsing.
struct TraceArgs {
  std::vector<std::string> formats;
  std::vector<std::string> outputs;
  bool retained_flag = false, no_retained = false;
};

// The options of trace mode (goretain --pid PID / -- COMMAND).
void AddTraceOptions(CLI::App& app, TraceOptions& t, TraceArgs& args) {
  app.add_option("-p,--pid", t.pid, "PID of the Go process to trace");
  app.add_option("-d,--duration", t.duration_s, "stop after SECONDS (default: until target exits or Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("-i,--interval", t.interval_s, "print a cumulative report every SECONDS")
      ->check(CLI::PositiveNumber);
  app.add_option("-f,--format", args.formats,
                 "report format (default table); pprof needs -o. Repeat -f and -o to write several "
                 "outputs of one run: the i-th -f goes with the i-th -o")
      ->check(CLI::IsMember({"table", "json", "pprof"}))
      ->allow_extra_args(false);
  app.add_option("-o,--output", args.outputs,
                 "write reports to FILE instead of stdout (pprof: FILE is rewritten at each "
                 "report; DIR/ or a name with %d gets one profile per report)")
      ->allow_extra_args(false);
  app.add_option("-n,--top", t.top, "show only the N largest call sites (0 = all)");
  app.add_option("--stack-depth", t.stack_depth, "frames beyond the call site in the JSON stack")
      ->check(CLI::Range(0, 24));
  app.add_option("--ringbuf-mb", t.ringbuf_mb, "ring buffer size in MiB (power of two)")
      ->check(CLI::Range(1, 1024));
  // Retention is the default; -r/--retained stays accepted (a no-op) for existing scripts.
  CLI::Option* retained_opt = app.add_flag(
      "-r,--retained", args.retained_flag,
      "report what each line still holds after GC, and which lines leak: the default (this flag "
      "is accepted and does nothing)");
  app.add_flag("--no-retained", args.no_retained,
               "allocations only: no retained bytes, no leak signal (one probe hit per allocation "
               "instead of two: cheaper)")
      ->excludes(retained_opt);
  app.add_flag("--assigns", t.assigns,
               "also count map inserts per call site (probes every runtime.mapassign call: costly)");
  app.add_flag("-v,--verbose", t.verbose, "debug logs on stderr");
  // Production mode (issue 12).
  app.add_flag("--sample", t.sample,
               "ride the Go runtime's own heap sampler (runtime.MemProfileRate) instead of "
               "probing every allocation");
  app.add_flag("--enable-sampling{524288}", t.enable_sampling_bytes,
               "with --sample, if the target runs with MemProfileRate 0 (it never references "
               "runtime.MemProfile), set it to BYTES (default 524288) in the target, once: the "
               "only write goretain ever makes to a target")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-callsites", t.max_callsites,
                 "distinct call sites kept (default 10000); new ones beyond it are folded into "
                 "one (other) row per kind, and counted")
      ->check(CLI::PositiveNumber);
  app.add_option("command", t.command, "command to start traced (after --)");
}

}  // namespace

ParseResult ParseCommandLine(int argc, char** argv) {
  ParseResult r;
  TraceOptions& t = r.cmd.trace;
  CLI::App app{kDescription, "goretain"};
  app.set_version_flag("--version", "goretain 0.1.0");

  // Bad usage: one error line with the --help hint, exit code 2.
  auto usage_error = [&](const std::string& msg) {
    WriteErrorLine(fmt::format("{} (hint: see 'goretain --help')", msg));
    r.exit_code = kExitBadInput;
    return r;
  };
  TraceArgs args;
  AddTraceOptions(app, t, args);

  CLI::App* sym = app.add_subcommand("symbols", "inspect a Go binary's symbol table");
  sym->add_option("binary", r.cmd.symbols.binary, "Go executable")->required();
  sym->add_option("--pc", r.cmd.symbols.pcs, "resolve these addresses (hex)");
  sym->add_option("--func", r.cmd.symbols.funcs, "print entry, end and size of these functions");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::cout << app.help();
    r.exit_code = kExitOk;
    return r;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    r.exit_code = kExitOk;
    return r;
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  if (*sym) {
    r.cmd.mode = CommandLine::Mode::kSymbols;
    return r;
  }
  t.retained = !args.no_retained;
  if (auto error = PairOutputs(args.formats, args.outputs, t)) return usage_error(*error);
  // A profile without callers is a poor flame graph: pprof gets a stack unless told otherwise.
  const bool pprof =
      std::find(args.formats.begin(), args.formats.end(), "pprof") != args.formats.end();
  if (pprof && app.get_option("--stack-depth")->count() == 0) t.stack_depth = kPprofStackDepth;
  if (t.pid && !t.command.empty()) return usage_error("give either --pid or a command, not both");
  if (!t.pid && t.command.empty()) return usage_error("nothing to trace: give --pid PID or -- COMMAND");
  if (t.enable_sampling_bytes && !t.sample) return usage_error("--enable-sampling needs --sample");
  if ((t.ringbuf_mb & (t.ringbuf_mb - 1)) != 0) return usage_error("--ringbuf-mb must be a power of two");
  return r;
}

}  // namespace goretain
