#include "userspace/kernel/bpf_tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>
#include <thread>

// The skeleton refers to struct gr_config, declared in goretain.h (included via goretain_bpf.hpp).
#include "goretain.skel.h"
#include "userspace/kernel/uprobe_multi.h"

namespace goretain {
namespace {

// libbpf's own messages go to our debug log, never straight to the user's terminal.
int LibbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  if (!spdlog::should_log(spdlog::level::debug)) return 0;
  char buf[1024];
  int n = vsnprintf(buf, sizeof(buf), format, args);
  std::string_view msg(buf, n > 0 ? std::min<size_t>(n, sizeof(buf) - 1) : 0);
  while (!msg.empty() && msg.back() == '\n') msg.remove_suffix(1);
  spdlog::debug("{}", msg);  // libbpf starts its messages with "libbpf: "
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

BpfTracer::BpfTracer(const TracerConfig& config, EventHandler handler)
    : config_(config), handler_(std::move(handler)) {}

BpfTracer::~BpfTracer() {
  // Detach before the programs go away. Each uprobe's removal waits for an RCU grace period in
  // the kernel (~0.2 s here); removing them concurrently lets those waits overlap, so goretain
  // exits in one grace period instead of one per probe.
  std::vector<std::thread> detachers;
  for (auto& link : links_) detachers.emplace_back([l = std::move(link)]() mutable { l.reset(); });
  for (auto& t : detachers) t.join();
  links_.clear();
  for (int fd : multi_links_) close(fd);  // one grace period for all of a link's probes
  multi_links_.clear();
  ring_.reset();
  skel_.reset();
}

Status BpfTracer::Load(bool multi) {
  ring_.reset();
  skel_.reset();
  multi_ = multi;

  // Open.
  skel_.reset(goretain_bpf__open());
  if (!skel_) return KernelError(errno, "opening the BPF object");

  // Configure: .rodata, map sizes and the attach type can only change before load.
  skel_->rodata->cfg.stack_depth = std::clamp<uint32_t>(config_.stack_depth, 1, GR_MAX_STACK);
  skel_->rodata->cfg.extra_frames = std::min<uint32_t>(config_.extra_frames, GR_MAX_STACK);
  if (int err = bpf_map__set_max_entries(skel_->maps.events,
                                         static_cast<uint32_t>(config_.ringbuf_bytes))) {
    return KernelError(err, "sizing the ring buffer");
  }
  if (multi) {
    bpf_program__set_expected_attach_type(skel_->progs.gr_alloc_probe,
                                          static_cast<bpf_attach_type>(kBpfTraceUprobeMulti));
  }

  // Load (the verifier runs here).
  if (int err = goretain_bpf__load(skel_.get())) return KernelError(err, "loading the BPF programs");

  ring_.reset(ring_buffer__new(bpf_map__fd(skel_->maps.events), &BpfTracer::OnRecord, this,
                               nullptr));
  if (!ring_) return KernelError(errno, "creating the ring buffer reader");
  return Ok{};
}

Result<std::unique_ptr<BpfTracer>> BpfTracer::Create(const TracerConfig& config,
                                                     EventHandler handler) {
  libbpf_set_print(LibbpfPrint);
  std::unique_ptr<BpfTracer> t(new BpfTracer(config, std::move(handler)));
  // Prefer uprobe_multi links; a kernel that refuses the attach type gets classic uprobes, and
  // GORETAIN_UPROBE_MULTI=0 asks for them.
  const char* env = getenv("GORETAIN_UPROBE_MULTI");
  const bool want_multi = !(env && std::string_view(env) == "0");
  if (auto s = t->Load(want_multi); !s) {
    if (!want_multi || s.error().code == ErrorCode::kPermission) return s.error();
    spdlog::debug("loading for uprobe_multi failed ({}); using one uprobe per probe",
                  s.error().message);
    if (auto c = t->Load(/*multi=*/false); !c) return c.error();
  }
  return t;
}

int BpfTracer::OnRecord(void* ctx, void* data, size_t size) {
  auto* self = static_cast<BpfTracer*>(ctx);
  if (size < GR_EVENT_HEADER_SIZE) return 0;  // cannot happen with a matching BPF object
  self->handler_(*static_cast<const gr_event*>(data), size);
  return 0;
}

Status BpfTracer::StoreSpecs(const ProbePlan& plan, uint32_t first_spec) {
  for (size_t i = 0; i < plan.probes.size(); i++) {
    const PlannedProbe& p = plan.probes[i];
    const uint32_t idx = first_spec + static_cast<uint32_t>(i);
    gr_probe_spec spec = p.spec;
    if (p.completes >= 0) spec.pair = first_spec + static_cast<uint32_t>(p.completes);
    if (int err = bpf_map__update_elem(skel_->maps.probe_specs, &idx, sizeof(idx), &spec,
                                       sizeof(spec), BPF_ANY)) {
      return KernelError(err, "storing the probe specification of " + p.symbol);
    }
  }
  const uint8_t yes = 1;
  for (const StashCaller& c : plan.stash_callers) {
    gr_stash_caller key{first_spec + static_cast<uint32_t>(c.alloc_index), 0, c.return_address.value};
    if (int err = bpf_map__update_elem(skel_->maps.stash_callers, &key, sizeof(key), &yes,
                                       sizeof(yes), BPF_ANY)) {
      return KernelError(err, "storing the call sites whose results are read");
    }
  }
  return Ok{};
}

Result<int> BpfTracer::AttachExecutable(const std::string& path, const ProbePlan& plan) {
  const uint32_t first_spec = next_spec_;
  if (first_spec + plan.probes.size() > GR_MAX_PROBES) {
    return MakeError(ErrorCode::kUnsupported,
                     fmt::format("too many probes (at most {} in one session)", GR_MAX_PROBES));
  }
  if (plan.probes.empty()) return 0;
  if (auto s = StoreSpecs(plan, first_spec); !s) return s.error();

  if (multi_) {
    std::vector<uint64_t> offsets, cookies;
    for (size_t i = 0; i < plan.probes.size(); i++) {
      offsets.push_back(plan.probes[i].file_offset.value);
      cookies.push_back(first_spec + i);
    }
    auto fd = CreateUprobeMultiLink(bpf_program__fd(skel_->progs.gr_alloc_probe), path, offsets,
                                    cookies);
    if (fd) {
      multi_links_.push_back(*fd);
      next_spec_ += static_cast<uint32_t>(plan.probes.size());
      attached_probes_ += plan.probes.size();
      spdlog::debug("attached {} probes to {} with one uprobe_multi link", plan.probes.size(), path);
      return static_cast<int>(plan.probes.size());
    }
    // The kernel loaded the program but has no uprobe_multi links: reload for classic uprobes,
    // possible only while nothing is attached or registered yet.
    if (fd.error().code != ErrorCode::kUnsupported || !multi_links_.empty()) return fd.error();
    spdlog::debug("{}; using one uprobe per probe", fd.error().message);
    if (auto s = Load(/*multi=*/false); !s) return s.error();
    if (auto s = StoreSpecs(plan, first_spec); !s) return s.error();
  }
  return AttachClassic(path, plan, first_spec);
}

Result<int> BpfTracer::AttachClassic(const std::string& path, const ProbePlan& plan,
                                     uint32_t first_spec) {
  std::vector<Link> attached;
  for (size_t i = 0; i < plan.probes.size(); i++) {
    const PlannedProbe& p = plan.probes[i];
    const uint32_t idx = first_spec + static_cast<uint32_t>(i);
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
  attached_probes_ += attached.size();
  const int n = static_cast<int>(attached.size());
  for (auto& l : attached) links_.push_back(std::move(l));
  return n;
}

Status BpfTracer::AddTarget(uint32_t pid, uint64_t load_bias, uint64_t sweepgen_addr) {
  gr_target value{};
  value.load_bias = load_bias;
  value.sweepgen_addr = sweepgen_addr;
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

namespace {

struct PendingKey {
  uint64_t g;
  uint32_t spec;
  uint32_t tgid;  // the process: one executable's processes share g addresses
};
static_assert(sizeof(PendingKey) == 16, "matches struct pending_key in goretain.bpf.c");

std::vector<PendingKey> PendingKeys(const bpf_map* pending) {
  std::vector<PendingKey> keys;
  PendingKey key{}, next{};
  const void* prev = nullptr;
  while (bpf_map__get_next_key(pending, prev, &next, sizeof(next)) == 0) {
    keys.push_back(next);
    key = next;
    prev = &key;
  }
  return keys;
}

}  // namespace

int BpfTracer::DropPending(uint32_t pid) {
  int n = 0;
  for (const PendingKey& k : PendingKeys(skel_->maps.pending)) {
    if (k.tgid == pid && bpf_map__delete_elem(skel_->maps.pending, &k, sizeof(k), 0) == 0) n++;
  }
  return n;
}

int BpfTracer::FlushPending() {
  using Key = PendingKey;
  const std::vector<Key> keys = PendingKeys(skel_->maps.pending);
  int n = 0;
  gr_event e{};
  for (const Key& k : keys) {
    if (bpf_map__lookup_and_delete_elem(skel_->maps.pending, &k, sizeof(k), &e, sizeof(e), 0) == 0 ||
        bpf_map__lookup_elem(skel_->maps.pending, &k, sizeof(k), &e, sizeof(e), 0) == 0) {
      const uint32_t depth = std::min<uint32_t>(e.stack_depth, GR_MAX_STACK);
      e.flags |= GR_EVENT_FLUSHED;
      handler_(e, GR_EVENT_HEADER_SIZE + depth * sizeof(uint64_t));
      n++;
    }
  }
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
  c.completed = sum(GR_COUNTER_COMPLETED);
  c.uncompleted = sum(GR_COUNTER_UNCOMPLETED);
  return c;
}

}  // namespace goretain
