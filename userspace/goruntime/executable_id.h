// ExecutableId: which file an executable is (device and inode), whatever path or mount namespace
// it is reached through. Two processes with the same id run the same code: one parse, one plan,
// one set of probes.
#pragma once

#include <cstdint>

namespace goretain {

struct ExecutableId {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool operator==(const ExecutableId&) const = default;
};

}  // namespace goretain
