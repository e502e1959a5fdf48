#include "userspace/cli/options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "userspace/cli/agent_command.h"
#include "userspace/cli/exit_codes.h"
#include "userspace/cli/user_errors.h"
#include "userspace/cli/version.h"

namespace goretain {
namespace {

constexpr const char* kDescription =
    "goretain: which lines of a running Go program allocate and keep memory (maps, slices).\n"
    "  goretain --pid PID [options]          trace a running Go process\n"
    "  goretain --container ID | --pod NS/NAME | --pod-uid UID | --cgroup PATH | --all\n"
    "                                        trace the Go processes of a container, pod, cgroup\n"
    "  goretain [options] -- COMMAND [ARGS]  start COMMAND traced from its first instruction\n"
    "  goretain top --pid PID [options]      a live view of the call sites, like top\n"
    "  goretain symbols BINARY [--pc ADDR...] [--func NAME...]\n"
    "  goretain agent [--cgroup PATH...] [options]  node agent: follow Go processes until SIGTERM\n";

constexpr uint32_t kPprofStackDepth = 16;

OutputFormat ToFormat(const std::string& name) {
  if (name == "json") return OutputFormat::kJson;
  if (name == "pprof") return OutputFormat::kPprof;
  if (name == "html") return OutputFormat::kHtml;
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
  std::string listen;  // --listen ADDR:PORT, parsed after the rest
  std::string kinds;
};

// The options of trace mode (goretain --pid PID / -- COMMAND).
void AddTraceOptions(CLI::App& app, TraceOptions& t, TraceArgs& args) {
  app.add_option("-p,--pid", t.select.pids, "PID of a Go process to trace (repeatable)")
      ->allow_extra_args(false);
  // Container and pod selectors (userspace/targets/): they add up with --pid and each other.
  app.add_option("--container", t.select.containers,
                 "trace the Go processes of the container with this ID (12-64 hex digits, a "
                 "prefix; repeatable)")
      ->allow_extra_args(false);
  app.add_option("--pod", t.select.pods,
                 "trace the Go processes of pod NAMESPACE/NAME on this node (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--pod-uid", t.select.pod_uids,
                 "trace the Go processes of the pod with this UID (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--cgroup", t.select.cgroups,
                 "trace the Go processes in this cgroup v2 and below it (PATH relative to the "
                 "cgroup2 mount; repeatable)")
      ->allow_extra_args(false);
  app.add_flag("--all", t.select.all, "trace every Go process on the host");
  app.add_option("-d,--duration", t.duration_s, "stop after SECONDS (default: until target exits or Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("-i,--interval", t.interval_s, "print a cumulative report every SECONDS")
      ->check(CLI::PositiveNumber);
  app.add_option("-f,--format", args.formats,
                 "report format (default table); pprof and html need -o. Repeat -f and -o to write several "
                 "outputs of one run: the i-th -f goes with the i-th -o")
      ->check(CLI::IsMember({"table", "json", "pprof", "html"}))
      ->allow_extra_args(false);
  app.add_option("-o,--output", args.outputs,
                 "write reports to FILE instead of stdout (pprof, html: FILE is rewritten at each "
                 "report; pprof: DIR/ or a name with %d gets one profile per report)")
      ->allow_extra_args(false);
  app.add_option("-n,--top", t.top, "show only the N largest call sites (0 = all)");
  app.add_option("--stack-depth", t.stack_depth, "frames beyond the call site in the JSON stack")
      ->check(CLI::Range(0, 24));
  app.add_option("--ringbuf-mb", t.ringbuf_mb, "ring buffer size in MiB (power of two; default 32, with --sample 4)")
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
  // Production mode (issue 12): the runtime's own heap sampler instead of every allocation.
  app.add_flag("--sample", t.sample,
               "sampled mode: ride the Go runtime's heap-profile sampler (runtime.MemProfileRate, "
               "512 KiB by default) instead of probing every allocation; figures are estimates "
               "(~1% cost instead of x20 on allocation-heavy code)");
  app.add_option("--kinds", args.kinds,
                 "with --sample: 'all' also reports other heap objects (kind `other`); "
                 "default: maps and slices only")
      ->check(CLI::IsMember({"maps-slices", "all"}));
  app.add_flag("-v,--verbose", t.verbose, "debug logs on stderr");
  app.add_flag("--enable-sampling{524288}", t.enable_sampling_bytes,
               "with --sample, if the target runs with MemProfileRate 0 (it never references "
               "runtime.MemProfile), set it to BYTES (default 524288) in the target, once: the "
               "only write goretain ever makes to a target")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-callsites", t.max_callsites,
                 "distinct call sites kept (default 10000); new ones beyond it are folded into "
                 "one (other) row per kind, and counted")
      ->check(CLI::PositiveNumber);
  // Processes that exit while followed (analysis/exited_processes.h).
  app.add_option("--max-exited", t.max_exited,
                 "processes that exited whose rows are kept with their pid (default 32, the "
                 "newest); older ones are folded into rows without a pid, and counted")
      ->check(CLI::NonNegativeNumber);
  app.add_option("command", t.command, "command to start traced (after --)");
}

// The HTTP endpoint while tracing (userspace/http): off unless --listen is given.
void AddListenOptions(CLI::App& app, ListenOptions& listen, TraceArgs& args) {
  CLI::Option* listen_opt = app.add_option(
      "--listen", args.listen,
      "while tracing, serve /metrics (Prometheus), /debug/pprof/heap and /allocs (go tool pprof) "
      "and / at ADDR:PORT (e.g. 127.0.0.1:9464; port 0: any free port). Off by default; bind "
      "loopback unless the port is protected");
  app.add_option("--metrics-top", listen.metrics_top,
                 "call sites with their own series on /metrics (default 50; 0 = all); the rest "
                 "are summed into function=\"(other)\"")
      ->needs(listen_opt);
}

// Selectors (targets/selection.h) or a command, not both and not neither; well-formed selectors.
std::optional<std::string> CheckWhatToTrace(const TraceOptions& t) {
  if (!t.select.empty() && !t.command.empty()) {
    return "give either --pid (or another selector) or a command, not both";
  }
  if (t.select.empty() && t.command.empty()) {
    return "nothing to trace: give --pid PID, --container, --pod, --pod-uid, --cgroup, --all or "
           "-- COMMAND";
  }
  return targets::CheckSelectionSyntax(t.select);
}

}  // namespace

// --listen ADDR:PORT, checked before anything is attached (the port is bound later). False: the
// error line is written and `r` carries the exit code.
bool ApplyListen(const std::string& text, ParseResult& r) {
  if (text.empty()) return true;
  Result<ListenAddress> address = ParseListenAddress(text);
  if (!address) {
    WriteErrorLine(address.error().message);
    r.exit_code = kExitBadInput;
    return false;
  }
  r.cmd.listen.address = *address;
  return true;
}

// What trace mode (and goretain top) decide once argv is parsed: outputs, the stack depth the
// graphs need, the listen address, what to trace. A usage message, or nullopt.
std::optional<std::string> FinishTraceMode(const TraceArgs& args, const CLI::App& mode_app,
                                           ParseResult& r) {
  TraceOptions& t = r.cmd.trace;
  t.retained = !args.no_retained;
  if (auto error = PairOutputs(args.formats, args.outputs, t)) return error;
  // A profile without callers is a poor flame graph: pprof gets a stack unless told otherwise.
  // Nor is an HTML report's icicle graph; --listen serves pprof too.
  const bool wants_stack =
      std::find(args.formats.begin(), args.formats.end(), "pprof") != args.formats.end() ||
      std::find(args.formats.begin(), args.formats.end(), "html") != args.formats.end() ||
      !args.listen.empty();
  if (wants_stack && mode_app.get_option("--stack-depth")->count() == 0) {
    t.stack_depth = kPprofStackDepth;
  }
  if (!ApplyListen(args.listen, r)) return std::nullopt;
  if (auto error = CheckWhatToTrace(t)) return error;
  t.all_kinds = args.kinds == "all";
  if (t.all_kinds && !t.sample) return "--kinds all needs --sample";
  if (t.sample && t.assigns) return "--assigns needs exact mode (not --sample)";
  if (t.enable_sampling_bytes && !t.sample) return "--enable-sampling needs --sample";
  if ((t.ringbuf_mb & (t.ringbuf_mb - 1)) != 0) return "--ringbuf-mb must be a power of two";
  return std::nullopt;
}

ParseResult ParseCommandLine(int argc, char** argv) {
  ParseResult r;
  TraceOptions& t = r.cmd.trace;
  CLI::App app{kDescription, "goretain"};
  app.set_version_flag("--version", std::string("goretain ") + kGoretainVersion);

  // Bad usage: one error line with the --help hint, exit code 2.
  auto usage_error = [&](const std::string& msg) {
    WriteErrorLine(fmt::format("{} (hint: see 'goretain --help')", msg));
    r.exit_code = kExitBadInput;
    return r;
  };
  TraceArgs args;
  AddTraceOptions(app, t, args);
  AddListenOptions(app, r.cmd.listen, args);

  CLI::App* sym = app.add_subcommand("symbols", "inspect a Go binary's symbol table");
  sym->add_option("binary", r.cmd.symbols.binary, "Go executable")->required();
  sym->add_option("--pc", r.cmd.symbols.pcs, "resolve these addresses (hex)");
  sym->add_option("--func", r.cmd.symbols.funcs, "print entry, end and size of these functions");

  // goretain top: the live view takes trace mode's selectors and modes; the screen shows the
  // reports, so -f goes with -o only.
  TraceArgs top_args;
  CLI::App* top = app.add_subcommand("top", "a live view of the call sites, refreshed every second");
  AddTraceOptions(*top, t, top_args);
  // goretain agent: the long-running node agent (cli/agent_command.cpp).
  AgentArgs agent_args;
  CLI::App* agent = AddAgentCommand(app, t, agent_args);
  TraceArgs agent_listen;  // the agent serves the same endpoints (the DaemonSet's scrape target)
  AddListenOptions(*agent, r.cmd.listen, agent_listen);

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
  if (*agent) {
    r.cmd.mode = CommandLine::Mode::kAgent;
    if (!t.select.empty() || !t.command.empty()) {
      return usage_error("goretain agent takes no --pid or command (hint: its selectors come after "
                         "'agent')");
    }
    if (auto error = FinishAgentOptions(agent_args, t)) return usage_error(*error);
    if (!agent_listen.listen.empty()) t.stack_depth = kPprofStackDepth;  // pprof gets callers
    ApplyListen(agent_listen.listen, r);
    return r;
  }
  if (*top) {
    r.cmd.mode = CommandLine::Mode::kTop;
    if (!top_args.formats.empty() && top_args.outputs.empty()) {
      return usage_error("goretain top shows the report on screen: --format needs --output FILE");
    }
    args = std::move(top_args);
  }
  const CLI::App& mode_app = *top ? *top : app;
  if (auto error = FinishTraceMode(args, mode_app, r)) return usage_error(*error);
  return r;
}

}  // namespace goretain
