// GoBinary: everything goretain needs to know about a Go executable, read from the file alone.
//
// Contract: parsing is deterministic (same file, same result on any machine), touches no process,
// prints nothing. The object keeps the file mapped; string_views it hands out live as long as it.
// `.gopclntab` is the authoritative source of functions and lines (it survives `-s -w`).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "symbols/address.h"
#include "symbols/elf_file.h"
#include "symbols/result.h"

namespace goretain::symbols {

// A Go release, parsed from the build info ("go1.22.12", "go1.25.1 X:greenteagc", "devel ...").
struct GoVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  std::string raw;  // the string exactly as stored in the binary

  bool AtLeast(int maj, int min) const {
    return major > maj || (major == maj && minor >= min);
  }
};

// Parses "go1.X[.Y][rcN|betaN][ X:...]"; nullopt for anything else.
std::optional<GoVersion> ParseGoVersion(std::string_view s);

struct BuildInfo {
  GoVersion go_version;
  std::string main_path;    // the `path` line of modinfo (main package), may be empty
  std::string main_module;  // the `mod` line's module path, may be empty
};

struct Function {
  ElfVaddr entry;
  ElfVaddr end;           // exclusive: the next function's entry (or the end of text)
  std::string_view name;  // e.g. "main.leakMaps", "runtime.makemap", "pkg.(*T).M"
};

// One source frame. For an inlined call, several frames share one PC.
struct Frame {
  std::string_view function;
  std::string_view file;
  int line = 0;
  bool inlined = false;  // true if this frame was inlined into the next (outer) one
};

// The outcome of resolving one PC. `frames` is innermost first: for a PC inside an inlined call
// of main.leak in main.main, frames = [main.leak @ leak's line (inlined), main.main @ call line].
// When the PC cannot be resolved, frames is empty and `reason` says why.
struct Resolution {
  std::vector<Frame> frames;
  std::string reason;
};

// How a PC was obtained. A return address points after the CALL; looking it up as-is can land in
// the next line or the next inlined call, so it is resolved as pc-1 (as Go's traceback does).
enum class PcKind { kExact, kReturnAddress };

class GoBinary {
 public:
  // Opens and indexes `path`. Errors: kNotFound, kPermission, kBadInput (not ELF, corrupt,
  // truncated), kNotGo (ELF without a pclntab), kUnsupported (non-amd64, pclntab older than 1.16).
  static Result<std::unique_ptr<GoBinary>> Open(const std::string& path);

  ~GoBinary();
  GoBinary(const GoBinary&) = delete;
  GoBinary& operator=(const GoBinary&) = delete;

  const ElfFile& elf() const;
  const BuildInfo& build_info() const;

  // All functions, sorted by entry.
  std::span<const Function> functions() const;
  // Exact name lookup (first match). Cost: O(log n) after indexing.
  const Function* FindFunction(std::string_view name) const;
  // The function whose [entry, end) contains pc, or nullptr.
  const Function* FunctionAt(ElfVaddr pc) const;

  // Inline-expanded source frames for pc. Never fails; see Resolution::reason.
  Resolution Resolve(ElfVaddr pc, PcKind kind = PcKind::kExact) const;

  // The Go type name ("map[string]int", "[]*main.Item") of the runtime type descriptor at
  // `type_descriptor` (an address inside moduledata's types..etypes). nullopt if not a type.
  std::optional<std::string> TypeName(ElfVaddr type_descriptor) const;

  // The machine code of `fn`, read from the file (for the disassembler's probe planning).
  std::span<const uint8_t> Code(const Function& fn) const;

 private:
  struct Impl;
  explicit GoBinary(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace goretain::symbols
