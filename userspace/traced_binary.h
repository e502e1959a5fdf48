// TracedBinary / TracedProcess: what goretain knows about each executable it probes (parsed once,
// shared by all processes running it) and about each traced process (its load bias).
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "symbols/go_binary.h"
#include "userspace/go_alloc_model.h"
#include "userspace/heap_reader.h"
#include "userspace/probe_plan.h"
#include "userspace/process.h"

namespace goretain {

struct TracedBinary {
  ExecutableId id;
  std::string exe_path;  // for people
  std::unique_ptr<symbols::GoBinary> binary;
  ProbePlan plan;
  GoAllocModel model;
  std::optional<HeapLayout> heap;  // where its heap metadata lives; nullopt: no retention
};

struct TracedProcess {
  pid_t pid = 0;
  const TracedBinary* binary = nullptr;
  uint64_t load_bias = 0;  // ProcessVaddr - ElfVaddr
};

}  // namespace goretain
