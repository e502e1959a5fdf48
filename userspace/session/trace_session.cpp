#include "userspace/session/trace_session.h"

#include <thread>

#include <fmt/format.h>
#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>


#include "userspace/session/plan_progress.h"
#include "userspace/session/profile_at_attach.h"
#include "userspace/session/report_builder.h"
#include "userspace/output/status_line.h"

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

// A stop signal before the probes are live ends the session without a report: a report then
// would cover no tracing at all (elapsed 0, no events) yet look like a result.
Status CheckNotInterrupted() {
  if (!g_stop_signal) return Ok{};
  return MakeError(ErrorCode::kAborted,
                   fmt::format("interrupted by {} while attaching: nothing was traced, no report "
                               "(hint: attaching a large executable can take a while; --duration "
                               "counts from the 'probes attached' line)",
                               g_stop_signal == SIGINT ? "SIGINT" : "SIGTERM"));
}

}  // namespace

TraceSession::TraceSession(TraceOptions options, ReportWriter& writer)
    : opts_(std::move(options)), writer_(writer) {}

TraceSession::~TraceSession() = default;

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
  if (auto s = CheckNotInterrupted(); !s) return s.error();  // parsing is the slow part
  StatusLine status;
  auto plan = BuildProbePlan(**bin, PlanOptions{opts_.assigns, opts_.retained,
                                                /*caller_completions=*/tracer_->multi_links(),
                                                PlanProgressOn(status, info.exe_path)});
  status.Clear();
  if (!plan) return plan.error();
  spdlog::debug("{}", plan->Describe());
  const symbols::GoVersion version = (*bin)->build_info().go_version;
  GoAllocModel model(version, plan->swiss_maps);
  std::optional<HeapLayout> heap;
  if (!opts_.retained) {
    // allocation figures only
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

Status TraceSession::AttachProcess(pid_t pid, bool runtime_started) {
  auto info = InspectProcess(pid);
  if (!info) return info.error();
  auto traced = LoadExecutable(*info);
  if (!traced) return traced.error();
  auto bias = ReadLoadBias(pid, info->exe_id, (*traced)->binary->elf());
  if (!bias) return bias.error();
  if (auto s = ReadProfile(pid, **traced, *bias, runtime_started); !s) return s;
  aggregator_->AddProcess(TracedProcess{pid, *traced, *bias});
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
  AddExecutableFacts((*traced)->binary->elf(), target);
  targets_.push_back(std::move(target));
  attached_lines_.push_back(fmt::format("goretain: tracing pid {} ({}, {}): {} probes attached\n",
                                        pid, info->exe_path, version,
                                        (*traced)->plan.probes.size()));
  return Ok{};
}

Status TraceSession::ReadProfile(pid_t pid, const TracedBinary& traced, uint64_t bias,
                                 bool runtime_started) {
  if (!runtime_started) return CheckSamplingAtLaunch(traced, opts_);
  auto profile = ReadProfileAtAttach(pid, traced, bias, opts_);
  if (!profile) return profile.error();
  if (*profile) {
    before_rows_.insert(before_rows_.end(), (*profile)->rows.begin(), (*profile)->rows.end());
    before_source_ = (*profile)->source;
  }
  return Ok{};
}

Status TraceSession::Setup() {
  // BPF first: without privileges nothing else is worth doing.
  aggregator_ = std::make_unique<Aggregator>(opts_.stack_depth,
                                             opts_.retained ? &retention_ : nullptr,
                                             opts_.max_callsites);
  TracerConfig cfg;
  // Enough frames to climb out of the runtime's map internals (mapassign -> growWork ->
  // evacuate -> newoverflow -> growslice) plus what the user asked for.
  cfg.stack_depth = std::min<uint32_t>(GR_MAX_STACK, 8 + opts_.stack_depth);
  cfg.extra_frames = opts_.stack_depth;
  cfg.ringbuf_bytes = uint64_t{opts_.ringbuf_mb} << 20;
  Aggregator* agg = aggregator_.get();
  auto tracer = BpfTracer::Create(cfg, [agg](const gr_event& e, size_t size) { agg->OnEvent(e, size); });
  if (!tracer) return tracer.error();
  tracer_ = std::move(*tracer);
  if (auto s = CheckNotInterrupted(); !s) return s;

  if (opts_.pid) {
    Status s = AttachProcess(*opts_.pid, /*runtime_started=*/true);
    // A PID that was alive when goretain started and is gone now: whatever step that broke (or
    // did not), nothing can be traced. (A PID that never existed is the attach's own error.)
    if (pid_alive_at_start_ && pid_watcher_->Exited()) {
      return MakeError(ErrorCode::kAborted,
                       fmt::format("pid {} exited while goretain was attaching: nothing was "
                                   "traced, no report (hint: the target must keep running until goretain "
                                   "prints 'probes attached')", *opts_.pid));
    }
    if (!s) return s;
    return CheckNotInterrupted();
  }
  auto cmd = LaunchedCommand::Start(opts_.command);
  if (!cmd) {
    Error e = cmd.error();
    if (e.code == ErrorCode::kPermission) e.code = ErrorCode::kBadInput;  // not executable
    return e;
  }
  command_.emplace(std::move(*cmd));
  Status s = AttachProcess(command_->pid(), /*runtime_started=*/false);
  if (s) s = CheckNotInterrupted();
  if (!s) {
    command_->Kill();  // never let an untraceable command run unobserved
    return s;
  }
  return command_->Release();
}

bool TraceSession::TargetExited() {
  if (command_) return command_->PollExit().has_value();
  return pid_watcher_ && pid_watcher_->Exited();
}

Report TraceSession::BuildReport() {
  ReportInputs in;
  in.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  in.targets = &targets_;
  in.aggregator = aggregator_.get();
  in.retention = &retention_;
  in.events_dropped = tracer_->ReadCounters().dropped;
  in.assigns_counted = opts_.assigns;
  in.before_rows = &before_rows_;
  in.before_source = &before_source_;
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
  if (!opts_.retained) return;  // --no-retained: no checks (the report says 0)
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

void TraceSession::EventLoop() {
  StatusLine status;
  auto next_report = start_ + std::chrono::duration<double>(opts_.interval_s);
  auto next_live = start_;
  const auto deadline = start_ + std::chrono::duration<double>(opts_.duration_s);
  while (!g_stop_signal) {
    auto n = tracer_->Poll(kPollMs);
    if (!n) {
      spdlog::error("{}", n.error().message);
      break;
    }
    CheckRetention(false);
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
      opts_.live->Publish(std::make_shared<const Report>(BuildReport()));
      next_live = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(opts_.live_period_s));
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
  if (opts_.pid) {
    pid_watcher_ = std::make_unique<ExitWatcher>(*opts_.pid);
    pid_alive_at_start_ = !pid_watcher_->Exited();
  }
  InstallStopHandlers();
  if (auto s = Setup(); !s) {
    // A stop signal can also surface as a failed step (an interrupted syscall): say what happened.
    if (auto i = CheckNotInterrupted(); !i) return i.error();
    return s.error();
  }
  // Tracing (and --duration, and elapsed_s) starts here, once every probe is live: attaching a
  // large executable can take long, and none of that time is tracing.
  for (const std::string& line : attached_lines_) fmt::print(stderr, "{}", line);
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
    if (g_stop_signal) kill(command_->pid(), g_stop_signal);  // pass Ctrl-C / SIGTERM on
    return command_->WaitExit();
  }
  return 0;
}

}  // namespace goretain
