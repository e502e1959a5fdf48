// StackPcs: a call site's stack as PCs with their inline-expanded source frames (model::StackPc),
// for outputs that show addresses (pprof's Locations). Resolved once per row, at report time.
#pragma once

#include <cstdint>
#include <vector>

#include "symbols/go_binary.h"
#include "userspace/model/report.h"

namespace goretain {

// `site_return_address`: the chosen frame's return address; `outer_return_addresses`: deeper
// ones, outward. All ElfVaddrs. Each becomes one StackPc at return address - 1; the site's frames
// start at its innermost frame outside the Go runtime (as the row's `site`).
std::vector<StackPc> StackPcs(const symbols::GoBinary& bin, uint64_t site_return_address,
                              const std::vector<uint64_t>& outer_return_addresses);

}  // namespace goretain
