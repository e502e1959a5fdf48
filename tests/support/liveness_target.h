// tests/targets/liveness in one of its build variants ("default", "stripped", "pie", "noopt"),
// for the unit tests of the heap layouts and the live tests of the heap reader.
#pragma once

#include <string>

namespace goretain {

inline std::string LivenessTargetPath(const std::string& variant) {
  std::string p = std::string(GORETAIN_TARGETS_DIR) + "/liveness";
  return variant == "default" ? p : p + "-" + variant;
}

}  // namespace goretain
