// GoBinary: opens the ELF, finds build info, pclntab and moduledata, and builds the function
// list once (entries, ends and names: O(nfunc), no per-PC tables) plus a 4 KB bucket table for
// FunctionAt. Line tables and inline trees are decoded per query straight from the mapped file
// (PcIndex adds checkpoints for long functions on first use); the name index is built lazily too.
#include "symbols/go_binary.h"

#include <elf.h>

#include <algorithm>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <mutex>

#include "symbols/buildinfo.h"
#include "symbols/go_types.h"
#include "symbols/locate_pclntab.h"
#include "symbols/moduledata.h"
#include "symbols/pc_index.h"
#include "symbols/pclntab.h"

namespace goretain::symbols {
namespace {

constexpr uint64_t kBucketSize = 4096;
// Text larger than this gets no bucket table (only corrupt input would): 64 MB of buckets max.
constexpr uint64_t kMaxBuckets = uint64_t{1} << 24;

// Inlining never nests this deep in real code. (Cycles cannot happen: parent indices must
// decrease; this bounds the work per PC regardless.)
constexpr int kMaxInlineDepth = 256;

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

}  // namespace

struct GoBinary::Impl {
  std::unique_ptr<ElfFile> elf;
  BuildInfo build_info;
  Pclntab tab;
  std::optional<ModuleData> moduledata;
  std::vector<Function> functions;  // functab order == entry order
  std::vector<uint64_t> funcoffs;   // functab funcoff of functions[i]

  std::unique_ptr<PcIndex> pc_index;  // created once the function list is known
  // pc_buckets[b]: index of the last function whose entry is <= text_lo + b * kBucketSize, so a
  // lookup only searches between two neighbouring buckets (like the runtime's findfunctab).
  std::vector<uint32_t> pc_buckets;
  uint64_t text_lo = 0;

  mutable std::once_flag by_name_once;
  mutable std::vector<uint32_t> by_name;  // indices into functions, sorted by (name, index)

  Impl(std::unique_ptr<ElfFile> e, Pclntab t) : elf(std::move(e)), tab(t) {}

  Status BuildFunctions();
  void BuildPcBuckets();
  std::optional<uint64_t> InlineTreeAddr(const FuncRecord& rec) const;
};

Status GoBinary::Impl::BuildFunctions() {
  const uint64_t n = tab.nfunc();
  functions.reserve(n);
  funcoffs.reserve(n);
  uint64_t entry = 0, funcoff = 0;
  if (!tab.FunctabEntry(0, &entry, &funcoff)) {
    return MakeError(ErrorCode::kBadInput, elf->path() + ": pclntab function table truncated");
  }
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t next_entry = 0, next_funcoff = 0;
    if (!tab.FunctabEntry(i + 1, &next_entry, &next_funcoff)) {
      return MakeError(ErrorCode::kBadInput, elf->path() + ": pclntab function table truncated");
    }
    if (next_entry < entry) {
      return MakeError(
          ErrorCode::kBadInput,
          elf->path() + ": pclntab function table is not sorted at entry " + Hex(entry));
    }
    auto rec = tab.Func(funcoff);
    if (!rec) {
      return MakeError(ErrorCode::kBadInput,
                       elf->path() + ": pclntab function record out of range at " + Hex(entry));
    }
    functions.push_back(
        Function{ElfVaddr(entry), ElfVaddr(next_entry), tab.FuncName(rec->name_off)});
    funcoffs.push_back(funcoff);
    entry = next_entry;
    funcoff = next_funcoff;
  }
  return Ok{};
}

void GoBinary::Impl::BuildPcBuckets() {
  if (functions.empty() || functions.size() > UINT32_MAX) return;
  text_lo = functions.front().entry.value;
  const uint64_t span = functions.back().end.value - text_lo;
  const uint64_t n = span / kBucketSize + 1;
  if (n > kMaxBuckets || n > 64 * functions.size() + 1024) return;  // implausible: binary search
  pc_buckets.resize(n);
  size_t f = 0;
  for (uint64_t b = 0; b < n; ++b) {
    const uint64_t addr = text_lo + b * kBucketSize;
    while (f + 1 < functions.size() && functions[f + 1].entry.value <= addr) ++f;
    pc_buckets[b] = static_cast<uint32_t>(f);
  }
}

