// TraceSession: one run of `goretain` in trace mode, from attach to the final report.
//
// Phases, each a method: Attach the target (inspect the process or start the command, parse its
// executable once, plan and attach probes, register the PID in BPF), then Run the event loop until
// duration / signal / target exit, printing interval reports, then drain and print the final
// report. Everything attached is released by the BpfTracer's destructor.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "userspace/analysis/aggregator.h"
#include "userspace/analysis/exited_processes.h"
#include "userspace/analysis/sample_aggregator.h"
#include "userspace/kernel/bpf_tracer.h"
#include "userspace/session/trace_options.h"
#include "userspace/process/exit_watcher.h"
#include "userspace/process/launched_command.h"
#include "userspace/process/process_info.h"
#include "userspace/output/report_writer.h"
#include "userspace/analysis/retention.h"
#include "userspace/goruntime/traced_binary.h"
#include "userspace/targets/selection.h"
#include "userspace/session/process_follower.h"

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

  // Asks a running session, from another thread (goretain top's 'q' key), to stop as SIGINT would:
  // before the probes are live it ends without a report (kAborted), afterwards the event loop
  // ends, the final report is written and a launched command gets SIGINT. Thread-safe.
  void RequestStop() { stop_requested_ = true; }

 private:
  // Why the session must stop: the stop signal's number, SIGINT for RequestStop, or 0.
  int StopCause() const;
  Status Setup();
  Result<TracedBinary*> LoadExecutable(const ProcessInfo& info);
  // `runtime_started`: false for a command stopped right after execve (no Go heap yet).
  // `selected`: what the selection knows of it (labels, PID in its namespace); null for a command.
  Status AttachProcess(pid_t pid, bool runtime_started,
                       const targets::SelectedProcess* selected = nullptr);
  // The selectors' processes, each attached (one set of probes per executable) or skipped.
  Status AttachSelection();
  // An error if a --pid target alive when goretain started exited during the attach.
  Status CheckNamedTargetsAlive() const;
  // --sample: registers a process with the sampler at the MemProfileRate ReadProfile read (which
  // refuses a running process that does not sample); a launched command's is read at the first
  // report (ReadPendingSampleRates).
  Status AddSampledProcess(const TracedProcess& p, bool runtime_started,
                           std::optional<int64_t> rate);
  void ReadPendingSampleRates();
  // At attach: the target's heap profile (before-attach rows) and, with --sample, its sampling.
  // `rate`: runtime.MemProfileRate as the profile was read (after --enable-sampling's write).
  Status ReadProfile(pid_t pid, const TracedBinary& traced, uint64_t bias, bool runtime_started,
                     std::optional<int64_t>* rate);
  bool TargetExited();
  void EventLoop();
  // Builds and publishes one live report (TraceOptions::live); returns what it took, in seconds.
  double PublishLive();
  // Runs a liveness check if a GC cycle completed since the last one.
  void CheckRetention(bool final);
  Report BuildReport();
  Status EmitReport();
  // Following processes as they come and go (--cgroup, --all, goretain agent), in
  // session/follow_session.cpp: the /proc scan at start, then exec and exit events.
  Status SetupFollow();
  // Trace mode's and the agent's selectors: the cgroups of the containers, pods and cgroups the
  // selection found (SelectedProcess::follow_cgroup) join opts_.follow and the follower starts
  // (its exec watcher live before the processes are attached). Nothing to follow: no follower.
  Status FollowSelection(const std::vector<targets::SelectedProcess>& selected);
  // The follower's /proc scan: attaches what is in the selection and not followed yet.
  void ScanFollowed();
  void PollFollowed();
  void AttachFollowed(pid_t pid, bool just_exec);
  // Process `pid` exited (or exec'd another image): its BPF target entry and pending events go,
  // its final rows (as the report showed them) and target move to exited_, frozen, and every
  // per-process state of it is freed (session/retire_process.cpp).
  void RetireProcess(pid_t pid);
  // --pid and selected processes not followed: those that exited while others still run.
  void RetireExitedWatched();

  TraceOptions opts_;
  RetentionTracker retention_;
  uint64_t checked_cycles_ = 0;
  std::unique_ptr<Aggregator> aggregator_;
  std::unique_ptr<SampleAggregator> sampler_;  // --sample only
  std::unique_ptr<BpfTracer> tracer_;
  std::vector<std::unique_ptr<TracedBinary>> binaries_;
  std::vector<ReportTarget> targets_;  // live processes (exited ones are in exited_)
  std::optional<ExitedProcesses> exited_;
  std::vector<CallsiteRow> before_rows_;  // what the target retained before attach
  std::optional<BeforeAttachSource> before_source_;
  std::vector<std::string> attached_lines_;  // printed once the whole attach succeeded
  std::optional<LaunchedCommand> command_;
  // Traced processes (not a launched command): the session ends when all have exited. --pid
  // targets are watched from before the stop handlers exist.
  struct Watched {
    pid_t pid = 0;
    std::unique_ptr<ExitWatcher> watcher;
    bool named = false;          // given by --pid
    bool alive_at_start = false;
    bool retired = false;
  };
  std::vector<Watched> watched_;
  std::vector<std::pair<const TracedBinary*, pid_t>> first_pid_;  // who attached each binary
  ReportWriter& writer_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> stop_requested_{false};
  std::unique_ptr<ProcessFollower> follower_;
  std::vector<pid_t> followed_;                // attached through the follower, not yet exited
  std::vector<ExecutableId> not_go_;          // executables found not to be Go (skipped at once)
  std::vector<ExecutableId> refused_;         // Go executables that cannot be traced (said once)
  bool tracing_ = false;                      // the attach phase is over: print attach lines now
};

}  // namespace goretain
