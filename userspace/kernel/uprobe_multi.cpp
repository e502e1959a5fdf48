#include "userspace/kernel/uprobe_multi.h"

#include <errno.h>
#include <fmt/format.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

namespace goretain {
namespace {

// The BPF_LINK_CREATE attributes for uprobe_multi (include/uapi/linux/bpf.h, Linux 6.6+).
struct LinkCreateUprobeMultiAttr {
  uint32_t prog_fd;
  uint32_t target_fd;
  uint32_t attach_type;
  uint32_t flags;
  uint64_t path;             // const char*
  uint64_t offsets;          // const uint64_t* (file offsets)
  uint64_t ref_ctr_offsets;  // const uint64_t* or 0
  uint64_t cookies;          // const uint64_t* or 0
  uint32_t cnt;
  uint32_t multi_flags;      // 0: entry probes (BPF_F_UPROBE_MULTI_RETURN = 1 is never used)
  uint32_t pid;              // 0: every process
};
static_assert(offsetof(LinkCreateUprobeMultiAttr, path) == 16);
static_assert(offsetof(LinkCreateUprobeMultiAttr, cnt) == 48);
static_assert(offsetof(LinkCreateUprobeMultiAttr, pid) == 56);
static_assert(sizeof(LinkCreateUprobeMultiAttr) <= sizeof(union bpf_attr));

}  // namespace

Result<int> CreateUprobeMultiLink(int prog_fd, const std::string& path,
                                  std::span<const uint64_t> offsets,
                                  std::span<const uint64_t> cookies) {
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  LinkCreateUprobeMultiAttr a{};
  a.prog_fd = static_cast<uint32_t>(prog_fd);
  a.attach_type = kBpfTraceUprobeMulti;
  a.path = reinterpret_cast<uint64_t>(path.c_str());
  a.offsets = reinterpret_cast<uint64_t>(offsets.data());
  a.cookies = reinterpret_cast<uint64_t>(cookies.data());
  a.cnt = static_cast<uint32_t>(offsets.size());
  std::memcpy(&attr, &a, sizeof(a));
  const long fd = syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
  if (fd >= 0) return static_cast<int>(fd);
  const int err = errno;
  const std::string what = fmt::format("attaching {} uprobes to {}: {}", offsets.size(), path,
                                       strerror(err));
  if (err == EINVAL || err == EOPNOTSUPP || err == ENOSYS) {
    return MakeError(ErrorCode::kUnsupported, what);
  }
  if (err == EPERM || err == EACCES) return MakeError(ErrorCode::kPermission, what);
  return MakeError(ErrorCode::kKernel, what);
}

}  // namespace goretain
