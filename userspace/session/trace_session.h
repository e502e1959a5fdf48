// TraceSession: one run of `goretain` in trace mode, from attach to the final report.
//
// Phases, each a method: Attach the target (inspect the process or start the command, parse its
// executable once, plan and attach probes, register the PID in BPF), then Run the event loop until
// duration / signal / target exit, printing interval reports, then drain and print the final
// report. Everything attached is released by the BpfTracer's destructor.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "userspace/analysis/aggregator.h"
#include "userspace/kernel/bpf_tracer.h"
#include "userspace/session/trace_options.h"
#include "userspace/process/exit_watcher.h"
#include "userspace/process/launched_command.h"
#include "userspace/process/process_info.h"
#include "userspace/output/report_writer.h"
#include "userspace/analysis/retention.h"
#include "userspace/goruntime/traced_binary.h"

namespace goretain {

class TraceSession {
 public:
  // Reports go to `writer` (opened by the caller before tracing starts).
  TraceSession(TraceOptions options, ReportWriter& writer);
  ~TraceSession();

  // Runs the whole session. Returns the exit status to pass on: 0, or the launched command's own
  // status (128+N for signal N); or the error that ended the session (the caller reports it).
  // A stop signal or the target's exit before every probe is live is an error (kAborted), not an
  // empty report; --duration and elapsed_s count from the moment the probes are live.
  Result<int> Run();

 private:
  Status Setup();
  Result<TracedBinary*> LoadExecutable(const ProcessInfo& info);
  // `runtime_started`: false for a command stopped right after execve (no Go heap yet).
  Status AttachProcess(pid_t pid, bool runtime_started);
  // At attach: the target's heap profile (before-attach rows) and, with --sample, its sampling.
  Status ReadProfile(pid_t pid, const TracedBinary& traced, uint64_t bias, bool runtime_started);
  bool TargetExited();
  void EventLoop();
  // Runs a liveness check if a GC cycle completed since the last one.
  void CheckRetention(bool final);
  Report BuildReport();
  Status EmitReport();

  TraceOptions opts_;
  RetentionTracker retention_;
  uint64_t checked_cycles_ = 0;
  std::unique_ptr<Aggregator> aggregator_;
  std::unique_ptr<BpfTracer> tracer_;
  std::vector<std::unique_ptr<TracedBinary>> binaries_;
  std::vector<ReportTarget> targets_;
  std::vector<CallsiteRow> before_rows_;  // what the target retained before attach
  std::optional<BeforeAttachSource> before_source_;
  std::vector<std::string> attached_lines_;  // printed once the whole attach succeeded
  std::optional<LaunchedCommand> command_;
  std::unique_ptr<ExitWatcher> pid_watcher_;
  bool pid_alive_at_start_ = false;
  ReportWriter& writer_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace goretain
