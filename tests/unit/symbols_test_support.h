// Helpers shared by the symbols_*_test.cpp files: paths of the fixtures, `go tool nm` as ground
// truth, marker lines in Go sources, and .typelink-based type descriptor addresses.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "symbols/elf_file.h"
#include "symbols/go_binary.h"

namespace goretain::symbols::testing {

inline std::string TargetPath(const std::string& name) {
  return std::string(GORETAIN_TARGETS_DIR) + "/" + name;
}

// The GOCACHE for `go tool` runs: the environment's (scripts/test.sh sets one), else a fixed
// directory under the test temp dir (HOME may be unset; Go's cache is safe to share).
inline const std::string& GoCacheDir() {
  static const std::string dir = [] {
    const char* env = std::getenv("GOCACHE");
    if (env != nullptr && env[0] != '\0') return std::string(env);
    return ::testing::TempDir() + "goretain-gocache";
  }();
  return dir;
}

// Runs `cmd` through the shell and returns its stdout; nullopt if it did not exit 0.
inline std::optional<std::string> RunCommand(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return std::nullopt;
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  if (status != 0) return std::nullopt;
  return out;
}

// Text symbols (type T or t) of `binary` according to `go tool nm`: name -> address.
inline std::map<std::string, uint64_t> NmTextSymbols(const std::string& binary) {
  auto out =
      RunCommand("env GOCACHE=" + GoCacheDir() + " GOFLAGS= /usr/bin/go tool nm '" + binary + "'");
  std::map<std::string, uint64_t> syms;
  if (!out) {
    ADD_FAILURE() << "go tool nm failed on " << binary;
    return syms;
  }
  std::istringstream lines(*out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string addr, type, name;
    if (!(fields >> addr >> type) || (type != "T" && type != "t")) continue;
    std::getline(fields >> std::ws, name);
    syms.emplace(name, std::stoull(addr, nullptr, 16));
  }
  return syms;
}

// The name pclntab gives the function `go tool nm` calls `nm_name`: nm marks assembly (ABI0)
// functions with ".abi0", and spells out generic shapes that pclntab abbreviates as "[...]".
inline std::string PclntabName(const std::string& nm_name) {
  std::string name = nm_name;
  if (name.ends_with(".abi0")) name.resize(name.size() - 5);
  std::string out;
  int depth = 0;
  for (char c : name) {
    if (c == '[') {
      if (depth++ == 0) out += "[...]";
    } else if (c == ']') {
      if (depth > 0) --depth;
    } else if (depth == 0) {
      out += c;
    }
  }
  return out;
}

// The 1-based line of the first line of `file` containing `marker`; 0 if none.
inline int MarkerLine(const std::string& file, const std::string& marker) {
  std::ifstream in(file);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find(marker) != std::string::npos) return n;
  }
  return 0;
}

// Type descriptor addresses listed in the typelink table (int32 offsets from moduledata.types:
// the `runtime.types` symbol, which the linker puts at the start of .rodata, or of .data.rel.ro
// in PIE). Empty for 1.27+, which has no typelink table.
inline std::vector<ElfVaddr> TypelinkDescriptors(const ElfFile& elf) {
  std::vector<ElfVaddr> out;
  const ElfSection* links = elf.FindSection(".typelink");
  const char* types_section = ".rodata";
  if (links == nullptr) {
    links = elf.FindSection(".data.rel.ro.typelink");
    types_section = ".data.rel.ro";
  }
  const ElfSection* types = elf.FindSection(types_section);
  if (links == nullptr || types == nullptr) return out;
  ElfVaddr base = types->addr;
  if (auto sym = elf.FindSymbol("runtime.types")) base = sym->value;
  auto data = elf.SectionData(*links);
  for (size_t i = 0; i + 4 <= data.size(); i += 4) {
    int32_t off;
    std::memcpy(&off, data.data() + i, 4);
    out.push_back(base + static_cast<uint64_t>(static_cast<int64_t>(off)));
  }
  return out;
}

// Type descriptors passed to runtime.makemap: for each `CALL rel32` (e8) to its entry, the
// nearest preceding `LEAQ disp32(RIP), AX` (48 8d 05) within 48 bytes loads the map type into
// RAX, the first argument register. A byte scan, not a decoder: the LEAQ + CALL pair is specific
// enough for a test, and the test checks every descriptor found names a map type.
inline std::vector<ElfVaddr> MakemapTypeDescriptors(const GoBinary& bin) {
  std::vector<ElfVaddr> out;
  const Function* makemap = bin.FindFunction("runtime.makemap");
  if (makemap == nullptr) return out;
  for (const Function& f : bin.functions()) {
    auto code = bin.Code(f);
    for (size_t i = 0; i + 5 <= code.size(); ++i) {
      if (code[i] != 0xe8) continue;
      int32_t rel;
      std::memcpy(&rel, code.data() + i + 1, 4);
      if (f.entry.value + i + 5 + static_cast<int64_t>(rel) != makemap->entry.value) continue;
      for (size_t back = 7; back <= 48 && back <= i; ++back) {
        const size_t at = i - back;
        if (code[at] != 0x48 || code[at + 1] != 0x8d || code[at + 2] != 0x05) continue;
        int32_t disp;
        std::memcpy(&disp, code.data() + at + 3, 4);
        out.push_back(ElfVaddr(f.entry.value + at + 7 + static_cast<int64_t>(disp)));
        break;
      }
    }
  }
  return out;
}

inline std::string FrameString(const Frame& f) {
  return std::string(f.function) + " " + std::string(f.file) + ":" + std::to_string(f.line) +
         (f.inlined ? " (inlined)" : "");
}

}  // namespace goretain::symbols::testing
