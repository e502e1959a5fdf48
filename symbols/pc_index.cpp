#include "symbols/pc_index.h"

#include <algorithm>

namespace goretain::symbols {

PcIndex::PcIndex(const Pclntab& tab, size_t nfunc)
    : tab_(tab), nfunc_(nfunc), slots_(new std::atomic<Checkpoints*>[nfunc]) {
  for (size_t i = 0; i < nfunc; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
}

PcIndex::~PcIndex() {
  for (size_t i = 0; i < nfunc_; ++i) delete slots_[i].load(std::memory_order_relaxed);
}

const PcIndex::Checkpoints* PcIndex::For(size_t index, const Tables& t) const {
  Checkpoints* cps = slots_[index].load(std::memory_order_acquire);
  if (cps != nullptr) return cps;
  auto built = std::make_unique<Checkpoints>();
  built->pcln = tab_.PcCheckpoints(t.pcln, kEvery);
  built->pcfile = tab_.PcCheckpoints(t.pcfile, kEvery);
  built->inl = tab_.PcCheckpoints(t.inl, kEvery);
  // Another thread may have published first; then use its copy and drop ours.
  Checkpoints* expected = nullptr;
  if (slots_[index].compare_exchange_strong(expected, built.get(), std::memory_order_acq_rel)) {
    return built.release();
  }
  return expected;
}

std::optional<int32_t> PcIndex::Value(uint32_t table, const std::vector<PcCursor>* cps,
                                      uint64_t pc_off) const {
  const PcCursor* from = nullptr;
  if (cps != nullptr && !cps->empty()) {
    // The last checkpoint at or below pc_off: the value for pc_off lies in a later step.
    auto it = std::upper_bound(cps->begin(), cps->end(), pc_off,
                               [](uint64_t v, const PcCursor& c) { return v < c.pc_off; });
    if (it != cps->begin()) from = &*(it - 1);
  }
  return tab_.PcValueAt(table, pc_off, from);
}

PcIndex::Values PcIndex::Lookup(size_t index, const Tables& t, uint64_t code_size, uint64_t pc_off,
                                bool want_inl) const {
  const Checkpoints* cps = index < nfunc_ && code_size >= kMinCodeSize ? For(index, t) : nullptr;
  Values v;
  v.line = Value(t.pcln, cps != nullptr ? &cps->pcln : nullptr, pc_off);
  if (!v.line) return v;
  v.file = Value(t.pcfile, cps != nullptr ? &cps->pcfile : nullptr, pc_off);
  if (want_inl && t.inl != 0) v.inl = Value(t.inl, cps != nullptr ? &cps->inl : nullptr, pc_off);
  return v;
}

}  // namespace goretain::symbols
