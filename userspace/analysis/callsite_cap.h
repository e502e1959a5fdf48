// CallsiteCap: bounds the number of distinct call sites an aggregator keeps (--max-callsites), so
// a program with endless distinct stacks (generated code, deep random recursion) cannot grow
// goretain's memory without bound over days. Sites beyond the cap are folded into one "(other)"
// row per kind; the cap counts how many distinct sites (exactly up to kMaxCounted, then "at
// least") and how many allocations were folded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_set>

#include "userspace/model/report.h"

namespace goretain {

class CallsiteCap {
 public:
  static constexpr size_t kDefaultMax = 10000;
  // Distinct folded sites remembered to count them (8 bytes each plus the set's overhead).
  static constexpr size_t kMaxCounted = 100000;

  explicit CallsiteCap(size_t max_callsites = kDefaultMax) : max_(max_callsites) {}

  // For a call site not kept yet (`site` identifies it, e.g. a hash of its key), with `kept`
  // sites kept now: true = keep it as a row of its own; false = fold it (and count it, and the
  // allocation if `allocation`).
  bool Admit(uint64_t site, size_t kept, bool allocation);

  const FoldedCallsites& folded() const { return folded_; }
  size_t max() const { return max_; }

 private:
  size_t max_;
  std::unordered_set<uint64_t> counted_;
  FoldedCallsites folded_;
};

}  // namespace goretain
