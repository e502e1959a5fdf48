// libFuzzer target for goretain_symbols: the input is a whole file. It is written to a temp file
// (GoBinary maps files, it has no in-memory entry point), opened, and every query is exercised.
// Built and run by scripts/fuzz.sh (clang++ -fsanitize=fuzzer,address,undefined), not by CMake.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "symbols/go_binary.h"

namespace {

const std::string& InputPath() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr ? dir : "/tmp") + "/goretain-symbols-fuzz-" +
           std::to_string(getpid());
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using goretain::ElfVaddr;
  using goretain::symbols::GoBinary;
  using goretain::symbols::PcKind;

  FILE* f = std::fopen(InputPath().c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);

  auto bin = GoBinary::Open(InputPath());
  if (!bin.ok()) return 0;
  const GoBinary& b = **bin;
  auto fns = b.functions();
  // A bounded sample of functions: every query on each, including PCs past the end.
  const size_t step = 1 + fns.size() / 64;
  for (size_t i = 0; i < fns.size(); i += step) {
    const auto& fn = fns[i];
    b.FindFunction(fn.name);
    b.FunctionAt(fn.entry);
    b.Code(fn);
    const uint64_t len = fn.end - fn.entry;
    for (uint64_t delta : {uint64_t{0}, uint64_t{1}, len / 2, len}) {
      b.Resolve(fn.entry + delta);
      b.Resolve(fn.entry + delta, PcKind::kReturnAddress);
      b.TypeName(fn.entry + delta);
    }
  }
  // Type names at addresses derived from the input itself.
  for (size_t off = 0; off + 8 <= size && off < 4096; off += 512) {
    uint64_t va;
    __builtin_memcpy(&va, data + off, 8);
    b.TypeName(ElfVaddr(va));
    b.Resolve(ElfVaddr(va));
  }
  return 0;
}
