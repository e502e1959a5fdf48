#include "userspace/process/profile_buckets.h"

#include <fmt/format.h>

#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "userspace/process/remote_memory.h"

namespace goretain {
namespace {

// Remote memory read through aligned 64 KiB blocks, at most kMaxBlocks kept (the bucket list is
// walked once, mostly downwards through each chunk).
class BlockReader {
 public:
  static constexpr uint64_t kBlock = 64 * 1024;
  static constexpr size_t kMaxBlocks = 64;

  explicit BlockReader(pid_t pid) : pid_(pid) {}

  // Copies [addr, addr+len) into `out`. false: not mapped. Errors: the process cannot be read.
  Result<bool> Read(uint64_t addr, void* out, size_t len) {
    auto* dst = static_cast<uint8_t*>(out);
    uint64_t at = addr;
    while (at < addr + len) {
      const uint64_t base = at & ~(kBlock - 1);
      const size_t n = static_cast<size_t>(std::min<uint64_t>(addr + len, base + kBlock) - at);
      auto block = Block(base);
      if (!block) return block.error();
      if (*block == nullptr) return Direct(addr, out, len);  // block partly unmapped
      std::memcpy(dst + (at - addr), *block + (at - base), n);
      at += n;
    }
    return true;
  }

  const ReadTally& tally() const { return tally_; }

 private:
  Result<const uint8_t*> Block(uint64_t base) {
    if (auto it = blocks_.find(base); it != blocks_.end()) {
      return it->second.empty() ? nullptr : it->second.data();
    }
    if (blocks_.size() >= kMaxBlocks) blocks_.clear();
    std::vector<uint8_t>& b = blocks_[base];
    b.resize(kBlock);
    ReadOp op{base, b.data(), b.size()};
    if (auto s = ReadMany(pid_, std::span<ReadOp>(&op, 1), &tally_); !s) return s.error();
    if (!op.ok) b.clear();
    return b.empty() ? nullptr : b.data();
  }

  Result<bool> Direct(uint64_t addr, void* out, size_t len) {
    ReadOp op{addr, out, len};
    if (auto s = ReadMany(pid_, std::span<ReadOp>(&op, 1), &tally_); !s) return s.error();
    return op.ok;
  }

  pid_t pid_;
  ReadTally tally_;
  std::unordered_map<uint64_t, std::vector<uint8_t>> blocks_;  // empty vector: not wholly mapped
};

ProfileCycle ParseCycle(const uint64_t* w, const ProfileLayout& layout, uint64_t size) {
  ProfileCycle c;
  c.allocs = w[0];
  c.frees = w[1];
  if (layout.byte_counters) {
    c.alloc_bytes = w[2];
    c.free_bytes = w[3];
  } else {
    c.alloc_bytes = c.allocs * size;
    c.free_bytes = c.frees * size;
  }
  return c;
}

Error NotABucket(uint64_t addr, const std::string& why) {
  return MakeError(ErrorCode::kBadInput,
                   fmt::format("heap profile bucket at {:#x} {}: the runtime's layout does not "
                               "fit this binary", addr, why));
}

// Reads the bucket at `addr`; sets *next to its allnext.
Result<ProfileBucket> ReadBucket(BlockReader& r, const ProfileLayout& layout, uint64_t load_bias,
                                 uint64_t addr, uint64_t* next) {
  uint64_t header[ProfileLayout::kBucketHeader / 8];
  auto got = r.Read(addr, header, sizeof header);
  if (!got) return got.error();
  if (!*got) return NotABucket(addr, "is not mapped");
  const uint64_t nstk = header[ProfileLayout::kBucketNstk / 8];
  if (header[ProfileLayout::kBucketType / 8] != ProfileLayout::kMemProfileType) {
    return NotABucket(addr, "is not a heap profile bucket");
  }
  if (nstk > ProfileLayout::kMaxStack) return NotABucket(addr, fmt::format("has {} frames", nstk));
  ProfileBucket b;
  b.size = header[ProfileLayout::kBucketSize / 8];
  *next = header[ProfileLayout::kBucketAllnext / 8];
  const size_t words = nstk + 4 * layout.record_cycle_bytes / 8;
  std::vector<uint64_t> body(words);
  got = r.Read(addr + ProfileLayout::kBucketHeader, body.data(), words * 8);
  if (!got) return got.error();
  if (!*got) return NotABucket(addr, "has an unmapped stack");
  b.stack.reserve(nstk);
  for (size_t i = 0; i < nstk; i++) b.stack.push_back(body[i] - load_bias);
  const uint64_t* record = body.data() + nstk;
  const size_t cycle_words = layout.record_cycle_bytes / 8;
  b.active = ParseCycle(record, layout, b.size);
  for (int i = 0; i < 3; i++) b.future[i] = ParseCycle(record + cycle_words * (1 + i), layout, b.size);
  return b;
}

}  // namespace

Result<int64_t> ReadMemProfileRate(pid_t pid, const ProfileLayout& layout, uint64_t load_bias) {
  int64_t rate = 0;
  ReadTally tally;
  ReadOp op{layout.mem_profile_rate.value + load_bias, &rate, sizeof rate};
  if (auto s = ReadMany(pid, std::span<ReadOp>(&op, 1), &tally); !s) return s.error();
  if (!op.ok) {
    return MakeError(ErrorCode::kBadInput,
                     fmt::format("runtime.MemProfileRate at {:#x} is not mapped in process {}",
                                 op.remote, pid));
  }
  return rate;
}

Result<ProfileSnapshot> ReadProfileBuckets(pid_t pid, const ProfileLayout& layout,
                                           uint64_t load_bias, size_t max_buckets) {
  ProfileSnapshot snap;
  auto rate = ReadMemProfileRate(pid, layout, load_bias);
  if (!rate) return rate.error();
  snap.mem_profile_rate = *rate;
  BlockReader reader(pid);
  uint64_t head = 0;
  auto got = reader.Read(layout.mbuckets.value + load_bias, &head, sizeof head);
  if (!got) return got.error();
  if (!*got) return NotABucket(layout.mbuckets.value + load_bias, "list head");
  std::unordered_set<uint64_t> seen;
  for (uint64_t at = head; at != 0;) {
    if (snap.buckets.size() >= max_buckets || !seen.insert(at).second) {
      snap.truncated = true;
      break;
    }
    uint64_t next = 0;
    auto bucket = ReadBucket(reader, layout, load_bias, at, &next);
    if (!bucket) return bucket.error();
    snap.buckets.push_back(std::move(*bucket));
    at = next;
  }
  snap.syscalls = reader.tally().syscalls + 1;
  snap.bytes_read = reader.tally().bytes_read + 8;
  return snap;
}

}  // namespace goretain
