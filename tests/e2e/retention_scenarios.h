// Helpers of the retention tests (leaks_test.cpp, traps_test.cpp): the markers of a scenario's
// source, and a traced run of it.
#pragma once

#include <string>
#include <vector>

#include "harness.h"

namespace e2e {

struct Marker {
  std::string kind, label, function;
  int line;
  // `// want: <kind> <label> steps`: a container that grows by doubling (a global slice or
  // map), whose retained bytes rise in steps that get rarer: not required to be flagged.
  bool steps;
};

// Every `// want: <kind> <label> [steps]` line of a target whose label starts with `prefix`.
std::vector<Marker> Markers(const std::string& target, const std::string& prefix);

// The inuse_bytes the target's own heap profile (tests/targets/internal/groundtruth) gives the
// marker's line.
int64_t InuseBytes(const json& profile, const Marker& m);

// Starts `target` (with `extra` flags) with frequent GCs (GOGC=20: the runtime's 4 MiB minimum
// heap would otherwise allow few cycles in a short test), traces it with --retained and a
// report every second for `seconds`, checks that the program was unharmed, and returns the
// reports.
std::vector<json> TraceScenario(const TempDir& tmp, const std::string& target,
                                const std::vector<std::string>& extra, int seconds);

}  // namespace e2e
