// The probe plan of --sample: ride the Go runtime's own heap-profile sampler instead of probing
// every allocation. Three probes per executable, none on the allocation fast path:
//   - runtime.mProf_Malloc, called only for an allocation the runtime sampled (about one per
//     MemProfileRate bytes), on the JBE of its stack check (morestack restarts the function: the
//     BPF program ignores that pass, so a sample is never counted twice);
//   - runtime.freeSpecial, which the sweeper calls for every special record of a freed object;
//     userspace keeps the profile ones (the special's kind byte, read into gr_event.deref);
//   - runtime.gcMarkTermination, once per GC cycle: the cycle boundaries figures are taken at.
// Facts per release (argument registers, the special's layout) are columns of go_releases.h.
#pragma once

#include "symbols/go_binary.h"
#include "symbols/result.h"
#include "userspace/goruntime/probe_plan.h"

namespace goretain {

// Errors: kUnsupported (Go release outside the supported range, or the runtime lacks
// mProf_Malloc / freeSpecial), kBadInput (a probe address outside the loadable segments).
Result<ProbePlan> BuildSamplerPlan(const symbols::GoBinary& binary);

}  // namespace goretain
