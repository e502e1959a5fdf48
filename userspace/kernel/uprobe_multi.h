// One BPF link for many uprobes on one file (BPF_TRACE_UPROBE_MULTI, Linux 6.6+).
//
// Why: a perf-event uprobe per probe costs an RCU grace period each when it is removed; a
// uprobe_multi link removes all its probes with one. libbpf 1.1 (Debian 12) predates the API, so
// this is the raw BPF_LINK_CREATE call, with the kernel's attribute layout restated and checked.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "symbols/result.h"

namespace goretain {

// expected_attach_type of a program that a uprobe_multi link can use (enum bpf_attach_type).
inline constexpr int kBpfTraceUprobeMulti = 48;

// Attaches `prog_fd` at each file offset of `path` (all processes; the program filters), the
// i-th probe carrying cookies[i]. Returns the link's fd (close it to detach everything).
// Errors: kUnsupported when the kernel has no uprobe_multi (EINVAL, EOPNOTSUPP), kPermission,
// kKernel otherwise.
Result<int> CreateUprobeMultiLink(int prog_fd, const std::string& path,
                                  std::span<const uint64_t> offsets,
                                  std::span<const uint64_t> cookies);

}  // namespace goretain
