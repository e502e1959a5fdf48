#include "userspace/goruntime/heap_code.h"

#include <algorithm>
#include <vector>

#include "userspace/goruntime/x86_decoder.h"

namespace goretain {

std::optional<uint64_t> FindSweepgenIncrement(std::span<const uint8_t> code, uint64_t entry) {
  X86Decoder decoder;
  // For the load/add/store form: the RIP-relative global last loaded into each register, and
  // whether that register has since been incremented by 2.
  struct RegState {
    x86_reg reg;
    uint64_t global;
    bool added;
  };
  std::vector<RegState> regs;
  std::optional<uint64_t> found;
  auto rip_target = [](const cs_insn& in, const cs_x86_op& op) {
    return in.address + in.size + static_cast<uint64_t>(op.mem.disp);
  };
  auto is_rip_mem = [](const cs_x86_op& op) {
    return op.type == X86_OP_MEM && op.mem.base == X86_REG_RIP && op.mem.index == X86_REG_INVALID &&
           op.size == 4;
  };
  decoder.ForEach(code, entry, [&](const cs_insn& in) {
    const cs_insn* insn = &in;
    const cs_x86& x = insn->detail->x86;
    if (x.op_count != 2) return true;
    const cs_x86_op& dst = x.operands[0];
    const cs_x86_op& src = x.operands[1];
    if (insn->id == X86_INS_ADD && src.type == X86_OP_IMM && src.imm == 2) {
      if (is_rip_mem(dst)) {
        found = rip_target(*insn, dst);
      } else if (dst.type == X86_OP_REG) {
        for (RegState& r : regs) {
          if (r.reg == dst.reg) r.added = true;
        }
      }
    } else if (insn->id == X86_INS_MOV) {
      if (dst.type == X86_OP_REG && is_rip_mem(src)) {
        std::erase_if(regs, [&](const RegState& r) { return r.reg == dst.reg; });
        regs.push_back({dst.reg, rip_target(*insn, src), false});
      } else if (is_rip_mem(dst) && src.type == X86_OP_REG) {
        for (const RegState& r : regs) {
          if (r.reg == src.reg && r.added && r.global == rip_target(*insn, dst)) found = r.global;
        }
      }
    } else if (dst.type == X86_OP_REG) {
      std::erase_if(regs, [&](const RegState& r) { return r.reg == dst.reg; });
    }
    return !found;
  });
  return found;
}

}  // namespace goretain
