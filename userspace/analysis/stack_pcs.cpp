#include "userspace/analysis/stack_pcs.h"

#include <algorithm>

#include "userspace/analysis/aggregator.h"

namespace goretain {
namespace {

StackPc ToStackPc(uint64_t return_address, const symbols::Resolution& res, bool skip_runtime) {
  StackPc s;
  s.pc = return_address - 1;  // the call instruction, as Go's profiles give non-leaf frames
  auto first = res.frames.begin();
  if (skip_runtime) {
    auto user = std::find_if(res.frames.begin(), res.frames.end(),
                             [](const symbols::Frame& f) { return !IsRuntimeFrame(f); });
    if (user != res.frames.end()) first = user;
  }
  for (auto f = first; f != res.frames.end(); ++f) {
    s.frames.push_back(SourceFrame{std::string(f->function), std::string(f->file), f->line});
  }
  return s;
}

}  // namespace

ResolvedStack ResolveStack(const symbols::GoBinary& bin, uint64_t site_return_address,
                           const std::vector<uint64_t>& outer_return_addresses) {
  ResolvedStack s;
  s.return_addresses.reserve(1 + outer_return_addresses.size());
  s.return_addresses.push_back(site_return_address);
  s.return_addresses.insert(s.return_addresses.end(), outer_return_addresses.begin(),
                            outer_return_addresses.end());
  for (uint64_t ra : s.return_addresses) {
    s.resolutions.push_back(bin.Resolve(ElfVaddr{ra}, symbols::PcKind::kReturnAddress));
  }
  return s;
}

std::vector<StackPc> StackPcs(const ResolvedStack& stack) {
  std::vector<StackPc> pcs;
  pcs.reserve(stack.return_addresses.size());
  for (size_t i = 0; i < stack.return_addresses.size(); i++) {
    pcs.push_back(ToStackPc(stack.return_addresses[i], stack.resolutions[i], /*skip_runtime=*/i == 0));
  }
  return pcs;
}

}  // namespace goretain
