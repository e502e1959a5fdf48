// PcIndex: lazily built checkpoints into the pcvalue tables of long functions, so that resolving
// a PC costs a binary search plus at most kEvery decoding steps per table instead of a walk from
// the function's entry. Internal to goretain_symbols.
//
// Built per function on its first lookup and published lock-free (one atomic slot per function),
// so concurrent Resolve calls are safe. Memory: one pointer per function plus 16 bytes per
// kEvery steps of the tables of functions that were looked up (a small fraction of the pclntab).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "symbols/pclntab.h"

namespace goretain::symbols {

class PcIndex {
 public:
  // Functions with less code than this are walked directly: their tables are short.
  static constexpr uint64_t kMinCodeSize = 512;
  static constexpr uint32_t kEvery = 16;

  PcIndex(const Pclntab& tab, size_t nfunc);
  ~PcIndex();
  PcIndex(const PcIndex&) = delete;
  PcIndex& operator=(const PcIndex&) = delete;

  // The tables of one function, as the resolver needs them.
  struct Tables {
    uint32_t pcln = 0, pcfile = 0, inl = 0;  // table offsets (0 = absent)
  };

  // Values of the three tables at `pc_off` bytes after the entry of function `index`.
  struct Values {
    std::optional<int32_t> line, file, inl;
  };
  Values Lookup(size_t index, const Tables& t, uint64_t code_size, uint64_t pc_off,
                bool want_inl) const;

 private:
  struct Checkpoints {
    std::vector<PcCursor> pcln, pcfile, inl;
  };
  const Checkpoints* For(size_t index, const Tables& t) const;
  std::optional<int32_t> Value(uint32_t table, const std::vector<PcCursor>* cps,
                               uint64_t pc_off) const;

  const Pclntab& tab_;
  size_t nfunc_;
  std::unique_ptr<std::atomic<Checkpoints*>[]> slots_;
};

}  // namespace goretain::symbols
