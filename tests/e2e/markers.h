// The `// want: <kind> <label> [steps]` markers of the Go targets (tests/targets/<name>/main.go):
// the lines a test looks for, read by one parser.
#pragma once

#include <string>
#include <vector>

namespace e2e {

struct Marker {
  std::string kind;      // map.make | map.grow | slice.grow | ...
  std::string label;     // unique per kind within a target
  std::string function;  // the Go function the line is in, e.g. "main.(*T).m"
  int line;              // 1-based
  // `steps`: a container that grows by doubling (a global slice or map), whose retained bytes
  // rise in steps that get rarer: not required to be flagged as a leak.
  bool steps;
};

// Every marker of the target, in source order. Throws if the source cannot be read.
std::vector<Marker> AllMarkers(const std::string& target);

// The markers whose label starts with `prefix`.
std::vector<Marker> Markers(const std::string& target, const std::string& prefix);

// The one marker with this kind and label; throws if it is absent or present more than once.
Marker FindMarker(const std::string& target, const std::string& kind, const std::string& label);

}  // namespace e2e
