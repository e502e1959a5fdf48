// TracedBinary: what goretain knows about each executable it probes, parsed and planned once and
// shared by every process running it. Pure data of the file: no process in it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "symbols/go_binary.h"
#include "userspace/goruntime/go_alloc_model.h"
#include "userspace/goruntime/heap_layout.h"
#include "userspace/goruntime/probe_plan.h"
#include "userspace/goruntime/executable_id.h"

namespace goretain {

struct TracedBinary {
  ExecutableId id;
  std::string exe_path;  // for people
  std::unique_ptr<symbols::GoBinary> binary;
  ProbePlan plan;
  GoAllocModel model;
  std::optional<HeapLayout> heap;  // where its heap metadata lives; nullopt: no retention
};

}  // namespace goretain
