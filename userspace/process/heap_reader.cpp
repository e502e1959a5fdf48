#include "userspace/process/heap_reader.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "userspace/goruntime/go_alloc_model.h"
#include "userspace/process/remote_memory.h"

namespace goretain {
namespace {

constexpr uint64_t kSpansPerChunk = 512;  // one 4 KiB page of heapArena.spans
constexpr size_t kSpansPerBatch = 256;    // spans read, checked and re-checked together
constexpr int kMaxAttempts = 6;           // per span, while it is being swept
constexpr uint64_t kMaxBitmapBytes = 1024;  // nelems ≤ 8192 for any span we accept
constexpr uint64_t kInlineMarksOffset = HeapLayout::kPageSize - 128 + 64;
constexpr uint64_t kInlineMarksBytes = 63;
constexpr uint8_t kSpanDead = 0, kSpanInUse = 1;

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// Batched reads (remote_memory.h), counted in the check's stats.
Status ReadMany(pid_t pid, std::span<ReadOp> ops, CheckStats* stats) {
  ReadTally tally;
  const Status s = goretain::ReadMany(pid, ops, &tally);
  stats->syscalls += tally.syscalls;
  stats->bytes_read += tally.bytes_read;
  return s;
}

// ---------------------------------------------------------------------------------------------

// Whether a span element of `elemsize` bytes (size class `sizeclass`, 0 = large) can hold an
// object recorded with `size` bytes.
bool SizeFits(uint64_t size, uint64_t elemsize, uint8_t sizeclass, bool malloc_headers) {
  if (size == 0) return true;
  constexpr uint64_t kMaxSmall = 32768;
  if (sizeclass == 0) {  // large object: own span of whole pages
    return (size + HeapLayout::kPageSize - 1) / HeapLayout::kPageSize * HeapLayout::kPageSize ==
           elemsize;
  }
  if (size > kMaxSmall) return false;
  if (elemsize == 16 && size < 16) return true;  // tiny allocator block
  if (GoSizeClass(size) == elemsize) return true;
  // go1.22+: pointerful objects > 512 B carry an 8-byte header inside their slot.
  return malloc_headers && size > 512 && size + 8 <= kMaxSmall && GoSizeClass(size + 8) == elemsize;
}

bool TestBit(const uint8_t* bits, uint64_t i) { return bits && ((bits[i / 8] >> (i % 8)) & 1); }

}  // namespace

// ---------------------------------------------------------------------------------------------

const char* ToString(LiveState s) {
  switch (s) {
    case LiveState::kLive: return "live";
    case LiveState::kFreed: return "freed";
    case LiveState::kUnknown: return "unknown";
  }
  return "?";
}

const char* ToString(LiveReason r) {
  switch (r) {
    case LiveReason::kMarked: return "marked by the last GC cycle";
    case LiveReason::kSurvivedLastGc: return "allocated at the last sweep";
    case LiveReason::kAllocatedSinceSweep:
      return "slot allocated since the last sweep (young object, or a reused slot)";
    case LiveReason::kNotMarked: return "not marked by the last GC cycle";
    case LiveReason::kSweptFree: return "freed by the last sweep";
    case LiveReason::kSpanFreed: return "span freed or reused";
    case LiveReason::kSweepRace: return "span was being swept on every read";
    case LiveReason::kNotHeap: return "not a heap address";
    case LiveReason::kUnreadable: return "heap metadata unreadable";
  }
  return "?";
}

Liveness DecideLiveness(const SpanSnapshot& s, uint32_t h, const TrackedObject& o) {
  if (s.state != kSpanInUse) return {LiveState::kFreed, LiveReason::kSpanFreed};
  if (o.addr < s.start || o.addr >= s.limit || s.elemsize == 0 ||
      !SizeFits(o.size, s.elemsize, s.sizeclass, s.malloc_headers)) {
    return {LiveState::kFreed, LiveReason::kSpanFreed};
  }
  const uint64_t i = (o.addr - s.start) / s.elemsize;  // floor: a header pointer is base+8
  if (i >= s.nelems) return {LiveState::kFreed, LiveReason::kSpanFreed};
  const uint32_t sg = s.sweepgen;
  if (sg == h - 2 || sg == h + 1) {  // marking finished, span not swept yet
    if (TestBit(s.bits, i) || TestBit(s.inline_marks, i)) return {LiveState::kLive, LiveReason::kMarked};
    return {LiveState::kFreed, LiveReason::kNotMarked};
  }
  if (sg == h || sg == h + 3) {  // swept: allocBits = the last cycle's marks
    if (TestBit(s.bits, i)) return {LiveState::kLive, LiveReason::kSurvivedLastGc};
    // Handed out since the sweep? Only a young object can be that; an older one was not marked.
    const bool old = o.alloc_sweepgen != TrackedObject::kUnknownSweepgen &&
                     static_cast<int32_t>(h - o.alloc_sweepgen) > 0;
    if (!old && i < s.freeindex) return {LiveState::kLive, LiveReason::kAllocatedSinceSweep};
    return {LiveState::kFreed, LiveReason::kSweptFree};
  }
  return {LiveState::kUnknown, LiveReason::kSweepRace};
}

// ---------------------------------------------------------------------------------------------

HeapReader::HeapReader(pid_t pid, const HeapLayout& layout, uint64_t load_bias)
    : pid_(pid), layout_(layout), mheap_(layout.mheap.value + load_bias) {}

Status HeapReader::Validate() {
  uint32_t sweepgen = 0;
  uint64_t l2 = 0;
  ReadOp ops[] = {{mheap_ + layout_.mheap_sweepgen, &sweepgen, 4},
                  {mheap_ + layout_.mheap_arenas, &l2, 8}};
  CheckStats st;
  if (auto s = ReadMany(pid_, ops, &st); !s) return s.error();
  if (!ops[0].ok || !ops[1].ok || (sweepgen & 1) != 0 || l2 == 0 || l2 >= (1ull << 47)) {
    return MakeError(ErrorCode::kBadInput,
                     "process " + std::to_string(pid_) + ": runtime.mheap_ of " +
                         layout_.version.raw + " does not look like a Go heap (wrong layout?)");
  }
  l2_ = l2;
  return Ok{};
}

Result<HeapReader> HeapReader::Attach(pid_t pid, const HeapLayout& layout, uint64_t load_bias) {
  HeapReader r(pid, layout, load_bias);
  if (auto s = r.Validate(); !s) return s.error();
  return r;
}

HeapReader HeapReader::Deferred(pid_t pid, const HeapLayout& layout, uint64_t load_bias) {
  return HeapReader(pid, layout, load_bias);
}

Result<uint32_t> HeapReader::ReadSweepgen() {
  uint32_t h = 0;
  ReadOp op{mheap_ + layout_.mheap_sweepgen, &h, 4};
  CheckStats st;
  if (auto s = ReadMany(pid_, std::span(&op, 1), &st); !s) return s.error();
  if (!op.ok) return MakeError(ErrorCode::kIo, "cannot read mheap_.sweepgen");
  return h;
}

namespace heap_reader_detail {

// One span as a check reads it.
struct Span {
  uint64_t remote;
  std::vector<uint8_t> raw;   // the mspan struct
  std::vector<uint8_t> bits;  // alloc or mark bits, then (Green Tea) 63 bytes of inline marks
  SpanSnapshot snap;
  uint32_t h = 0;
  bool read_ok = false;
  bool done = false;
  bool inline_marks = false;
  uint32_t sweepgen_recheck = 0;
};

}  // namespace heap_reader_detail

namespace {

using heap_reader_detail::Span;
constexpr uint32_t kNone = 0xffffffffu;

// The mspan fields the decision rule needs, from the struct's raw bytes.
SpanSnapshot DecodeSpan(const uint8_t* r, const HeapLayout& L) {
  SpanSnapshot sn;
  sn.start = Load64(r + L.span_start);
  sn.npages = Load64(r + L.span_npages);
  sn.freeindex = L.index_width == 2 ? Load16(r + L.span_freeindex) : Load64(r + L.span_freeindex);
  sn.nelems = L.index_width == 2 ? Load16(r + L.span_nelems) : Load64(r + L.span_nelems);
  sn.sweepgen = Load32(r + L.span_sweepgen);
  sn.sizeclass = r[L.span_spanclass] >> 1;
  sn.state = r[L.span_state];
  sn.elemsize = Load64(r + L.span_elemsize);
  sn.limit = Load64(r + L.span_limit);
  sn.malloc_headers = L.malloc_headers;
  return sn;
}

// Queues the one bitmap span `s` (decoded, seen at mheap_.sweepgen h) calls for: the mark bits
// (and Green Tea inline marks) if it was not swept since the last mark, else its alloc bits.
void PlanBitmapRead(Span& s, uint32_t h, const HeapLayout& L, std::vector<ReadOp>& bit_ops) {
  const SpanSnapshot& sn = s.snap;
  if (sn.state != kSpanInUse || sn.nelems == 0 || sn.nelems > kMaxBitmapBytes * 8) return;
  const uint32_t sg = sn.sweepgen;
  const uint64_t nbytes = (sn.nelems + 7) / 8;
  const uint8_t* r = s.raw.data();
  if (sg == h - 2 || sg == h + 1) {
    s.bits.assign(nbytes + kInlineMarksBytes, 0);
    bit_ops.push_back({Load64(r + L.span_gcmark_bits), s.bits.data(), nbytes});
    if (L.green_tea && sn.elemsize >= 16 && sn.elemsize <= 512 && sn.npages == 1) {
      s.inline_marks = true;
      bit_ops.push_back({sn.start + kInlineMarksOffset, s.bits.data() + nbytes, kInlineMarksBytes});
    }
  } else if (sg == h || sg == h + 3) {
    s.bits.assign(nbytes, 0);
    bit_ops.push_back({Load64(r + L.span_alloc_bits), s.bits.data(), nbytes});
  }
}

}  // namespace

// One Check's working state: the objects in address order and what was read for them.
struct HeapReader::CheckPass {
  std::span<const TrackedObject> objects;
  std::vector<Liveness> out;
  std::vector<std::pair<uint64_t, uint32_t>> order;  // (address, index into objects)
  std::vector<uint32_t> obj_chunk;                   // by position in `order`: spans[] page
  std::vector<uint64_t> chunk_remote;                // remote address of each spans[] page
  std::vector<uint64_t> chunks;                      // their contents, kSpansPerChunk each
  std::vector<bool> chunk_ok;
  std::vector<Span> spans;
  std::vector<uint32_t> obj_span;  // by position in `order`: index into spans
  bool first_h = true;
};

Status HeapReader::ReadArenas(CheckPass& c) {
  std::vector<uint64_t> missing;
  for (const auto& [addr, idx] : c.order) {
    const uint64_t ri = (addr - HeapLayout::kArenaBaseOffset) / HeapLayout::kArenaBytes;
    if (ri >= HeapLayout::kArenaL2Entries) continue;
    if ((missing.empty() || missing.back() != ri) && !arenas_.count(ri)) missing.push_back(ri);
  }
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  std::vector<uint64_t> ha(missing.size());
  std::vector<ReadOp> ops;
  for (size_t i = 0; i < missing.size(); i++) ops.push_back({l2_ + 8 * missing[i], &ha[i], 8});
  if (auto s = ReadMany(pid_, ops, &stats_); !s) return s.error();
  for (size_t i = 0; i < missing.size(); i++) {
    if (ops[i].ok && ha[i] != 0) arenas_[missing[i]] = ha[i];
  }
  return Ok{};
}

Status HeapReader::ReadSpanTablePages(CheckPass& c) {
  const size_t n = c.order.size();
  c.obj_chunk.assign(n, kNone);
  uint64_t prev_key = ~0ull;
  for (size_t k = 0; k < n; k++) {
    const uint64_t addr = c.order[k].first;
    const uint64_t rel = addr - HeapLayout::kArenaBaseOffset;
    const uint64_t ri = rel / HeapLayout::kArenaBytes;
    if (ri >= HeapLayout::kArenaL2Entries) continue;
    auto it = arenas_.find(ri);
    if (it == arenas_.end()) continue;
    const uint64_t key = rel / HeapLayout::kPageSize / kSpansPerChunk;
    if (key != prev_key) {
      const uint64_t page_in_arena = (addr / HeapLayout::kPageSize) % HeapLayout::kPagesPerArena;
      c.chunk_remote.push_back(it->second + layout_.arena_spans +
                               8 * (page_in_arena / kSpansPerChunk * kSpansPerChunk));
      prev_key = key;
    }
    c.obj_chunk[k] = static_cast<uint32_t>(c.chunk_remote.size() - 1);
  }
  c.chunks.assign(c.chunk_remote.size() * kSpansPerChunk, 0);
  c.chunk_ok.assign(c.chunk_remote.size(), false);
  std::vector<ReadOp> ops;
  for (size_t i = 0; i < c.chunk_remote.size(); i++) {
    ops.push_back({c.chunk_remote[i], &c.chunks[i * kSpansPerChunk], kSpansPerChunk * 8});
  }
  if (auto s = ReadMany(pid_, ops, &stats_); !s) return s.error();
  for (size_t i = 0; i < ops.size(); i++) c.chunk_ok[i] = ops[i].ok;
  return Ok{};
}

void HeapReader::FindSpans(CheckPass& c) {
  const size_t n = c.order.size();
  c.obj_span.assign(n, kNone);
  std::unordered_map<uint64_t, uint32_t> index;
  uint64_t prev = 0;
  uint32_t prev_idx = kNone;
  for (size_t k = 0; k < n; k++) {
    if (c.obj_chunk[k] == kNone) continue;
    if (!c.chunk_ok[c.obj_chunk[k]]) {
      c.out[c.order[k].second] = {LiveState::kUnknown, LiveReason::kUnreadable};
      continue;
    }
    const uint64_t page = (c.order[k].first / HeapLayout::kPageSize) % kSpansPerChunk;
    const uint64_t sp = c.chunks[c.obj_chunk[k] * kSpansPerChunk + page];
    if (sp == 0) continue;  // never part of a span: not a heap object
    if (sp != prev) {
      auto [it, inserted] = index.try_emplace(sp, static_cast<uint32_t>(c.spans.size()));
      if (inserted) {
        c.spans.push_back(Span{});
        c.spans.back().remote = sp;
      }
      prev = sp;
      prev_idx = it->second;
    }
    c.obj_span[k] = prev_idx;
  }
  stats_.spans = c.spans.size();
}

Status HeapReader::ReadSpanBatch(CheckPass& c, std::span<const uint32_t> batch,
                                 std::vector<uint32_t>& retry) {
  const HeapLayout& L = layout_;
  uint32_t h_before = 0, h_after = 0;
  std::vector<ReadOp> ops;
  ops.push_back({mheap_ + L.mheap_sweepgen, &h_before, 4});
  for (uint32_t si : batch) {
    Span& s = c.spans[si];
    s.raw.assign(L.span_read_size, 0);
    ops.push_back({s.remote, s.raw.data(), s.raw.size()});
  }
  if (auto st = ReadMany(pid_, ops, &stats_); !st) return st.error();
  if (!ops[0].ok) return MakeError(ErrorCode::kIo, "cannot read mheap_.sweepgen");
  if (c.first_h) {
    stats_.sweepgen_first = h_before;
    c.first_h = false;
  }
  std::vector<ReadOp> bit_ops;
  for (size_t j = 0; j < batch.size(); j++) {
    Span& s = c.spans[batch[j]];
    s.read_ok = ops[1 + j].ok;
    s.inline_marks = false;
    s.bits.clear();
    if (!s.read_ok) continue;
    s.snap = DecodeSpan(s.raw.data(), L);
    s.h = h_before;
    PlanBitmapRead(s, h_before, L, bit_ops);
  }
  if (auto st = ReadMany(pid_, bit_ops, &stats_); !st) return st.error();
  const bool bits_ok = std::all_of(bit_ops.begin(), bit_ops.end(), [](const ReadOp& o) { return o.ok; });
  ops.clear();
  ops.push_back({mheap_ + L.mheap_sweepgen, &h_after, 4});
  for (uint32_t si : batch) {
    Span& s = c.spans[si];
    ops.push_back({s.remote + L.span_sweepgen, &s.sweepgen_recheck, 4});
  }
  if (auto st = ReadMany(pid_, ops, &stats_); !st) return st.error();
  stats_.sweepgen_last = h_after;
  for (size_t j = 0; j < batch.size(); j++) {
    const bool stable = h_after == h_before && ops[1 + j].ok;
    if (!SettleSpan(c.spans[batch[j]], stable, bits_ok)) retry.push_back(batch[j]);
  }
  return Ok{};
}

bool HeapReader::SettleSpan(Span& s, bool stable, bool bits_ok) {
  if (!s.read_ok) {
    s.done = true;  // unreadable: objects stay unknown
    return true;
  }
  const SpanSnapshot& sn = s.snap;
  stable = stable && s.sweepgen_recheck == sn.sweepgen;
  const bool decidable = sn.state != kSpanInUse || !s.bits.empty();
  // A failed bitmap read on a stable span would be a bug in our reading; retry it too.
  if (!stable || !decidable || !(bits_ok || s.bits.empty())) return false;
  s.done = true;
  if (s.bits.empty()) return true;
  s.snap.bits = s.bits.data();
  if (s.inline_marks) s.snap.inline_marks = s.bits.data() + (sn.nelems + 7) / 8;
  const uint32_t sg = sn.sweepgen;
  if (sg == s.h - 2 || sg == s.h + 1) {
    stats_.unswept_spans++;
    if (s.inline_marks) stats_.green_tea_spans++;
  }
  return true;
}

Status HeapReader::ReadSpans(CheckPass& c) {
  std::vector<uint32_t> pending(c.spans.size());
  for (uint32_t i = 0; i < pending.size(); i++) pending[i] = i;
  for (int attempt = 0; attempt < kMaxAttempts && !pending.empty(); attempt++) {
    if (attempt > 0) {
      stats_.retries += pending.size();
      std::this_thread::sleep_for(std::chrono::microseconds(200 * attempt));
    }
    std::vector<uint32_t> retry;
    for (size_t b = 0; b < pending.size(); b += kSpansPerBatch) {
      const size_t e = std::min(pending.size(), b + kSpansPerBatch);
      const std::span<const uint32_t> batch(pending.data() + b, e - b);
      if (auto s = ReadSpanBatch(c, batch, retry); !s) return s;
    }
    pending.swap(retry);
  }
  return Ok{};
}

void HeapReader::Decide(CheckPass& c) {
  for (size_t k = 0; k < c.order.size(); k++) {
    const uint32_t si = c.obj_span[k];
    if (si == kNone) continue;  // stays kNotHeap / kUnreadable
    const Span& s = c.spans[si];
    Liveness& res = c.out[c.order[k].second];
    if (!s.read_ok) {
      res = {LiveState::kUnknown, LiveReason::kUnreadable};
    } else if (!s.done) {
      res = {LiveState::kUnknown, LiveReason::kSweepRace};
    } else {
      res = DecideLiveness(s.snap, s.h, c.objects[c.order[k].second]);
    }
  }
}

Result<std::vector<Liveness>> HeapReader::Check(std::span<const TrackedObject> objects) {
  const auto t0 = std::chrono::steady_clock::now();
  stats_ = CheckStats{};
  stats_.objects = objects.size();
  const size_t n = objects.size();
  CheckPass c;
  c.objects = objects;
  c.out.assign(n, Liveness{LiveState::kUnknown, LiveReason::kNotHeap});
  if (n == 0) return std::move(c.out);
  if (l2_ == 0) {
    if (auto s = Validate(); !s) return s.error();
  }
  // Objects in address order: objects of one span, one spans[] page, one arena are adjacent.
  c.order.resize(n);
  for (size_t i = 0; i < n; i++) c.order[i] = {objects[i].addr, static_cast<uint32_t>(i)};
  if (!std::is_sorted(c.order.begin(), c.order.end())) std::sort(c.order.begin(), c.order.end());
  if (auto s = ReadArenas(c); !s) return s.error();
  if (auto s = ReadSpanTablePages(c); !s) return s.error();
  FindSpans(c);
  if (auto s = ReadSpans(c); !s) return s.error();
  Decide(c);
  stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return std::move(c.out);
}

}  // namespace goretain
