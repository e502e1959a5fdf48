#include "userspace/kernel/exec_watcher.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "exec_watch.h"
#include "exec_watch.skel.h"

namespace goretain {

// The record layout is shared with the BPF program: a change on one side fails the build.
static_assert(sizeof(gr_exec_event) == 24);
static_assert(offsetof(gr_exec_event, tgid) == 0);
static_assert(offsetof(gr_exec_event, cgroup_id) == 8);
static_assert(offsetof(gr_exec_event, matched_id) == 16);

namespace {

Error WatcherError(int err, const std::string& what) {
  err = err < 0 ? -err : err;
  const ErrorCode code = err == EPERM ? ErrorCode::kPermission : ErrorCode::kKernel;
  return MakeError(code, fmt::format("{}: {}{}", what, strerror(err),
                                     code == ErrorCode::kPermission
                                         ? " (goretain needs root, or CAP_BPF and CAP_PERFMON)"
                                         : ""));
}

}  // namespace

void ExecWatcher::Deleters::operator()(exec_watch_bpf* skel) const { exec_watch_bpf__destroy(skel); }
void ExecWatcher::Deleters::operator()(bpf_link* link) const { bpf_link__destroy(link); }
void ExecWatcher::Deleters::operator()(ring_buffer* rb) const { ring_buffer__free(rb); }

ExecWatcher::ExecWatcher(ExecHandler handler) : handler_(std::move(handler)) {}

ExecWatcher::~ExecWatcher() {
  ring_.reset();
  link_.reset();
  skel_.reset();
}

Result<std::unique_ptr<ExecWatcher>> ExecWatcher::Create(bool watch_all, ExecHandler handler) {
  std::unique_ptr<ExecWatcher> w(new ExecWatcher(std::move(handler)));
  w->skel_.reset(exec_watch_bpf__open());
  if (!w->skel_) return WatcherError(errno, "opening the exec watcher");
  w->skel_->rodata->exec_cfg.watch_all = watch_all ? 1 : 0;
  if (int err = exec_watch_bpf__load(w->skel_.get()); err) {
    return WatcherError(err, "loading the exec watcher (sched_process_exec, needs kernel BTF)");
  }
  w->link_.reset(bpf_program__attach(w->skel_->progs.gr_exec_watch));
  if (!w->link_) return WatcherError(errno, "attaching the exec watcher to sched_process_exec");
  w->ring_.reset(ring_buffer__new(bpf_map__fd(w->skel_->maps.exec_events), &ExecWatcher::OnRecord,
                                  w.get(), nullptr));
  if (!w->ring_) return WatcherError(errno, "opening the exec watcher's ring buffer");
  return w;
}

Status ExecWatcher::WatchCgroup(uint64_t cgroup_id) {
  const uint8_t one = 1;
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.watched_cgroups), &cgroup_id, &one, BPF_ANY)) {
    return WatcherError(errno, fmt::format("watching cgroup {}", cgroup_id));
  }
  return Ok{};
}

int ExecWatcher::OnRecord(void* ctx, void* data, size_t size) {
  if (size < sizeof(gr_exec_event)) return 0;
  gr_exec_event raw;
  std::memcpy(&raw, data, sizeof(raw));
  static_cast<ExecWatcher*>(ctx)->handler_(ExecEvent{raw.tgid, raw.cgroup_id, raw.matched_id});
  return 0;
}

Result<int> ExecWatcher::Poll(int timeout_ms) {
  int n = ring_buffer__poll(ring_.get(), timeout_ms);
  if (n == -EINTR) return 0;  // a stop signal: the caller's loop decides
  if (n < 0) return WatcherError(n, "reading exec events");
  return n;
}

uint64_t ExecWatcher::dropped() const {
  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return 0;
  std::vector<uint64_t> per_cpu(ncpu);
  const uint32_t zero = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.exec_dropped), &zero, per_cpu.data())) return 0;
  uint64_t total = 0;
  for (uint64_t v : per_cpu) total += v;
  return total;
}

}  // namespace goretain
