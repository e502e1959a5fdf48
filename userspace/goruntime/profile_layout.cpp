#include "userspace/goruntime/profile_layout.h"

#include <elf.h>
#include <fmt/format.h>

#include <string>

#include "userspace/goruntime/go_releases.h"
#include "userspace/goruntime/x86_decoder.h"

namespace goretain {
namespace {

bool InWritableData(const symbols::ElfFile& elf, uint64_t addr) {
  for (const symbols::ElfSection& s : elf.sections()) {
    if ((s.flags & SHF_WRITE) && (s.flags & SHF_ALLOC) && addr >= s.addr.value &&
        addr + 8 <= s.addr.value + s.size) {
      return true;
    }
  }
  return false;
}

// `symbol` from .symtab, else the first RIP-relative load in `reader`'s code.
Result<ElfVaddr> FindGlobal(const symbols::GoBinary& binary, const char* symbol, const char* reader,
                            bool* from_code) {
  if (auto sym = binary.elf().FindSymbol(symbol)) return sym->value;
  *from_code = true;
  const symbols::Function* fn = binary.FindFunction(reader);
  if (!fn) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("{}: no {} symbol and no {}", binary.elf().path(), symbol, reader));
  }
  auto addr = FindFirstRipLoad(binary.Code(*fn), fn->entry.value);
  if (!addr || !InWritableData(binary.elf(), *addr)) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("{}: {} not found (no symbol; {} loads no global from writable "
                                 "data)", binary.elf().path(), symbol, reader));
  }
  return ElfVaddr(*addr);
}

}  // namespace

std::optional<uint64_t> FindFirstRipLoad(std::span<const uint8_t> code, uint64_t entry) {
  X86Decoder decoder;
  std::optional<uint64_t> found;
  decoder.ForEach(code, entry, [&](const cs_insn& in) {
    const cs_x86& x = in.detail->x86;
    if (in.id != X86_INS_MOV || x.op_count != 2) return true;
    const cs_x86_op& dst = x.operands[0];
    const cs_x86_op& src = x.operands[1];
    if (dst.type == X86_OP_REG && src.type == X86_OP_MEM && src.size == 8 &&
        src.mem.base == X86_REG_RIP && src.mem.index == X86_REG_INVALID) {
      found = in.address + in.size + static_cast<uint64_t>(src.mem.disp);
    }
    return !found;
  });
  return found;
}

Result<ProfileLayout> ProfileLayout::For(const symbols::GoBinary& binary) {
  const symbols::GoVersion& v = binary.build_info().go_version;
  const std::string name = v.raw.empty() ? std::string("an unknown Go version") : v.raw;
  if (binary.elf().machine() != EM_X86_64) {
    return MakeError(ErrorCode::kUnsupported, "heap profile: only amd64 is supported");
  }
  const GoRelease* release = FindGoRelease(v);
  if (!release) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("heap profile: {} is not supported (supported: go1.{} to go1.{})",
                                 name, kMinGoMinor, kMaxGoMinor));
  }
  ProfileLayout l;
  l.version = v;
  l.byte_counters = release->profile_byte_counters;
  l.record_cycle_bytes = l.byte_counters ? 32 : 16;
  l.profile_reader_linked = binary.FindFunction("runtime.MemProfile") != nullptr ||
                            binary.FindFunction("runtime.memProfileInternal") != nullptr;
  bool from_code = false;
  auto mbuckets = FindGlobal(binary, "runtime.mbuckets", "runtime.mProf_FlushLocked", &from_code);
  if (!mbuckets) return mbuckets.error();
  auto rate = FindGlobal(binary, "runtime.MemProfileRate", "runtime.allocmcache", &from_code);
  if (!rate) return rate.error();
  l.mbuckets = *mbuckets;
  l.mem_profile_rate = *rate;
  l.source = from_code ? Source::kCode : Source::kSymtab;
  return l;
}

}  // namespace goretain
