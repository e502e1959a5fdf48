// ProbePlan: which runtime functions of one Go executable goretain attaches to, where exactly, and
// how the BPF program must read their arguments. Computed once per executable (not per process):
// every process running the same file shares the plan and the attached probes.
#pragma once

#include <string>
#include <vector>

#include "symbols/go_binary.h"
#include "symbols/result.h"
#include "userspace/bpf_types.hpp"

namespace goretain {

struct PlannedProbe {
  std::string symbol;      // e.g. "runtime.makemap"
  ElfVaddr function_entry;
  ElfVaddr address;        // the probed instruction
  FileOffset file_offset;  // what the uprobe API takes
  bool on_stack_check;     // placed on the stack-check JBE (emulated, morestack-aware)
                           // (call probes: on an emulated CALL inside the function)
  gr_probe_spec spec;
};

struct ProbePlan {
  symbols::GoVersion go_version;
  bool swiss_maps = false;  // the binary's maps are Swiss tables (internal/runtime/maps)
  std::vector<PlannedProbe> probes;

  // One line per probe, for debug logs.
  std::string Describe() const;
};

struct PlanOptions {
  bool assigns = false;  // also probe every runtime.mapassign* call (per-insert counts)
};

// Releases supported: Go 1.17 introduced the register ABI on amd64; 1.27 is the newest whose
// runtime layouts goretain knows. A newer one is refused rather than measured wrongly.
inline constexpr int kMinGoMinor = 17;
inline constexpr int kMaxGoMinor = 27;

// Errors: kUnsupported (Go version too old or unknown, architecture, a required runtime function
// missing), kBadInput (a probe address outside the file's loadable segments).
Result<ProbePlan> BuildProbePlan(const symbols::GoBinary& binary, const PlanOptions& opts = {});

}  // namespace goretain
