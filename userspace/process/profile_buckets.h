// Reading a running Go program's heap profile out of its memory: runtime.MemProfileRate and the
// profile buckets (runtime.mbuckets → allnext → …, each with its stack and memRecord), with
// batched process_vm_readv. Never stops the target, never writes to it. The reads race with the
// runtime, harmlessly: buckets are only pushed at the list's head once filled in, and the
// counters are word-sized and only grow.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "symbols/result.h"
#include "userspace/goruntime/profile_layout.h"

namespace goretain {

// One memRecordCycle. Bytes are the runtime's own counters up to 1.26, count × bucket size in
// 1.27 (which keeps no byte counters).
struct ProfileCycle {
  uint64_t allocs = 0, frees = 0, alloc_bytes = 0, free_bytes = 0;
};

struct ProfileBucket {
  uint64_t size = 0;            // bytes per object (size class / span size)
  std::vector<uint64_t> stack;  // return PCs as the runtime recorded them, innermost first, as
                                // link-time addresses (ElfVaddr: the load bias taken off)
  ProfileCycle active;          // as of the last GC cycle the runtime published
  ProfileCycle future[3];       // not yet published (the cycle in progress and the two before)
};

struct ProfileSnapshot {
  int64_t mem_profile_rate = 0;  // runtime.MemProfileRate when the buckets were read
  std::vector<ProfileBucket> buckets;
  bool truncated = false;        // more than the cap (or a cycle in the list): the rest not read
  uint64_t syscalls = 0, bytes_read = 0;
};

// runtime.MemProfileRate now. Errors: kNotFound (the process exited), kPermission, kIo.
Result<int64_t> ReadMemProfileRate(pid_t pid, const ProfileLayout& layout, uint64_t load_bias);

// The rate and every memProfile bucket (up to `max_buckets`). Reads 64 KiB blocks at a time
// (the runtime allocates buckets one after another from persistentalloc chunks, so one block
// holds many), a bucket straddling unmapped memory exactly. Errors: as ReadMemProfileRate, and
// kBadInput when a bucket does not look like one (the layout does not fit the binary).
Result<ProfileSnapshot> ReadProfileBuckets(pid_t pid, const ProfileLayout& layout,
                                           uint64_t load_bias, size_t max_buckets = 1000000);

}  // namespace goretain
