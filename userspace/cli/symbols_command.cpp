// `goretain symbols`: a read-only view of what goretain_symbols sees in a binary. Depends on
// goretain_symbols, the exit codes and the error-line writer only.
//
// All arguments are validated before anything is printed, so a bad --pc or --func yields only the
// error line, never partial output.
#include "userspace/cli/symbols_command.h"

#include <cinttypes>
#include <cstdio>
#include <optional>

#include "symbols/go_binary.h"
#include "userspace/cli/exit_codes.h"
#include "userspace/cli/user_errors.h"

namespace goretain {
namespace {

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

// "0x4874e4", "4874E4" -> value; nullopt for anything else (empty, non-hex, > 64 bits).
std::optional<uint64_t> ParseHex(std::string_view s) {
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  if (s.empty() || s.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

int Fail(std::ostream& err, const std::string& message) {
  WriteErrorLine(message, &err);
  return kExitBadInput;
}

void PrintResolution(std::ostream& out, uint64_t pc, const symbols::Resolution& r) {
  if (r.frames.empty()) {
    out << Hex(pc) << ": unresolved: " << r.reason << "\n";
    return;
  }
  out << Hex(pc) << ": " << r.frames.back().function << "\n";
  for (const symbols::Frame& f : r.frames) {
    out << "  " << f.function << " " << (f.file.empty() ? "?" : f.file) << ":" << f.line
        << (f.inlined ? " (inlined)" : "") << "\n";
  }
}

}  // namespace

int RunSymbolsCommand(const std::string& binary, const std::vector<std::string>& pcs,
                      const std::vector<std::string>& funcs, std::ostream& out,
                      std::ostream& err) {
  auto opened = symbols::GoBinary::Open(binary);
  if (!opened.ok()) return Fail(err, opened.error().message);
  const symbols::GoBinary& bin = **opened;

  std::vector<uint64_t> pc_values;
  for (const std::string& s : pcs) {
    auto v = ParseHex(s);
    if (!v) return Fail(err, "invalid --pc '" + s + "' (expected a hexadecimal address)");
    pc_values.push_back(*v);
  }
  std::vector<const symbols::Function*> functions;
  for (const std::string& name : funcs) {
    const symbols::Function* f = bin.FindFunction(name);
    if (f == nullptr) return Fail(err, binary + ": no function named '" + name + "'");
    functions.push_back(f);
  }

  const symbols::BuildInfo& info = bin.build_info();
  out << "binary: " << binary << "\n";
  out << "go version: " << (info.go_version.raw.empty() ? "unknown" : info.go_version.raw) << "\n";
  out << "main module: " << (info.main_module.empty() ? "unknown" : info.main_module) << "\n";
  out << "functions: " << bin.functions().size() << "\n";
  for (uint64_t pc : pc_values) PrintResolution(out, pc, bin.Resolve(ElfVaddr(pc)));
  for (const symbols::Function* f : functions) {
    out << f->name << ": entry " << Hex(f->entry.value) << " end " << Hex(f->end.value)
        << " size " << Hex(f->end - f->entry);
    // The file offset is what uprobe interfaces take (perf probe, bpftrace on stripped binaries).
    if (auto off = bin.elf().ToFileOffset(f->entry)) out << " file_offset " << Hex(off->value);
    out << "\n";
  }
  return kExitOk;
}

}  // namespace goretain
