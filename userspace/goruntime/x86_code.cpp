#include "userspace/goruntime/x86_code.h"

#include <cstring>

#include <capstone/capstone.h>

#include <algorithm>
#include <bitset>
#include <map>
#include <set>

#include "goretain.h"
#include "userspace/goruntime/x86_decoder.h"

namespace goretain {
namespace {

constexpr int kMaxPrologueInstructions = 4;
// g.stackguard0 (ordinary functions) and g.stackguard1 (systemstack functions), all versions.
constexpr int64_t kStackGuard0Offset = 16;
constexpr int64_t kStackGuard1Offset = 24;

// True for `CMP reg, [R14 + stackguard]` in either operand order.
bool IsStackGuardCompare(const cs_insn& insn) {
  if (insn.id != X86_INS_CMP) return false;
  const cs_x86& x86 = insn.detail->x86;
  for (int i = 0; i < x86.op_count; i++) {
    const cs_x86_op& op = x86.operands[i];
    if (op.type == X86_OP_MEM && op.mem.base == X86_REG_R14 && op.mem.index == X86_REG_INVALID &&
        (op.mem.disp == kStackGuard0Offset || op.mem.disp == kStackGuard1Offset)) {
      return true;
    }
  }
  return false;
}

// The full 64-bit register (enum gr_reg) behind any x86 register name, or -1 (flags, RIP, ...).
int FullRegister(unsigned reg) {
  switch (reg) {
    case X86_REG_AL: case X86_REG_AH: case X86_REG_AX: case X86_REG_EAX: case X86_REG_RAX: return GR_REG_AX;
    case X86_REG_BL: case X86_REG_BH: case X86_REG_BX: case X86_REG_EBX: case X86_REG_RBX: return GR_REG_BX;
    case X86_REG_CL: case X86_REG_CH: case X86_REG_CX: case X86_REG_ECX: case X86_REG_RCX: return GR_REG_CX;
    case X86_REG_DL: case X86_REG_DH: case X86_REG_DX: case X86_REG_EDX: case X86_REG_RDX: return GR_REG_DX;
    case X86_REG_SIL: case X86_REG_SI: case X86_REG_ESI: case X86_REG_RSI: return GR_REG_SI;
    case X86_REG_DIL: case X86_REG_DI: case X86_REG_EDI: case X86_REG_RDI: return GR_REG_DI;
    case X86_REG_BPL: case X86_REG_BP: case X86_REG_EBP: case X86_REG_RBP: return GR_REG_BP;
    case X86_REG_SPL: case X86_REG_SP: case X86_REG_ESP: case X86_REG_RSP: return GR_REG_SP;
    case X86_REG_R8B: case X86_REG_R8W: case X86_REG_R8D: case X86_REG_R8: return GR_REG_R8;
    case X86_REG_R9B: case X86_REG_R9W: case X86_REG_R9D: case X86_REG_R9: return GR_REG_R9;
    case X86_REG_R10B: case X86_REG_R10W: case X86_REG_R10D: case X86_REG_R10: return GR_REG_R10;
    case X86_REG_R11B: case X86_REG_R11W: case X86_REG_R11D: case X86_REG_R11: return GR_REG_R11;
    case X86_REG_R12B: case X86_REG_R12W: case X86_REG_R12D: case X86_REG_R12: return GR_REG_R12;
    case X86_REG_R13B: case X86_REG_R13W: case X86_REG_R13D: case X86_REG_R13: return GR_REG_R13;
    case X86_REG_R14B: case X86_REG_R14W: case X86_REG_R14D: case X86_REG_R14: return GR_REG_R14;
    case X86_REG_R15B: case X86_REG_R15W: case X86_REG_R15D: case X86_REG_R15: return GR_REG_R15;
    default: return -1;
  }
}

// CALL rel32, JMP rel and Jcc rel: the control transfers the kernel's uprobe code emulates.
bool IsEmulatedBranch(csh handle, const cs_insn& insn) {
  const cs_x86& x86 = insn.detail->x86;
  const bool direct = x86.op_count == 1 && x86.operands[0].type == X86_OP_IMM;
  if (insn.id == X86_INS_CALL) return direct;
  return direct && cs_insn_group(handle, const_cast<cs_insn*>(&insn), CS_GRP_JUMP);
}

// An 8-byte stack slot operand [RSP + disp] (no index), if `op` is one.
std::optional<int64_t> StackSlot(const cs_x86_op& op) {
  if (op.type != X86_OP_MEM || op.mem.base != X86_REG_RSP || op.mem.index != X86_REG_INVALID ||
      op.size != 8) {
    return std::nullopt;
  }
  return op.mem.disp;
}

constexpr size_t kMaxTrackedInstructions = 32;

}  // namespace

namespace {

// Where the tracked value is: registers (enum gr_reg numbering) and [RSP + offset] stack slots.
struct ValueCopies {
  std::bitset<GR_NUM_REGS> regs;
  std::set<int64_t> slots;
  bool empty() const { return regs.none() && slots.empty(); }
};

// A 64-bit MOV copies the value between registers and stack slots (or overwrites a copy).
// False if the stack pointer is written (the slots would move).
bool ApplyMove(const cs_x86& x86, ValueCopies& v) {
  const cs_x86_op& dst = x86.operands[0];
  const cs_x86_op& src = x86.operands[1];
  bool holds = false;
  if (src.type == X86_OP_REG) {
    const int r = FullRegister(src.reg);
    holds = r >= 0 && v.regs.test(r);
  } else if (auto slot = StackSlot(src)) {
    holds = v.slots.count(*slot) > 0;
  }
  if (dst.type == X86_OP_REG) {
    const int r = FullRegister(dst.reg);
    if (r == GR_REG_SP) return false;
    if (r >= 0) v.regs.set(r, holds);
  } else if (auto slot = StackSlot(dst)) {
    if (holds) {
      v.slots.insert(*slot);
    } else {
      v.slots.erase(*slot);
    }
  }
  return true;
}

// Anything else that writes a register or a stack slot destroys the value there (an 8-byte
// slot partly overwritten by a narrower store too). False if the stack pointer is written or
// the instruction's accesses are unknown.
bool ApplyClobbers(csh handle, const cs_insn& insn, ValueCopies& v) {
  const cs_x86& x86 = insn.detail->x86;
  cs_regs read, written;
  uint8_t nread = 0, nwritten = 0;
  if (cs_regs_access(handle, &insn, read, &nread, written, &nwritten) != CS_ERR_OK) return false;
  for (uint8_t w = 0; w < nwritten; w++) {
    const int r = FullRegister(written[w]);
    if (r == GR_REG_SP) return false;
    if (r >= 0) v.regs.reset(r);
  }
  for (int o = 0; o < x86.op_count; o++) {
    const cs_x86_op& op = x86.operands[o];
    if (!(op.access & CS_AC_WRITE)) continue;
    if (auto slot = StackSlot(op)) v.slots.erase(*slot);
    if (op.type == X86_OP_MEM && op.mem.base == X86_REG_RSP) {
      const int64_t d = op.mem.disp;
      for (auto it = v.slots.begin(); it != v.slots.end();) {
        it = (*it > d - 8 && *it < d + op.size) ? v.slots.erase(it) : std::next(it);
      }
    }
  }
  return true;
}

// The probe at an emulated instruction reads the value where it is: a register first, else a slot.
std::optional<ReturnValueProbe> ProbeAt(const cs_insn& insn, uint64_t entry, const ValueCopies& v,
                                        bool merged) {
  for (int r = 0; r < GR_NUM_REGS; r++) {
    if (v.regs.test(r) && r != GR_REG_SP) {
      return ReturnValueProbe{insn.address - entry, ValueLocation{true, uint8_t(r), 0}, merged};
    }
  }
  if (v.slots.empty()) return std::nullopt;
  return ReturnValueProbe{insn.address - entry,
                          ValueLocation{false, 0, static_cast<int32_t>(*v.slots.begin())}, merged};
}

bool IsControlTransfer(csh handle, const cs_insn& insn) {
  cs_insn* i = const_cast<cs_insn*>(&insn);
  return cs_insn_group(handle, i, CS_GRP_JUMP) || cs_insn_group(handle, i, CS_GRP_RET) ||
         cs_insn_group(handle, i, CS_GRP_CALL) || cs_insn_group(handle, i, CS_GRP_INT);
}

}  // namespace

namespace {

// One linear pass over a function's code: the targets of all its direct branches and, after each
// call that opens a window, the returned value followed to the instruction that decides (at most
// kMaxTrackedInstructions). Windows never overlap: a CALL closes one (emulated) and may open the
// next. Whether a branch lands in a window is settled in Finish, when every branch is known.
class ResultScan {
 public:
  ResultScan(csh handle, uint64_t entry) : handle_(handle), entry_(entry), next_(entry) {}

