#include "userspace/session/trace_session.h"

#include <algorithm>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <malloc.h>
#include <signal.h>
#include <time.h>
#include <spdlog/spdlog.h>


#include "userspace/goruntime/sampler_plan.h"
#include "userspace/goruntime/profile_layout.h"
#include "userspace/process/profile_buckets.h"
#include "userspace/session/plan_progress.h"
#include "userspace/session/profile_at_attach.h"
#include "userspace/session/report_builder.h"
#include "userspace/output/status_line.h"
#include "userspace/targets/proc_scan.h"

namespace goretain {
namespace {

volatile sig_atomic_t g_stop_signal = 0;

void OnStopSignal(int sig) { g_stop_signal = sig; }

// SIGINT/SIGTERM end tracing gracefully. No SA_RESTART: the ring buffer wait returns at once.
void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// The BPF side wakes the reader only when the ring buffer is a quarter full; between wakeups the
// reader drains it on this timer (32 MiB hold ~150,000 events: far more than 20 ms bring).
constexpr int kPollMs = 20;

std::string VersionWord(const std::string& raw) { return raw.substr(0, raw.find(' ')); }

// " [pod NS/NAME, container NAME, RUNTIME ID12]" for the attached line; "" outside containers.
std::string DescribeLabels(const ReportTarget& t) {
  const TargetLabels& l = t.labels;
  std::vector<std::string> parts;
  if (!l.pod.empty()) parts.push_back(fmt::format("pod {}/{}", l.namespace_, l.pod));
  if (l.pod.empty() && !l.pod_uid.empty()) parts.push_back("pod uid " + l.pod_uid);
  if (!l.container.empty()) parts.push_back("container " + l.container);
  if (!l.container_id.empty()) {
    parts.push_back(fmt::format("{}{}{}", l.runtime, l.runtime.empty() ? "" : " ",
                                l.container_id.substr(0, 12)));
  }
  if (t.ns_pid != 0 && t.ns_pid != t.pid) parts.push_back(fmt::format("pid {} in its namespace", t.ns_pid));
  return parts.empty() ? "" : " [" + fmt::format("{}", fmt::join(parts, ", ")) + "]";
}

// A stop signal before the probes are live ends the session without a report: a report then
// would cover no tracing at all (elapsed 0, no events) yet look like a result.
Status CheckNotInterrupted(int stop_cause) {
  if (!stop_cause) return Ok{};
  return MakeError(ErrorCode::kAborted,
                   fmt::format("interrupted by {} while attaching: nothing was traced, no report "
                               "(hint: attaching a large executable can take a while; --duration "
                               "counts from the 'probes attached' line)",
                               stop_cause == SIGINT ? "SIGINT" : "SIGTERM"));
}

}  // namespace

TraceSession::TraceSession(TraceOptions options, ReportWriter& writer)
    : opts_(std::move(options)), writer_(writer) {}

TraceSession::~TraceSession() = default;

int TraceSession::StopCause() const {
  if (g_stop_signal) return g_stop_signal;
  return stop_requested_ ? SIGINT : 0;
}

Result<TracedBinary*> TraceSession::LoadExecutable(const ProcessInfo& info) {
  for (auto& b : binaries_) {
    if (b->id == info.exe_id) return b.get();  // one parse and one set of probes per file
  }
  auto bin = symbols::GoBinary::Open(info.open_path);
  if (!bin) {
    Error e = bin.error();
    if (e.code == ErrorCode::kNotGo) {
      e.message = fmt::format("{} (pid {}) is not a Go program (hint: goretain traces Go executables "
                              "built with go1.17 or later)", info.exe_path, info.pid);
    } else {
      e.message = fmt::format("{} (pid {}): {}", info.exe_path, info.pid, e.message);
    }
    return e;
  }
  if (auto s = CheckNotInterrupted(StopCause()); !s) return s.error();  // parsing is the slow part
  StatusLine status;
  auto plan = opts_.sample
                  ? BuildSamplerPlan(**bin)
                  : BuildProbePlan(**bin, PlanOptions{opts_.assigns, opts_.retained,
                                                      /*caller_completions=*/tracer_->multi_links(),
                                                      PlanProgressOn(status, info.exe_path)});
  status.Clear();
  if (!plan) return plan.error();
  spdlog::debug("{}", plan->Describe());
  const symbols::GoVersion version = (*bin)->build_info().go_version;
  GoAllocModel model(version, plan->swiss_maps);
  std::optional<HeapLayout> heap;
  if (!opts_.retained || opts_.sample) {
    // allocation figures only, or the sampler's own frees (no heap reader)
  } else if (auto layout = HeapLayout::For(**bin)) {
    heap = *layout;
  } else {
    spdlog::warn("{}: no retained bytes: {}", info.exe_path, layout.error().message);
  }
  auto traced = std::make_unique<TracedBinary>(TracedBinary{
      info.exe_id, info.exe_path, std::move(*bin), std::move(*plan), model, heap});
  auto attached = tracer_->AttachExecutable(info.open_path, traced->plan);
  if (!attached) return attached.error();
  binaries_.push_back(std::move(traced));
  return binaries_.back().get();
}

Status TraceSession::AttachProcess(pid_t pid, bool runtime_started,
                                   const targets::SelectedProcess* selected) {
  auto info = InspectProcess(pid);
  if (!info) return info.error();
  const size_t binaries_before = binaries_.size();
  auto traced = LoadExecutable(*info);
  if (!traced) return traced.error();
  const bool new_binary = binaries_.size() != binaries_before;
  auto bias = ReadLoadBias(pid, info->exe_id, (*traced)->binary->elf());
  if (!bias) return bias.error();
  std::optional<int64_t> rate;
  if (auto s = ReadProfile(pid, **traced, *bias, runtime_started, &rate); !s) return s;
  aggregator_->AddProcess(TracedProcess{pid, *traced, *bias});
  if (sampler_) {
    if (auto s = AddSampledProcess(TracedProcess{pid, *traced, *bias}, runtime_started, rate); !s) {
      return s;
    }
  }
  uint64_t sweepgen_addr = 0;
  if (const auto& heap = (*traced)->heap) {
    if (!runtime_started) {
      // Stopped at execve: the heap does not exist yet; the reader validates at its first check.
      retention_.AddProcess(pid, HeapReader::Deferred(pid, *heap, *bias));
      sweepgen_addr = heap->mheap.value + *bias + heap->mheap_sweepgen;
    } else if (auto reader = HeapReader::Attach(pid, *heap, *bias)) {
      retention_.AddProcess(pid, std::move(*reader));
      sweepgen_addr = heap->mheap.value + *bias + heap->mheap_sweepgen;
    } else {
      spdlog::warn("pid {}: no retained bytes: {}", pid, reader.error().message);
    }
  }
  if (auto s = tracer_->AddTarget(static_cast<uint32_t>(pid), *bias, sweepgen_addr); !s) {
    return s.error();
  }
  const std::string version = VersionWord((*traced)->binary->build_info().go_version.raw);
  ReportTarget target{pid, info->exe_path, version};
  // Labels for every process, however it was found (a followed exec has its container's too).
  const targets::SelectedProcess described =
      selected ? *selected : targets::DescribeProcess(opts_.host, pid);
  target.ns_pid = described.ns_pid;
  target.labels = described.labels;
  AddExecutableFacts((*traced)->binary->elf(), target);
  const size_t probes = (*traced)->plan.probes.size();
  std::string line = fmt::format("goretain: tracing pid {} ({}, {}){}: ", pid, info->exe_path,
                                 version, DescribeLabels(target));
  if (new_binary) {
    first_pid_.emplace_back(*traced, pid);
    line += fmt::format("{} probes attached\n", probes);
  } else {  // one set of probes per executable: BPF tells its processes apart by TGID
    pid_t first = 0;
    for (const auto& [binary, p] : first_pid_) {
      if (binary == *traced) first = p;
    }
    line += fmt::format("shares the {} probes of pid {}\n", probes, first);
  }
  attached_lines_.push_back(std::move(line));
  targets_.push_back(std::move(target));
  return Ok{};
}

Status TraceSession::CheckNamedTargetsAlive() const {
  for (const Watched& w : watched_) {
    if (w.named && w.alive_at_start && w.watcher->Exited()) {
      return MakeError(ErrorCode::kAborted,
                       fmt::format("pid {} exited while goretain was attaching: nothing was "
                                   "traced, no report (hint: the target must keep running until "
                                   "goretain prints 'probes attached')", w.pid));
    }
  }
  return Ok{};
}

Status TraceSession::ReadProfile(pid_t pid, const TracedBinary& traced, uint64_t bias,
                                 bool runtime_started, std::optional<int64_t>* rate) {
  if (!runtime_started) return CheckSamplingAtLaunch(traced, opts_);
  auto profile = ReadProfileAtAttach(pid, traced, bias, opts_);
  if (!profile) return profile.error();
  if (*profile) {
    for (CallsiteRow& row : (*profile)->rows) {
      // Rows are per process. --sample shows objects that are not maps or slices only with
      // --kinds all (as its traced rows); the exact mode shows them before attach (no cost).
      if (row.kind == Kind::kOther && opts_.sample && !opts_.all_kinds) continue;
      row.pid = static_cast<int>(pid);
      before_rows_.push_back(std::move(row));
    }
    before_source_ = (*profile)->source;
    *rate = (*profile)->rate_now;
  }
  return Ok{};
}

Status TraceSession::AttachSelection() {
  auto selected = targets::ResolveSelection(opts_.select, opts_.host, getpid());
  if (!selected) return selected.error();
  if (auto s = FollowSelection(*selected); !s) return s;  // before the attach: see SetupFollow
  size_t attached = 0;
  for (const targets::SelectedProcess& p : *selected) {
    Status s = AttachProcess(p.pid, /*runtime_started=*/true, &p);
    // A --pid target alive when goretain started and gone now: whatever step that broke (or did
    // not), it cannot be traced. (A PID that never existed is the attach's own error.)
    if (auto alive = CheckNamedTargetsAlive(); !alive) return alive;
    if (auto i = CheckNotInterrupted(StopCause()); !i) return i;
    if (!s) {
      const ErrorCode code = s.error().code;
      if (p.named || code == ErrorCode::kPermission || code == ErrorCode::kKernel) return s;
      // Found by a selector: a process that exited, or that cannot be traced, is skipped.
      if (code == ErrorCode::kNotFound || code == ErrorCode::kNotGo) {
        spdlog::debug("pid {}: skipped: {}", p.pid, s.error().message);
      } else {
        spdlog::warn("pid {}: not traced: {}", p.pid, s.error().message);
      }
      continue;
    }
    if (follower_) {  // its exit and a new execve of it are the follower's (not attached twice)
      followed_.push_back(p.pid);
      follower_->Watch(p.pid);
    } else if (!p.named) {
      watched_.push_back(Watched{p.pid, std::make_unique<ExitWatcher>(p.pid), false, true});
    }
    attached++;
  }
  if (attached == 0) {
    return MakeError(ErrorCode::kNotFound, "no process of the selection could be traced (hint: "
                                           "rerun with -v to see why each was skipped)");
  }
  if (targets_.size() > 1) {
    size_t probes = 0;
    for (const auto& b : binaries_) probes += b->plan.probes.size();
    attached_lines_.push_back(fmt::format("goretain: {} processes, {} executables: {} probes "
                                          "attached\n", targets_.size(), binaries_.size(), probes));
  }
  if (follower_) ScanFollowed();  // what started between the selection's scan and the watcher
  return Ok{};
}

Status TraceSession::AddSampledProcess(const TracedProcess& p, bool runtime_started,
                                      std::optional<int64_t> rate_at_attach) {
  // A running process's rate was read by ReadProfile (which refuses --sample without one, and
  // sets it with --enable-sampling); a launched command's is read once its runtime runs.
  std::optional<uint64_t> rate;
  if (runtime_started && rate_at_attach && *rate_at_attach > 0) {
    rate = static_cast<uint64_t>(*rate_at_attach);
  }
  sampler_->AddProcess(p, rate);
  return Ok{};
}

void TraceSession::ReadPendingSampleRates() {
  if (!sampler_) return;
  for (const TracedProcess& p : sampler_->ProcessesWithoutRate()) {
    // The same reader as at attach: the variable by symbol, or from the runtime's code.
    auto layout = ProfileLayout::For(*p.binary->binary);
    if (!layout) {
      spdlog::warn("{}; assuming Go's default of 512 KiB", layout.error().message);
      sampler_->SetRate(p.pid, SampleAggregator::kDefaultRate);
      continue;
    }
    auto rate = ReadMemProfileRate(p.pid, *layout, p.load_bias);
    if (!rate) continue;  // exited: the default rate stands
    if (*rate == 0) spdlog::warn("pid {}: runtime.MemProfileRate is 0: no heap samples", p.pid);
    sampler_->SetRate(p.pid, static_cast<uint64_t>(*rate));
  }
}

Status TraceSession::Setup() {
  // BPF first: without privileges nothing else is worth doing.
  aggregator_ = std::make_unique<Aggregator>(opts_.stack_depth,
                                             opts_.retained ? &retention_ : nullptr,
                                             opts_.max_callsites);
  exited_.emplace(opts_.max_exited, opts_.max_callsites);
  TracerConfig cfg;
  // Enough frames to climb out of the runtime's map internals (mapassign -> growWork ->
  // evacuate -> newoverflow -> growslice) plus what the user asked for.
  cfg.stack_depth = std::min<uint32_t>(GR_MAX_STACK, 8 + opts_.stack_depth);
  cfg.extra_frames = opts_.stack_depth;
  cfg.ringbuf_bytes = uint64_t{RingbufMb(opts_)} << 20;
  if (opts_.sample) {
    sampler_ = std::make_unique<SampleAggregator>(opts_.stack_depth, opts_.all_kinds,
                                                  opts_.max_callsites);
    // The sampler's stacks climb out of profilealloc and mallocgc's per-size paths too.
    cfg.stack_depth = std::min<uint32_t>(GR_MAX_STACK, 16 + opts_.stack_depth);
  }
  Aggregator* agg = aggregator_.get();
  SampleAggregator* smp = sampler_.get();
  auto tracer = BpfTracer::Create(cfg, [agg, smp](const gr_event& e, size_t size) {
    if (smp) {
      smp->OnEvent(e, size);
    } else {
      agg->OnEvent(e, size);
    }
  });
  if (!tracer) return tracer.error();
  tracer_ = std::move(*tracer);
  if (auto s = CheckNotInterrupted(StopCause()); !s) return s;
  // The selection first: its containers, pods and cgroups are followed too (FollowSelection).
  if (!opts_.select.empty()) return AttachSelection();
  if (opts_.follow.enabled()) {
    if (auto s = SetupFollow(); !s) return s;
    if (opts_.command.empty()) return CheckNotInterrupted(StopCause());
  }

  auto cmd = LaunchedCommand::Start(opts_.command);
  if (!cmd) {
    Error e = cmd.error();
    if (e.code == ErrorCode::kPermission) e.code = ErrorCode::kBadInput;  // not executable
    return e;
  }
  command_.emplace(std::move(*cmd));
  Status s = AttachProcess(command_->pid(), /*runtime_started=*/false);
  if (s) s = CheckNotInterrupted(StopCause());
  if (!s) {
    command_->Kill();  // never let an untraceable command run unobserved
    return s;
  }
  return command_->Release();
}

bool TraceSession::TargetExited() {
  if (follower_) return false;  // followed targets come and go; a signal or --duration ends it
  if (command_) return command_->PollExit().has_value();
  if (watched_.empty()) return false;
  return std::all_of(watched_.begin(), watched_.end(),
                     [](const Watched& w) { return w.watcher->Exited(); });
}

Report TraceSession::BuildReport() {
  ReportInputs in;
  in.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  in.targets = &targets_;
  in.aggregator = aggregator_.get();
  ReadPendingSampleRates();
  in.sampler = sampler_.get();
  in.retention = &retention_;
  in.events_dropped = tracer_->ReadCounters().dropped;
  in.assigns_counted = opts_.assigns;
  in.before_rows = &before_rows_;
  in.before_source = &before_source_;
  in.exited = exited_ ? &*exited_ : nullptr;
  return BuildSessionReport(in);
}

Status TraceSession::EmitReport() {
  auto report = std::make_shared<const Report>(BuildReport());
  if (opts_.live) opts_.live->Publish(report);  // readers see every report the writer sees
  Status written = writer_.Write(*report);
  report.reset();
  // Building and rendering a report of thousands of rows is a burst of temporary memory: give
  // it back to the system, so that over days goretain's RSS follows what it keeps, not its
  // largest report (scripts/bench-long-run.sh).
  malloc_trim(0);
  return written;
}

void TraceSession::CheckRetention(bool final) {
  // --no-retained: no checks (the report says 0); --sample: the sampler's frees instead.
  if (!opts_.retained || opts_.sample) return;
  const uint64_t cycles = aggregator_->gc_cycles();
  if (cycles == checked_cycles_) return;
  // The GC event comes as marking ends; the heap's bits describe the new cycle only once its
  // sweep has begun (microseconds later, usually): until then, try again at the next poll (at
  // the end, for up to 200 ms).
  for (int tries = 0; !retention_.SweepBegan(aggregator_->gc_sweepgens()); tries++) {
    if (!final) return;  // the next poll tries again
    if (tries == 20) {
      spdlog::debug("the last GC cycle's sweep did not begin: not judged");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Several cycles since the last check are judged together (the marks of the newest count).
  const uint64_t batched = cycles - checked_cycles_;
  checked_cycles_ = cycles;
  const double now = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const RetentionCheck c = retention_.Check(now);
  spdlog::debug("liveness check{} after {} GC cycle(s): {} objects, {} retained, {} young, {} freed, "
                "{} unknown, {:.1f} ms", final ? " (final)" : "", batched, c.objects, c.retained,
                c.young, c.freed, c.unknown, c.seconds * 1000);
}

double TraceSession::PublishLive() {
  // What a live publication costs the event loop (the readers render on their own threads):
  // wall time, and this thread's CPU time (the steadier figure on a loaded machine).
  timespec cpu0{}, cpu1{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
  const auto wall0 = std::chrono::steady_clock::now();
  auto report = std::make_shared<const Report>(BuildReport());
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  spdlog::debug("live report: {} call sites built in {:.1f} ms ({:.1f} ms CPU)",
                report->callsites.size(), wall_s * 1e3,
                (cpu1.tv_sec - cpu0.tv_sec) * 1e3 + (cpu1.tv_nsec - cpu0.tv_nsec) / 1e6);
  opts_.live->Publish(std::move(report));
  return wall_s;
}

void TraceSession::EventLoop() {
  StatusLine status;
  auto next_report = start_ + std::chrono::duration<double>(opts_.interval_s);
  auto next_live = start_;
  const auto deadline = start_ + std::chrono::duration<double>(opts_.duration_s);
  while (!StopCause()) {
    auto n = tracer_->Poll(kPollMs);
    if (!n) {
      spdlog::error("{}", n.error().message);
      break;
    }
    CheckRetention(false);
    if (follower_) PollFollowed();
    RetireExitedWatched();
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    status.Update(elapsed, aggregator_->received(), tracer_->ReadCounters().dropped);
    if (opts_.interval_s > 0 && now >= next_report) {
      status.Clear();
      (void)tracer_->Drain();
      if (auto s = EmitReport(); !s) spdlog::error("{}", s.error().message);
      next_report += std::chrono::duration<double>(opts_.interval_s);
    }
    if (opts_.live && now >= next_live) {
      // At most 1/kLiveShare of the event loop's time goes to live reports, however many call
      // sites a report has: a costly one (tens of thousands of rows) is published less often.
      constexpr double kLiveShare = 20;
      const double cost_s = PublishLive();
      next_live = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(std::max(opts_.live_period_s,
                                                                   kLiveShare * cost_s)));
    }
    if (opts_.duration_s > 0 && now >= deadline) break;
    if (TargetExited()) {
      spdlog::debug("target exited");
      break;
    }
  }
  status.Clear();
  (void)tracer_->Drain();  // events already in the ring buffer still count
  const int pending = tracer_->FlushPending();
  if (pending) spdlog::debug("{} events were still waiting for their address", pending);
  CheckRetention(true);
}

Result<int> TraceSession::Run() {
  // Watched from before the stop handlers exist, so an exit at any point of the attach is seen.
  for (pid_t pid : opts_.select.pids) {
    auto watcher = std::make_unique<ExitWatcher>(pid);
    const bool alive = !watcher->Exited();
    watched_.push_back(Watched{pid, std::move(watcher), true, alive});
  }
  InstallStopHandlers();
  if (auto s = Setup(); !s) {
    // A stop signal can also surface as a failed step (an interrupted syscall): say what happened.
    if (auto i = CheckNotInterrupted(StopCause()); !i) return i.error();
    return s.error();
  }
  // Tracing (and --duration, and elapsed_s) starts here, once every probe is live: attaching a
  // large executable can take long, and none of that time is tracing.
  for (const std::string& line : attached_lines_) fmt::print(stderr, "{}", line);
  attached_lines_.clear();
  tracing_ = true;
  start_ = std::chrono::steady_clock::now();
  EventLoop();
  const auto counters = tracer_->ReadCounters();
  spdlog::debug("events: emitted {}, dropped {}, morestack restarts skipped {}, read failures {}, "
                "with address {}, address missed {}, from unregistered processes {}, "
                "runtime-internal {}", counters.emitted, counters.dropped,
                counters.morestack_skipped, counters.read_failed, counters.completed,
                counters.uncompleted, aggregator_->unattributed(), aggregator_->runtime_internal());
  const Status reported = EmitReport();
  spdlog::debug("report written; detaching");
  tracer_.reset();  // detach every probe before waiting for anything else
  spdlog::debug("detached");

  if (!reported) return reported.error();
  if (command_) {
    if (const int cause = StopCause()) kill(command_->pid(), cause);  // pass Ctrl-C / SIGTERM on
    return command_->WaitExit();
  }
  return 0;
}

}  // namespace goretain
