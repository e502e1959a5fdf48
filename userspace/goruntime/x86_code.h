// Decoding Go functions' amd64 code (with Capstone, a real disassembler) to place probes on
// instructions the kernel emulates instead of single-stepping.
//
// FindStackCheckBranch: where to place an entry probe in a Go function: on the conditional jump
// of its stack-bound check.
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
#include <vector>

namespace goretain {

struct StackCheckBranch {
  uint64_t offset;  // byte offset of the JBE from the function's entry
  uint32_t length;  // instruction length (2 for rel8, 6 for rel32)
};

// Decodes at most the first few instructions of `code` (amd64). Returns the branch if the
// function starts with Go's stack-bound check followed by JBE; nullopt otherwise (e.g. NOSPLIT
// functions without a check), in which case the caller probes the entry instruction instead.
std::optional<StackCheckBranch> FindStackCheckBranch(std::span<const uint8_t> code);

// True if some `E8 rel32` byte sequence in `code` (at `entry`) would call `target`: a cheap
// filter before FindCalls, which decodes (the bytes may also lie inside other instructions).
bool MayCall(std::span<const uint8_t> code, uint64_t entry, uint64_t target);

struct CallInstruction {
  uint64_t offset;  // from the function's entry
  uint64_t target;  // absolute address called
};

// Every direct `CALL rel32` in `code` (a whole function starting at `entry`) whose target is in
// `targets`. Such a call is emulated by the kernel's uprobe code (~1 us per hit), and a probe on
// it sees the callee's register arguments. Decoding skips bytes it cannot decode (Go pads
// functions with INT3), so one bad byte does not hide the rest of the function.
std::vector<CallInstruction> FindCalls(std::span<const uint8_t> code, uint64_t entry,
                                       std::span<const uint64_t> targets);

// Where a value is at a given instruction: a general-purpose register (enum gr_reg numbering
// from bpf/goretain.h) or the 8-byte stack slot at [RSP + sp_offset].
struct ValueLocation {
  bool in_register = true;
  uint8_t reg = 0;
  int32_t sp_offset = 0;
};

struct ReturnValueProbe {
  uint64_t offset;  // of an emulated instruction (Jcc, JMP rel, CALL rel) from the entry
  ValueLocation where;
  bool reachable_elsewhere = false;  // a branch lands between the call and the probe
};

// After the `CALL` at `call_offset` returns, where can its result (RAX) first be read at an
// instruction the kernel emulates? Follows the value through register and stack-slot moves over
// straight-line code (at most 32 instructions). nullopt if the value is overwritten first, the
// stack pointer moves, the code leaves by a non-emulated control transfer (RET, indirect jump),
// or a byte before the decision does not decode. `reachable_elsewhere` if a direct branch
// anywhere in `code` (the whole function) lands on an instruction on the way (a probe there could
// fire on another path).
std::optional<ReturnValueProbe> FindReturnValueProbe(std::span<const uint8_t> code, uint64_t entry,
                                                     uint64_t call_offset);

class X86Decoder;

struct CallResult {
  CallInstruction call;
  std::optional<ReturnValueProbe> result;  // as FindReturnValueProbe(code, entry, call.offset)
};

// FindCalls and FindReturnValueProbe for each call found, in one pass: `code` (a whole function,
// from `entry` to its end in pclntab, never beyond) is decoded once with `decoder`, whatever the
// number of calls, and each call's result is followed only up to the instruction that decides.
std::vector<CallResult> FindCallResults(X86Decoder& decoder, std::span<const uint8_t> code,
                                        uint64_t entry, std::span<const uint64_t> targets);

}  // namespace goretain
