// Reads from another process's memory in batches, with process_vm_readv (never ptrace, never a
// write): the heap reader's access to a target's heap metadata, and the sampler's later.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "symbols/result.h"

namespace goretain {

// One range to copy: `len` bytes at `remote` (the target's address) into `local`.
struct ReadOp {
  uint64_t remote;
  void* local;
  size_t len;
  bool ok = false;  // set by ReadMany: the whole range was read
};

// What the reads cost, added up over calls.
struct ReadTally {
  uint64_t syscalls = 0;    // process_vm_readv calls
  uint64_t bytes_read = 0;
};

// Performs every op with as few process_vm_readv calls as possible (up to IOV_MAX = 1024 ops
// per call). An op whose remote range is not (wholly) mapped gets ok = false; the others are
// still read. Fails only when the process cannot be read at all (RemoteReadError).
Status ReadMany(pid_t pid, std::span<ReadOp> ops, ReadTally* tally);

// The error for a failed read of `pid`'s memory with errno `err`: kNotFound if the process
// exited (ESRCH), kPermission for EPERM/EACCES, else kIo.
Error RemoteReadError(pid_t pid, int err);

}  // namespace goretain
