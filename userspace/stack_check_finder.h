// Finds where to place an entry probe in a Go function: on the conditional jump of its
// stack-bound check, decoded with a real disassembler (Capstone).
//
// Why: the first instruction of a Go function is `CMP SP, 16(R14)` (or `LEA r, -N(SP); CMP r,
// 16(R14)` for large frames). A uprobe there must be single-stepped by the kernel (~15 us per hit
// on our machines); the `JBE/JLS morestack` right after it is emulated (~1 us). The jump also tells
// whether the call will restart after morestack (flags CF|ZF set), so the BPF program can skip that
// pass and never count a call twice. At the jump, SP and all argument registers still hold their
// entry values, so reading arguments and [SP] (the return address) is unchanged.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace goretain {

struct StackCheckBranch {
  uint64_t offset;  // byte offset of the JBE from the function's entry
  uint32_t length;  // instruction length (2 for rel8, 6 for rel32)
};

// Decodes at most the first few instructions of `code` (amd64). Returns the branch if the
// function starts with Go's stack-bound check followed by JBE; nullopt otherwise (e.g. NOSPLIT
// functions without a check), in which case the caller probes the entry instruction instead.
std::optional<StackCheckBranch> FindStackCheckBranch(std::span<const uint8_t> code);

}  // namespace goretain
