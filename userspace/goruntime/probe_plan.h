// ProbePlan: which runtime functions of one Go executable goretain attaches to, where exactly, and
// how the BPF program must read their arguments. Computed once per executable (not per process):
// every process running the same file shares the plan and the attached probes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "symbols/go_binary.h"
#include "symbols/result.h"
#include "userspace/goruntime/go_releases.h"
#include "goretain.h"

namespace goretain {

struct PlannedProbe {
  std::string symbol;      // e.g. "runtime.makemap"
  ElfVaddr function_entry;
  ElfVaddr address;        // the probed instruction
  FileOffset file_offset;  // what the uprobe API takes
  bool on_stack_check;     // placed on the stack-check JBE (emulated, morestack-aware)
                           // (call probes: on an emulated CALL inside the function)
  gr_probe_spec spec;
  // For a completion probe (GR_PROBE_COMPLETES): the index in ProbePlan::probes of the
  // allocation probe whose pending event it completes; -1 otherwise.
  int completes = -1;
};

// A CALL whose result a completion probe reads: `alloc_index`'s entry probe stashes an event only
// when called from here (GR_PROBE_STASH_KNOWN_CALLERS).
struct StashCaller {
  size_t alloc_index;       // in ProbePlan::probes
  ElfVaddr return_address;  // the instruction after the CALL
};

struct ProbePlan {
  symbols::GoVersion go_version;
  bool swiss_maps = false;  // the binary's maps are Swiss tables (internal/runtime/maps)
  std::vector<PlannedProbe> probes;
  // Allocation probes whose events carry the object's address (see GR_PROBE_STASH).
  size_t addressed = 0;
  std::vector<StashCaller> stash_callers;
  // Instructions decoded to find call sites and where their results are read: each function the
  // plan scans is decoded once, so this stays below the scanned code's size in bytes.
  uint64_t decoded_instructions = 0;

  // One line per probe, for debug logs.
  std::string Describe() const;
};

// How far a long plan has got: `done` of `total` functions that call makemap_small scanned.
struct PlanProgress {
  size_t done = 0;
  size_t total = 0;
};

struct PlanOptions {
  bool assigns = false;  // also probe every runtime.mapassign* call (per-insert counts)
  // Also capture each allocated object's address (a second probe hit per allocation), for
  // retained bytes after GC.
  bool addresses = false;
  // With `addresses`: also read makemap_small's result in each of its callers (hundreds to
  // thousands of completion probes in a large binary; only with uprobe_multi links).
  bool caller_completions = true;
  // Called now and then while the callers are scanned (hundreds of times at most, and with
  // done == total at the end); the planner itself prints nothing.
  std::function<void(const PlanProgress&)> progress = nullptr;
};


// Errors: kUnsupported (Go version too old or unknown, architecture, a required runtime function
// missing), kBadInput (a probe address outside the file's loadable segments).
Result<ProbePlan> BuildProbePlan(const symbols::GoBinary& binary, const PlanOptions& opts = {});

// The checks every plan shares (the sampler's too, goruntime/sampler_plan.h): kUnsupported for a
// Go release outside the supported range or of unknown version; and the link-time range of the
// runtime's code (gr_probe_spec.runtime_lo/hi).
Status CheckPlannableRelease(const symbols::GoBinary& binary);
std::pair<uint64_t, uint64_t> RuntimeCodeRangeOf(const symbols::GoBinary& binary);

struct ReturnValueProbe;
// Adds a probe at `rv` in `fn` that completes plan.probes[alloc_index]'s pending event with the
// allocated object's address (the allocation probe gets GR_PROBE_STASH). `frame_sp_delta`: only
// complete an event whose SP plus this equals the SP at `rv` (0: the allocation probe is a CALL
// in the same function body; 8: it is the entry of the function `fn` called). If `rv`'s address
// already carries an allocating CALL probe, that probe does both (GR_PROBE_THEN_ALLOCATES).
// Returns false, planning nothing, if the address carries any other probe or is not in the file.
bool AddCompletion(ProbePlan& plan, const symbols::GoBinary& binary, const symbols::Function& fn,
                   const ReturnValueProbe& rv, size_t alloc_index,
                   std::optional<int32_t> frame_sp_delta);
// For the entry probe of `entry_symbol`, whose one object is allocated inside `allocating_fn` by
// a call to one of `allocators`: completions after every such call, or none if any path's
// address cannot be read at an instruction only that path reaches.
void AddNestedCompletions(ProbePlan& plan, const symbols::GoBinary& binary,
                          const std::string& entry_symbol, const std::string& allocating_fn,
                          const std::vector<std::string>& allocators);

}  // namespace goretain
