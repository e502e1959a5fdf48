#include "userspace/analysis/callsite_cap.h"

namespace goretain {

bool CallsiteCap::Admit(uint64_t site, size_t kept, bool allocation) {
  if (kept < max_) return true;
  if (allocation) folded_.allocations++;
  if (counted_.size() < kMaxCounted) {
    if (counted_.insert(site).second) folded_.callsites++;
  } else if (!counted_.contains(site)) {
    folded_.callsites_at_least = true;
  }
  return false;
}

}  // namespace goretain
