#include "userspace/x86_code.h"

#include <capstone/capstone.h>


namespace goretain {
namespace {

constexpr int kMaxPrologueInstructions = 4;
// g.stackguard0 (ordinary functions) and g.stackguard1 (systemstack functions), all versions.
constexpr int64_t kStackGuard0Offset = 16;
constexpr int64_t kStackGuard1Offset = 24;

struct CapstoneHandle {
  csh handle = 0;
  bool ok = false;
  CapstoneHandle() {
    ok = cs_open(CS_ARCH_X86, CS_MODE_64, &handle) == CS_ERR_OK;
    if (ok) cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
  }
  ~CapstoneHandle() {
    if (ok) cs_close(&handle);
  }
};

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

}  // namespace

std::optional<StackCheckBranch> FindStackCheckBranch(std::span<const uint8_t> code) {
  CapstoneHandle cs;
  if (!cs.ok || code.empty()) return std::nullopt;

  cs_insn* raw = nullptr;
  const size_t n = cs_disasm(cs.handle, code.data(), code.size(), 0, kMaxPrologueInstructions, &raw);
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

std::vector<CallInstruction> FindCalls(std::span<const uint8_t> code, uint64_t entry,
                                       std::span<const uint64_t> targets) {
  std::vector<CallInstruction> calls;
  CapstoneHandle cs;
  if (!cs.ok || code.empty() || targets.empty()) return calls;
  cs_insn* insn = cs_malloc(cs.handle);
  const uint8_t* p = code.data();
  size_t left = code.size();
  uint64_t addr = entry;
  while (left > 0) {
    if (!cs_disasm_iter(cs.handle, &p, &left, &addr, insn)) {
      p++;  // undecodable byte: resynchronize on the next one
      left--;
      addr++;
      continue;
    }
    if (insn->id != X86_INS_CALL) continue;
    const cs_x86& x86 = insn->detail->x86;
    if (x86.op_count != 1 || x86.operands[0].type != X86_OP_IMM) continue;
    const uint64_t target = static_cast<uint64_t>(x86.operands[0].imm);
    for (uint64_t t : targets) {
      if (t == target) {
        calls.push_back(CallInstruction{insn->address - entry, target});
        break;
      }
    }
  }
  cs_free(insn, 1);
  return calls;
}

}  // namespace goretain
