// StackPcs: a call site's stack as PCs with their inline-expanded source frames (model::StackPc),
// for outputs that show addresses (pprof's Locations). Resolved once per row, at report time.
#pragma once

#include <cstdint>
#include <vector>

#include "symbols/go_binary.h"
#include "userspace/model/report.h"

namespace goretain {

// A row's return addresses (ElfVaddrs), each resolved once: [0] is the chosen frame's (the call
// site), then the deeper ones, outward. The row's site, its JSON stack and its PCs all read this.
struct ResolvedStack {
  std::vector<uint64_t> return_addresses;
  std::vector<symbols::Resolution> resolutions;  // one per return address; views into the binary
};
ResolvedStack ResolveStack(const symbols::GoBinary& bin, uint64_t site_return_address,
                           const std::vector<uint64_t>& outer_return_addresses);

// Each return address becomes one StackPc at return address - 1; the site's frames start at its
// innermost frame outside the Go runtime (as the row's `site`).
std::vector<StackPc> StackPcs(const ResolvedStack& stack);

}  // namespace goretain