  // The next instruction in address order; `call_target` set if it is a call that opens a window.
  void Visit(const cs_insn& insn, std::optional<uint64_t> call_target) {
    if (insn.address != next_) {
      gap_ = true;  // a byte did not decode: what follows may be misaligned, so decide nothing
      if (open_) Close(std::nullopt);
    }
    next_ = insn.address + insn.size;
    const cs_x86& x86 = insn.detail->x86;
    if (x86.op_count == 1 && x86.operands[0].type == X86_OP_IMM &&
        cs_insn_group(handle_, const_cast<cs_insn*>(&insn), CS_GRP_JUMP)) {
      branch_targets_.push_back(static_cast<uint64_t>(x86.operands[0].imm));
    }
    if (open_) Track(insn);
    if (!call_target) return;
    results_.push_back(CallResult{CallInstruction{insn.address - entry_, *call_target}, {}});
    if (gap_) return;
    if (open_) Close(std::nullopt);  // (a direct CALL always closes the open window first)
    open_ = Window{results_.size() - 1, {}, {}};
    open_->value.regs.set(GR_REG_AX);
  }

  std::vector<CallResult> Finish() {
    if (open_) Close(std::nullopt);  // the code ended first
    std::sort(branch_targets_.begin(), branch_targets_.end());
    for (const auto& [index, addresses] : decided_) {
      for (uint64_t a : addresses) {
        if (std::binary_search(branch_targets_.begin(), branch_targets_.end(), a)) {
          results_[index].result->reachable_elsewhere = true;
        }
      }
    }
    return std::move(results_);
  }

