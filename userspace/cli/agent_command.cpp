#include "userspace/cli/agent_command.h"

#include <CLI/CLI.hpp>

#include <optional>

namespace goretain {

CLI::App* AddAgentCommand(CLI::App& app, TraceOptions& t, AgentArgs& args) {
  CLI::App* agent = app.add_subcommand(
      "agent", "run as a node agent: follow every Go process (or the selected cgroups) as they "
               "start and exit, until SIGTERM");
  agent->add_option("--cgroup", t.follow.cgroups,
                    "follow the processes of this cgroup v2 path (relative to the cgroup2 mount) "
                    "and below it; repeatable (default: --all)")
      ->allow_extra_args(false);
  agent->add_option("--pod", args.pods, "follow the Go processes of pod NAMESPACE/NAME on this "
                    "node, and its containers that start later; repeatable")
      ->allow_extra_args(false);
  agent->add_option("--pod-uid", args.pod_uids, "follow the pod with this UID; repeatable")
      ->allow_extra_args(false);
  agent->add_option("--container", args.containers, "follow the container with this ID (12-64 "
                    "hex digits); repeatable")
      ->allow_extra_args(false);
  agent->add_flag("--all", t.follow.all, "follow every Go process on the host (the default)");
  agent->add_option("-d,--duration", t.duration_s, "stop after SECONDS (default: until SIGTERM)")
      ->check(CLI::NonNegativeNumber);
  agent->add_option("-i,--interval", t.interval_s, "write a cumulative report every SECONDS")
      ->check(CLI::PositiveNumber);
  agent->add_option("-f,--format", args.formats, "report format: table (default), json, pprof")
      ->check(CLI::IsMember({"table", "json", "pprof"}))
      ->allow_extra_args(false);
  agent->add_option("-o,--output", args.outputs, "write reports to FILE instead of stdout")
      ->allow_extra_args(false);
  agent->add_option("-n,--top", t.top, "show only the N largest call sites (0 = all)");
  agent->add_flag("--no-retained", args.no_retained, "allocations only: no retained bytes");
  agent->add_flag("--exact", args.exact,
                  "exact mode: probe every map and slice allocation (an investigation); the agent "
                  "rides the runtime's heap sampler by default (--sample)");
  // Bounded memory over days (README "Processes that exit"): the call-site cap and what is kept
  // of processes that exited.
  agent->add_option("--max-callsites", t.max_callsites,
                    "distinct call sites kept (default 10000); new ones beyond it are folded "
                    "into one (other) row per kind, and counted")
      ->check(CLI::PositiveNumber);
  agent->add_option("--max-exited", t.max_exited,
                    "processes that exited whose rows are kept with their pid (default 32, the "
                    "newest); older ones are folded into rows without a pid, and counted")
      ->check(CLI::NonNegativeNumber);
  agent->add_flag("-v,--verbose", t.verbose, "debug logs on stderr");
  // --listen and --metrics-top are added beside these by cli/options.cpp (AddListenOptions).
  return agent;
}

std::optional<std::string> FinishAgentOptions(const AgentArgs& args, TraceOptions& t) {
  t.select.pods = args.pods;
  t.select.pod_uids = args.pod_uids;
  t.select.containers = args.containers;
  const bool narrowed = !t.follow.cgroups.empty() || !t.select.empty();
  if (narrowed && t.follow.all) {
    return "give either --cgroup or --all, not both (nor --all with --pod, --pod-uid or --container)";
  }
  if (auto error = targets::CheckSelectionSyntax(t.select)) return error;
  if (!narrowed) t.follow.all = true;
  if (args.formats.size() > 1 || args.outputs.size() > 1) {
    return "the agent writes one report stream: one --format and one --output at most";
  }
  if (!args.formats.empty()) {
    const std::string& f = args.formats[0];
    t.format = f == "json" ? OutputFormat::kJson : f == "pprof" ? OutputFormat::kPprof
                                                                : OutputFormat::kTable;
  }
  if (!args.outputs.empty()) t.output_path = args.outputs[0];
  if (t.format == OutputFormat::kPprof && t.output_path.empty()) return "-f pprof needs -o FILE";
  t.retained = !args.no_retained;
  // Left attached for days: sampled mode, whose cost is the runtime's own sampling; --exact for
  // an investigation.
  t.sample = !args.exact;
  return std::nullopt;
}

}  // namespace goretain