// The address of `rec`'s inline tree, if it has one and it can be located.
std::optional<uint64_t> GoBinary::Impl::InlineTreeAddr(const FuncRecord& rec) const {
  auto fd = tab.Funcdata(rec, kFuncdataInlTree);
  if (!fd) return std::nullopt;
  if (tab.format() == PclntabFormat::kGo116) return *fd;  // absolute pointer
  if (!moduledata || moduledata->gofunc == 0) return std::nullopt;
  return moduledata->gofunc + *fd;
}

Result<std::unique_ptr<GoBinary>> GoBinary::Open(const std::string& path) {
  auto elf = ElfFile::Open(path);
  if (!elf.ok()) return elf.error();
  if ((*elf)->machine() != EM_X86_64) {
    return MakeError(ErrorCode::kUnsupported, path + ": unsupported machine " +
                                                  std::to_string((*elf)->machine()) +
                                                  " (only x86-64 is supported)");
  }
  auto tab = LocatePclntab(**elf);
  if (!tab.ok()) return tab.error();

  auto impl = std::make_unique<Impl>(std::move(*elf), *tab);
  if (auto info = ReadBuildInfo(*impl->elf)) impl->build_info = std::move(*info);
  impl->moduledata = FindModuleData(*impl->elf, impl->tab, impl->build_info.go_version);

  // Entry offsets in 1.18+ are relative to the start of text. Prefer moduledata.text (1.26+
  // stores 0 in the pclntab), then the stored value, then the runtime.text symbol.
  if (impl->tab.format() != PclntabFormat::kGo116) {
    uint64_t text = impl->tab.stored_text_start();
    if (impl->moduledata && impl->moduledata->text != 0) {
      text = impl->moduledata->text;
    } else if (text == 0) {
      if (auto sym = impl->elf->FindSymbol("runtime.text")) text = sym->value.value;
    }
    if (text == 0) {
      return MakeError(ErrorCode::kBadInput, path + ": cannot determine the start of Go text");
    }
    impl->tab.set_text_start(text);
  }
  if (auto st = impl->BuildFunctions(); !st.ok()) return st.error();
  impl->pc_index = std::make_unique<PcIndex>(impl->tab, impl->functions.size());
  impl->BuildPcBuckets();
  return std::unique_ptr<GoBinary>(new GoBinary(std::move(impl)));
}