 private:
  struct Window {
    size_t index;                     // in results_
    ValueCopies value;
    std::vector<uint64_t> addresses;  // the instructions tracked, the deciding one included
  };

  void Track(const cs_insn& insn) {
    Window& w = *open_;
    w.addresses.push_back(insn.address);
    if (IsEmulatedBranch(handle_, insn)) return Close(ProbeAt(insn, entry_, w.value, false));
    if (IsControlTransfer(handle_, insn)) return Close(std::nullopt);  // indirect or not emulated
    const cs_x86& x86 = insn.detail->x86;
    const bool is_move = insn.id == X86_INS_MOV && x86.op_count == 2 && x86.operands[0].size == 8;
    if (!(is_move ? ApplyMove(x86, w.value) : ApplyClobbers(handle_, insn, w.value)) ||
        w.value.empty() || w.addresses.size() >= kMaxTrackedInstructions) {
      Close(std::nullopt);
    }
  }

  void Close(std::optional<ReturnValueProbe> result) {
    if (result) decided_.emplace_back(open_->index, std::move(open_->addresses));
    results_[open_->index].result = result;
    open_.reset();
  }

  csh handle_;
  uint64_t entry_;
  uint64_t next_;     // where the next instruction starts when no byte was skipped
  bool gap_ = false;
  std::vector<uint64_t> branch_targets_;
  std::vector<CallResult> results_;
  std::vector<std::pair<size_t, std::vector<uint64_t>>> decided_;
  std::optional<Window> open_;
};

// The target of a direct `CALL rel32` to one of `targets`, if `insn` is one.
std::optional<uint64_t> DirectCallTo(const cs_insn& insn, std::span<const uint64_t> targets) {
  if (insn.id != X86_INS_CALL) return std::nullopt;
  const cs_x86& x86 = insn.detail->x86;
  if (x86.op_count != 1 || x86.operands[0].type != X86_OP_IMM) return std::nullopt;
  const uint64_t target = static_cast<uint64_t>(x86.operands[0].imm);
  if (std::find(targets.begin(), targets.end(), target) == targets.end()) return std::nullopt;
  return target;
}

}  // namespace

std::vector<CallResult> FindCallResults(X86Decoder& decoder, std::span<const uint8_t> code,
                                        uint64_t entry, std::span<const uint64_t> targets) {
  if (!decoder.ok() || code.empty() || targets.empty()) return {};
  ResultScan scan(decoder.handle(), entry);
  decoder.ForEach(code, entry, [&](const cs_insn& insn) {
    scan.Visit(insn, DirectCallTo(insn, targets));
    return true;
  });
  return scan.Finish();
}

std::optional<ReturnValueProbe> FindReturnValueProbe(std::span<const uint8_t> code, uint64_t entry,
                                                     uint64_t call_offset) {
  X86Decoder decoder;
  if (!decoder.ok() || code.empty()) return std::nullopt;
  ResultScan scan(decoder.handle(), entry);
  decoder.ForEach(code, entry, [&](const cs_insn& insn) {
    const bool call = insn.address == entry + call_offset && insn.id == X86_INS_CALL;
    scan.Visit(insn, call ? std::optional<uint64_t>(0) : std::nullopt);
    return true;
  });
  const std::vector<CallResult> results = scan.Finish();
  return results.empty() ? std::nullopt : results.front().result;
}

std::optional<StackCheckBranch> FindStackCheckBranch(std::span<const uint8_t> code) {
  X86Decoder cs;
  if (!cs.ok() || code.empty()) return std::nullopt;

  cs_insn* raw = nullptr;
  const size_t n = cs_disasm(cs.handle(), code.data(), code.size(), 0, kMaxPrologueInstructions, &raw);
  std::optional<StackCheckBranch> result;
  for (size_t i = 0; i + 1 < n; i++) {
    if (!IsStackGuardCompare(raw[i])) continue;
    const cs_insn& next = raw[i + 1];
    if (next.id == X86_INS_JBE) result = StackCheckBranch{next.address, next.size};
    break;
  }
  if (raw) cs_free(raw, n);
  return result;
}

bool MayCall(std::span<const uint8_t> code, uint64_t entry, uint64_t target) {
  for (size_t i = 0; i + 5 <= code.size(); i++) {
    if (code[i] != 0xe8) continue;
    int32_t rel;
    std::memcpy(&rel, code.data() + i + 1, sizeof(rel));
    if (entry + i + 5 + static_cast<int64_t>(rel) == target) return true;
  }
  return false;
}

std::vector<CallInstruction> FindCalls(std::span<const uint8_t> code, uint64_t entry,
                                       std::span<const uint64_t> targets) {
  std::vector<CallInstruction> calls;
  if (code.empty() || targets.empty()) return calls;
  X86Decoder decoder;
  decoder.ForEach(code, entry, [&](const cs_insn& insn) {
    if (insn.id != X86_INS_CALL) return true;
    const cs_x86& x86 = insn.detail->x86;
    if (x86.op_count != 1 || x86.operands[0].type != X86_OP_IMM) return true;
    const uint64_t target = static_cast<uint64_t>(x86.operands[0].imm);
    for (uint64_t t : targets) {
      if (t == target) {
        calls.push_back(CallInstruction{insn.address - entry, target});
        break;
      }
    }
    return true;
  });
  return calls;
}

}  // namespace goretain
