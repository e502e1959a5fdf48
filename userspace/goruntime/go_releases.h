// The Go releases goretain supports, stated once. Every per-release table (heap layouts, the
// allocation model, probe specs) covers exactly this range; symbols/ parses a wider one.
#pragma once

namespace goretain {

// Go 1.17 introduced the register ABI on amd64; 1.27 is the newest whose runtime layouts goretain
// knows. A newer one is refused rather than measured wrongly.
inline constexpr int kMinGoMinor = 17;
inline constexpr int kMaxGoMinor = 27;

}  // namespace goretain
