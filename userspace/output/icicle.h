// The layout of an icicle graph (a flame graph hanging down) of a report's bytes by call stack:
// pure geometry, no HTML. Each row contributes its bytes along its frames, outermost first (the
// row's `stack` reversed, then its call site; with --stack-depth 0 the call sites alone, one
// level). Frames are merged by (function, file, line) under the same parent. A node's width is
// its share of all rows' bytes, so widths are proportional to bytes at every level.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "userspace/model/report.h"

namespace goretain {

enum class IcicleValue { kRetained, kAllocated };

struct IcicleNode {
  double x = 0;      // left edge, as a fraction of the whole width [0, 1)
  double width = 0;  // bytes / total bytes
  int depth = 0;     // 0: the outermost frames
  uint64_t bytes = 0;
  SourceFrame frame;
  bool leaking = false;  // a leaking row's stack passes through this frame
};

struct IcicleLayout {
  uint64_t total_bytes = 0;
  int levels = 0;                  // deepest depth + 1 (0 when there are no nodes)
  std::vector<IcicleNode> nodes;   // every parent before its children; siblings by bytes, descending
};

// Rows with no bytes of `value` (retained bytes unknown or 0) add nothing. Nodes narrower than
// `min_width` are left out with everything under them (their bytes still widen their parent),
// which bounds the nodes to about levels / min_width however many rows there are.
IcicleLayout LayoutIcicle(const std::vector<CallsiteRow>& rows, IcicleValue value,
                          double min_width);

// Both at once, from one call tree (half the work of two LayoutIcicle calls).
struct IcicleLayouts {
  IcicleLayout retained;
  IcicleLayout allocated;
};
IcicleLayouts LayoutIcicles(const std::vector<CallsiteRow>& rows, double min_width);

}  // namespace goretain
