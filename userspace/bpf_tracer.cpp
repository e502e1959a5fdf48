#include "userspace/bpf_tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>
#include <thread>

// The skeleton refers to struct gr_config, declared in goretain.h (included via bpf_types.hpp).
#include "goretain.skel.h"

namespace goretain {
namespace {

// libbpf's own messages go to our debug log, never straight to the user's terminal.
int LibbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  if (!spdlog::should_log(spdlog::level::debug)) return 0;
  char buf[1024];
  int n = vsnprintf(buf, sizeof(buf), format, args);
  std::string_view msg(buf, n > 0 ? std::min<size_t>(n, sizeof(buf) - 1) : 0);
  while (!msg.empty() && msg.back() == '\n') msg.remove_suffix(1);
  spdlog::debug("libbpf: {}", msg);
  return 0;
}

Error KernelError(int err, const std::string& what) {
  err = err < 0 ? -err : err;
  // EACCES from a load as root is the verifier refusing a program, not a privilege problem.
  if (err == EPERM || (err == EACCES && geteuid() != 0)) {
    return MakeError(ErrorCode::kPermission,
                     fmt::format("{}: {} (goretain needs root, or CAP_BPF and CAP_PERFMON)", what,
                                 strerror(err)));
  }
  return MakeError(ErrorCode::kKernel, fmt::format("{}: {}", what, strerror(err)));
}

}  // namespace

void BpfTracer::LinkDeleter::operator()(bpf_link* link) const {
  if (int err = bpf_link__destroy(link); err) {
    spdlog::warn("detaching a uprobe failed: {}", strerror(-err));
  }
}
void BpfTracer::SkeletonDeleter::operator()(goretain_bpf* skel) const { goretain_bpf__destroy(skel); }
void BpfTracer::RingBufferDeleter::operator()(ring_buffer* rb) const { ring_buffer__free(rb); }

BpfTracer::BpfTracer(EventHandler handler) : handler_(std::move(handler)) {}

BpfTracer::~BpfTracer() {
  // Detach before the programs go away. Each uprobe's removal waits for an RCU grace period in
  // the kernel (~0.2 s here); removing them concurrently lets those waits overlap, so goretain
  // exits in one grace period instead of one per probe.
  std::vector<std::thread> detachers;
  for (auto& link : links_) detachers.emplace_back([l = std::move(link)]() mutable { l.reset(); });
  for (auto& t : detachers) t.join();
  links_.clear();
  ring_.reset();
  skel_.reset();
}

Result<std::unique_ptr<BpfTracer>> BpfTracer::Create(const TracerConfig& config,
                                                     EventHandler handler) {
  libbpf_set_print(LibbpfPrint);
  std::unique_ptr<BpfTracer> t(new BpfTracer(std::move(handler)));

  // Open.
  t->skel_.reset(goretain_bpf__open());
  if (!t->skel_) return KernelError(errno, "opening the BPF object");

  // Configure: .rodata and map sizes can only change before load.
  t->skel_->rodata->cfg.stack_depth =
      std::clamp<uint32_t>(config.stack_depth, 1, GR_MAX_STACK);
  t->skel_->rodata->cfg.extra_frames = std::min<uint32_t>(config.extra_frames, GR_MAX_STACK);
  if (int err = bpf_map__set_max_entries(t->skel_->maps.events,
                                         static_cast<uint32_t>(config.ringbuf_bytes))) {
    return KernelError(err, "sizing the ring buffer");
  }

  // Load (the verifier runs here).
  if (int err = goretain_bpf__load(t->skel_.get())) return KernelError(err, "loading the BPF programs");

  t->ring_.reset(ring_buffer__new(bpf_map__fd(t->skel_->maps.events), &BpfTracer::OnRecord,
                                  t.get(), nullptr));
  if (!t->ring_) return KernelError(errno, "creating the ring buffer reader");
  return t;
}

int BpfTracer::OnRecord(void* ctx, void* data, size_t size) {
  auto* self = static_cast<BpfTracer*>(ctx);
  if (size < GR_EVENT_HEADER_SIZE) return 0;  // cannot happen with a matching BPF object
  self->handler_(*static_cast<const gr_event*>(data), size);
  return 0;
}

Result<int> BpfTracer::AttachExecutable(const std::string& path, const ProbePlan& plan) {
  std::vector<Link> attached;
  const uint32_t first_spec = next_spec_;
  if (first_spec + plan.probes.size() > GR_MAX_PROBES) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("too many probes (at most {} in one session)", GR_MAX_PROBES));
  }
  for (size_t i = 0; i < plan.probes.size(); i++) {
    const PlannedProbe& p = plan.probes[i];
    const uint32_t idx = first_spec + static_cast<uint32_t>(i);
    if (int err = bpf_map__update_elem(skel_->maps.probe_specs, &idx, sizeof(idx), &p.spec,
                                       sizeof(p.spec), BPF_ANY)) {
      return KernelError(err, "storing the probe specification of " + p.symbol);
    }
    LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = idx, .retprobe = false);
    // pid -1: every process that maps this file; the BPF program keeps only `targets`.
    bpf_link* link = bpf_program__attach_uprobe_opts(skel_->progs.gr_alloc_probe, -1, path.c_str(),
                                                     p.file_offset.value, &opts);
    if (!link) {
      return KernelError(errno, fmt::format("attaching a uprobe to {} in {}", p.symbol, path));
    }
    attached.emplace_back(link);
    spdlog::debug("attached {} at file offset {:#x} (cookie {})", p.symbol, p.file_offset.value, idx);
  }
  next_spec_ += static_cast<uint32_t>(plan.probes.size());
  const int n = static_cast<int>(attached.size());
  for (auto& l : attached) links_.push_back(std::move(l));
  return n;
}

Status BpfTracer::AddTarget(uint32_t pid, uint64_t load_bias) {
  gr_target value{};
  value.load_bias = load_bias;
  if (int err = bpf_map__update_elem(skel_->maps.targets, &pid, sizeof(pid), &value, sizeof(value),
                                     BPF_ANY)) {
    return KernelError(err, fmt::format("adding pid {} to the target set", pid));
  }
  return Ok{};
}

void BpfTracer::RemoveTarget(uint32_t pid) {
  bpf_map__delete_elem(skel_->maps.targets, &pid, sizeof(pid), 0);
}

Result<int> BpfTracer::Poll(int timeout_ms) {
  int n = ring_buffer__poll(ring_.get(), timeout_ms);
  if (n < 0 && n != -EINTR) return KernelError(n, "reading the ring buffer");
  return Drain();  // whatever arrived without a wakeup
}

Result<int> BpfTracer::Drain() {
  int n = ring_buffer__consume(ring_.get());
  if (n < 0) return KernelError(n, "draining the ring buffer");
  return n;
}

TracerCounters BpfTracer::ReadCounters() const {
  TracerCounters c;
  const int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) return c;
  std::vector<uint64_t> values(static_cast<size_t>(ncpus));
  auto sum = [&](uint32_t idx) -> uint64_t {
    if (bpf_map__lookup_elem(skel_->maps.counters, &idx, sizeof(idx), values.data(),
                             values.size() * sizeof(uint64_t), 0)) {
      return 0;
    }
    uint64_t total = 0;
    for (uint64_t v : values) total += v;
    return total;
  };
  c.emitted = sum(GR_COUNTER_EMITTED);
  c.dropped = sum(GR_COUNTER_DROPPED);
  c.morestack_skipped = sum(GR_COUNTER_MORESTACK);
  c.read_failed = sum(GR_COUNTER_READ_FAILED);
  return c;
}

}  // namespace goretain
