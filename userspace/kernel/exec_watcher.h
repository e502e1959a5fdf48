// ExecWatcher: tells userspace which processes have just exec'd in the selected cgroups.
//
// Owns the second BPF object (bpf/exec_watch.bpf.c): one tp_btf program on sched_process_exec
// that filters in the kernel by cgroup v2 ID (the task's own or an ancestor's) and sends
// {tgid, cgroup id} through its own small ring buffer. Separate from BpfTracer on purpose: it
// attaches to the kernel, not to an executable, and exists only when goretain follows
// processes (--cgroup, --all, goretain agent). Everything is released by the destructor (or by
// the kernel when goretain dies: the link is an fd, never pinned).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "symbols/result.h"

struct exec_watch_bpf;  // the generated skeleton
struct bpf_link;
struct ring_buffer;

namespace goretain {

struct ExecEvent {
  uint32_t tgid = 0;        // host (initial namespace) PID
  uint64_t cgroup_id = 0;   // its cgroup v2 ID
  uint64_t matched_id = 0;  // the selected cgroup it is in; 0 when watching every exec
};

using ExecHandler = std::function<void(const ExecEvent&)>;

class ExecWatcher {
 public:
  // `watch_all`: every exec on the host, no cgroup filter. Errors: kPermission, kKernel.
  static Result<std::unique_ptr<ExecWatcher>> Create(bool watch_all, ExecHandler handler);
  ~ExecWatcher();
  ExecWatcher(const ExecWatcher&) = delete;
  ExecWatcher& operator=(const ExecWatcher&) = delete;

  // Adds a cgroup v2 ID (the inode number of its directory under the cgroup2 mount) to the
  // selection; execs in it or below it are reported from now on.
  Status WatchCgroup(uint64_t cgroup_id);

  // Hands every pending exec event to the handler, waiting up to timeout_ms for the first one.
  Result<int> Poll(int timeout_ms);
  // Matched execs lost to a full ring buffer.
  uint64_t dropped() const;

 private:
  explicit ExecWatcher(ExecHandler handler);
  static int OnRecord(void* ctx, void* data, size_t size);

  struct Deleters {
    void operator()(exec_watch_bpf* skel) const;
    void operator()(bpf_link* link) const;
    void operator()(ring_buffer* rb) const;
  };
  ExecHandler handler_;
  std::unique_ptr<exec_watch_bpf, Deleters> skel_;
  std::unique_ptr<bpf_link, Deleters> link_;      // destroyed before skel_
  std::unique_ptr<ring_buffer, Deleters> ring_;   // destroyed first
};

}  // namespace goretain
