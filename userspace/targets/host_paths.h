// Where the host's process and runtime state is found. The defaults are the host's own paths;
// a node agent whose host is mounted elsewhere, and the unit tests (fixture trees), change them.
#pragma once

#include <string>

namespace goretain::targets {

struct HostPaths {
  std::string proc = "/proc";
  std::string run = "/run";                      // runtimes' state: containerd, runc, CRI-O
  std::string var_log_pods = "/var/log/pods";    // the kubelet's <ns>_<pod>_<uid> directories
};

}  // namespace goretain::targets
