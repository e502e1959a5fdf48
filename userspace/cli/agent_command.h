// `goretain agent`: the long-running node agent's command line (a DaemonSet runs it).
//
// It is trace mode with other defaults: no --pid or command, processes followed as they come
// and go (every Go process on the host unless --cgroup, --pod, --pod-uid or --container narrows
// it), no end but a signal. The
// session does the work (TraceSession with TraceOptions::follow); this file only fills options.
#pragma once

#include <string>
#include <vector>

#include "userspace/session/trace_options.h"

namespace CLI {
class App;
}

namespace goretain {

struct AgentArgs {
  std::vector<std::string> formats;
  std::vector<std::string> outputs;
  bool no_retained = false;
  bool exact = false;  // --exact: every allocation (the agent samples by default)
  // --pod, --pod-uid, --container: trace mode's selectors, resolved by one /proc scan at start
  // (an error if one finds no Go process), then their pods' and containers' cgroups followed.
  std::vector<std::string> pods, pod_uids, containers;
};

// Registers the `agent` subcommand on `app`; its options land in `t` and `args`.
CLI::App* AddAgentCommand(CLI::App& app, TraceOptions& t, AgentArgs& args);

// After parsing: the agent's defaults and checks. Returns an error message for bad usage.
std::optional<std::string> FinishAgentOptions(const AgentArgs& args, TraceOptions& t);

}  // namespace goretain
