#include "userspace/analysis/stack_pcs.h"

#include <algorithm>

#include "userspace/analysis/aggregator.h"

namespace goretain {
namespace {

StackPc ResolvePc(const symbols::GoBinary& bin, uint64_t return_address, bool skip_runtime) {
  StackPc s;
  s.pc = return_address - 1;  // the call instruction, as Go's profiles give non-leaf frames
  auto res = bin.Resolve(ElfVaddr{return_address}, symbols::PcKind::kReturnAddress);
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

std::vector<StackPc> StackPcs(const symbols::GoBinary& bin, uint64_t site_return_address,
                              const std::vector<uint64_t>& outer_return_addresses) {
  std::vector<StackPc> pcs;
  pcs.reserve(1 + outer_return_addresses.size());
  pcs.push_back(ResolvePc(bin, site_return_address, /*skip_runtime=*/true));
  for (uint64_t ra : outer_return_addresses) pcs.push_back(ResolvePc(bin, ra, false));
  return pcs;
}

}  // namespace goretain
