// Finding the runtime's heap globals from its code, for binaries without a symbol table.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace goretain {

// The absolute address of the 32-bit global that `code` (a function at link address `entry`)
// increments by 2: `ADDL $2, X(RIP)`, or `MOVL X(RIP), r; ADDL $2, r; MOVL r, X(RIP)`. In
// runtime.gcSweep that global is mheap_.sweepgen. nullopt if no such instruction.
std::optional<uint64_t> FindSweepgenIncrement(std::span<const uint8_t> code, uint64_t entry);

}  // namespace goretain
