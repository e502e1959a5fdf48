// X86Decoder: the one Capstone handle type of goretain (amd64, instruction details on), owned RAII,
// and the one loop that walks a function's code instruction by instruction.
//
// Contract of ForEach: instructions are decoded one at a time (cs_disasm_iter) and handed to the
// visitor in address order until it returns false or the code ends, so a caller that stops at the
// first instruction that decides pays only for what it read. A byte that does not decode is skipped
// and decoding resumes at the next one (Go pads functions with INT3 and may place data in text):
// the visitor sees the gap as an instruction whose address is not the previous one's end.
// decoded() counts the instructions handed to visitors over the decoder's life, so a caller can
// check (and a test assert) that it decodes each byte of code at most once.
#pragma once

#include <capstone/capstone.h>

#include <cstdint>
#include <span>

namespace goretain {

class X86Decoder {
 public:
  X86Decoder() {
    ok_ = cs_open(CS_ARCH_X86, CS_MODE_64, &handle_) == CS_ERR_OK;
    if (ok_) cs_option(handle_, CS_OPT_DETAIL, CS_OPT_ON);
    if (ok_) insn_ = cs_malloc(handle_);
    ok_ = ok_ && insn_ != nullptr;
  }
  ~X86Decoder() {
    if (insn_) cs_free(insn_, 1);
    if (handle_) cs_close(&handle_);
  }
  X86Decoder(const X86Decoder&) = delete;
  X86Decoder& operator=(const X86Decoder&) = delete;

  bool ok() const { return ok_; }
  uint64_t decoded() const { return decoded_; }
  csh handle() const { return handle_; }

  bool InGroup(const cs_insn& insn, cs_group_type group) const {
    return cs_insn_group(handle_, const_cast<cs_insn*>(&insn), group);
  }

  // `visit(const cs_insn&) -> bool`: false stops the walk. Not reentrant (one scratch insn).
  template <typename Visit>
  void ForEach(std::span<const uint8_t> code, uint64_t entry, Visit&& visit) {
    if (!ok_) return;
    const uint8_t* p = code.data();
    size_t left = code.size();
    uint64_t addr = entry;
    while (left > 0) {
      if (!cs_disasm_iter(handle_, &p, &left, &addr, insn_)) {
        p++;  // undecodable byte: resynchronize on the next one
        left--;
        addr++;
        continue;
      }
      decoded_++;
      if (!visit(static_cast<const cs_insn&>(*insn_))) return;
    }
  }

 private:
  csh handle_ = 0;
  cs_insn* insn_ = nullptr;
  bool ok_ = false;
  uint64_t decoded_ = 0;
};

}  // namespace goretain