GoBinary::GoBinary(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GoBinary::~GoBinary() = default;

const ElfFile& GoBinary::elf() const { return *impl_->elf; }
const BuildInfo& GoBinary::build_info() const { return impl_->build_info; }
std::span<const Function> GoBinary::functions() const { return impl_->functions; }

const Function* GoBinary::FindFunction(std::string_view name) const {
  const auto& fns = impl_->functions;
  std::call_once(impl_->by_name_once, [&] {
    auto& idx = impl_->by_name;
    idx.resize(fns.size());
    for (uint32_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(),
                     [&](uint32_t a, uint32_t b) { return fns[a].name < fns[b].name; });
  });
  const auto& idx = impl_->by_name;
  auto it = std::lower_bound(idx.begin(), idx.end(), name,
                             [&](uint32_t i, std::string_view n) { return fns[i].name < n; });
  if (it == idx.end() || fns[*it].name != name) return nullptr;
  return &fns[*it];
}

const Function* GoBinary::FunctionAt(ElfVaddr pc) const {
  const auto& fns = impl_->functions;
  auto first = fns.begin(), last = fns.end();
  const auto& buckets = impl_->pc_buckets;
  if (!buckets.empty() && pc.value >= impl_->text_lo) {
    const uint64_t b = (pc.value - impl_->text_lo) / kBucketSize;
    if (b < buckets.size()) {
      first = fns.begin() + buckets[b];
      last = b + 1 < buckets.size() ? fns.begin() + buckets[b + 1] + 1 : fns.end();
    }
  }
  auto it =
      std::upper_bound(first, last, pc, [](ElfVaddr v, const Function& f) { return v < f.entry; });
  if (it == fns.begin()) return nullptr;
  --it;
  return pc < it->end ? &*it : nullptr;
}

Resolution GoBinary::Resolve(ElfVaddr pc, PcKind kind) const {
  Resolution out;
  const uint64_t lookup = kind == PcKind::kReturnAddress && pc.value > 0 ? pc.value - 1 : pc.value;
  const Function* fn = FunctionAt(ElfVaddr(lookup));
  if (fn == nullptr) {
    out.reason = "pc " + Hex(pc.value) + " is not inside any Go function";
    return out;
  }
  const Pclntab& tab = impl_->tab;
  const size_t fn_index = static_cast<size_t>(fn - impl_->functions.data());
  auto rec = tab.Func(impl_->funcoffs[fn_index]);
  if (!rec) {
    out.reason = "function record of " + std::string(fn->name) + " is corrupt";
    return out;
  }
  // Walk outwards: the innermost frame takes file/line at the PC itself; each inline tree entry
  // names the inlined function and gives a PC inside its call site in the caller, where the
  // caller's file/line (and its own inline index, if it was inlined too) are looked up again.
  const std::optional<uint64_t> tree = impl_->InlineTreeAddr(*rec);
  const PcIndex::Tables tables{rec->pcln, rec->pcfile,
                               tree ? tab.PcdataTable(*rec, kPcdataInlTreeIndex) : 0};
  const uint64_t code_size = fn->end - fn->entry;
  const uint64_t entry_size = tab.InlinedCallSize();
  uint64_t cur = lookup;
  int32_t child = INT32_MAX;  // inline index of the frame just emitted
  for (int depth = 0; depth <= kMaxInlineDepth; ++depth) {
    if (cur < rec->entry) break;
    const PcIndex::Values v =
        impl_->pc_index->Lookup(fn_index, tables, code_size, cur - rec->entry, true);
    if (!v.line) {
      if (depth == 0) {
        // Typically alignment padding after the function's last instruction.
        out.reason =
            "pc " + Hex(pc.value) + " in " + std::string(fn->name) + " has no line information";
        return out;
      }
      break;
    }
    Frame frame;
    frame.line = *v.line;
    frame.file = tab.FileName(*rec, v.file.value_or(-1));
    const int32_t ix = v.inl.value_or(-1);
    if (ix >= child) {
      // The linker numbers a caller's entry before its callees', so a parent index that is not
      // smaller means the call site has no instruction of its own (seen as parentPc 0 in Go
      // 1.27 init functions). The physical function is still the outer frame; its line is unknown.
      out.frames.push_back(Frame{fn->name, {}, 0, false});
      return out;
    }
    if (ix < 0) {
      frame.function = fn->name;
      out.frames.push_back(frame);
      return out;
    }
    auto raw =
        impl_->elf->BytesAt(ElfVaddr(*tree + static_cast<uint64_t>(ix) * entry_size), entry_size);
    auto call = tab.DecodeInlinedCall(raw);
    if (!call) break;
    frame.function = tab.FuncName(call->name_off);
    frame.inlined = true;
    out.frames.push_back(frame);
    child = ix;
    cur = rec->entry + static_cast<uint64_t>(static_cast<int64_t>(call->parent_pc));
    if (cur < fn->entry.value || cur >= fn->end.value) break;  // caller PC must stay in fn
  }
  out.frames.clear();
  out.reason = "inline tree of " + std::string(fn->name) + " is corrupt";
  return out;
}

std::optional<std::string> GoBinary::TypeName(ElfVaddr type_descriptor) const {
  if (!impl_->moduledata) return std::nullopt;
  const GoVersion& v = impl_->build_info.go_version;
  // Name lengths are uvarints since Go 1.17; 1.16 (same pclntab format) used a big-endian u16.
  const bool varint =
      impl_->tab.format() != PclntabFormat::kGo116 || v.major == 0 || v.AtLeast(1, 17);
  return ReadTypeName(*impl_->elf, *impl_->moduledata, type_descriptor, varint);
}

std::span<const uint8_t> GoBinary::Code(const Function& fn) const {
  if (fn.end <= fn.entry) return {};
  return impl_->elf->BytesAt(fn.entry, fn.end - fn.entry);
}

}  // namespace goretain::symbols
