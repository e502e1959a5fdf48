#include "userspace/cli/top_command.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <thread>

#include "userspace/cli/exit_codes.h"
#include "userspace/cli/user_errors.h"
#include "userspace/output/report_writer.h"
#include "userspace/session/trace_session.h"
#include "userspace/tui/top_screen.h"

namespace goretain {
namespace {

// The terminal, kept for the view on private descriptors, while 0, 1 and 2 point at /dev/null:
// whatever else writes there (libbpf, the status line, a launched command, which inherits them)
// cannot tear the screen, nor a launched command read the keys. Restored on destruction.
class PrivateTerminal {
 public:
  PrivateTerminal() {
    for (int fd = 0; fd < 3; fd++) saved_[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    in_ = fdopen(fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3), "r");
    out_ = fdopen(fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3), "w");
    const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      for (int fd = 0; fd < 3; fd++) dup2(null, fd);  // the duplicates are inherited, no CLOEXEC
      close(null);
    }
  }
  ~PrivateTerminal() {
    fflush(stdout);
    fflush(stderr);
    for (int fd = 0; fd < 3; fd++) {
      if (saved_[fd] < 0) continue;
      dup2(saved_[fd], fd);
      close(saved_[fd]);
    }
    if (in_) fclose(in_);
    if (out_) fclose(out_);
  }
  PrivateTerminal(const PrivateTerminal&) = delete;
  PrivateTerminal& operator=(const PrivateTerminal&) = delete;
  FILE* in() const { return in_; }
  FILE* out() const { return out_; }

 private:
  int saved_[3] = {-1, -1, -1};
  FILE* in_ = nullptr;
  FILE* out_ = nullptr;
};

// Log messages while the view is up: kept in a small ring, the newest shown on the screen; the
// previous logger is back on destruction.
class RingLogger {
 public:
  explicit RingLogger(bool verbose)
      : previous_(spdlog::default_logger()),
        ring_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16)) {
    auto logger = std::make_shared<spdlog::logger>("goretain", ring_);
    logger->set_pattern("%l: %v");
    logger->set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
    spdlog::set_default_logger(logger);
  }
  ~RingLogger() { spdlog::set_default_logger(previous_); }
  std::string Newest() const {
    const auto lines = ring_->last_formatted(1);
    if (lines.empty()) return "";
    std::string line = lines.front();
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> ring_;
};

// The session on a worker thread, its outcome (or exception) kept for the caller.
struct SessionOutcome {
  std::optional<Result<int>> result;
  std::exception_ptr exception;
};

// Runs the session beside the view until 'q', a stop signal or the target's exit; returns
// nullopt if the terminal cannot be driven (nothing was started then).
std::optional<SessionOutcome> RunViewAndSession(TraceSession& session, const LiveReport& live,
                                                const RingLogger& log, const std::string& hint) {
  PrivateTerminal terminal;
  auto screen = tui::TopScreen::Open(terminal.in(), terminal.out());
  if (!screen) return std::nullopt;
  SessionOutcome outcome;
  std::atomic<bool> finished{false};
  std::thread worker([&] {
    try {
      outcome.result = session.Run();
    } catch (...) {
      outcome.exception = std::current_exception();
    }
    finished = true;
  });
  bool quit = false;
  try {
    quit = screen->Run(tui::TopSources{
        &live, [&] { return finished.load(); }, [&] { return log.Newest(); }, hint});
  } catch (...) {  // the session stops and the terminal is given back before main reports it
    session.RequestStop();
    worker.join();
    throw;
  }
  if (quit) {
    screen->Say("stopping: final report, detaching...");
    session.RequestStop();
  }
  worker.join();
  return outcome;
}

// What the screen names until the first report: the only place top reads the selectors.
std::string TargetHint(const TraceOptions& options) {
  if (options.select.pids.size() == 1 && options.select.only_pids()) {
    return fmt::format("pid {}", options.select.pids.front());
  }
  if (!options.select.empty()) return "the selected processes";
  return options.command.empty() ? "the target" : options.command.front();
}

void PrintSummary(const LiveReport& live) {
  const auto report = live.Latest();
  if (!report || report->targets.empty()) return;
  size_t leaking = 0;
  for (const CallsiteRow& row : report->callsites) leaking += row.leaking ? 1 : 0;
  fmt::print(stderr, "goretain: top: pid {} traced for {:.1f} s: {} events ({} dropped), "
             "{} call sites, {} leaking\n", report->targets.front().pid, report->elapsed_s,
             report->events_received, report->events_dropped, report->callsites.size(), leaking);
}

}  // namespace

int RunTopCommand(TraceOptions options) {
  if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
    WriteErrorLine(fmt::format("goretain top needs a terminal, and its {} is not one (hint: for "
                               "reports in a pipe or a file, use 'goretain --pid PID --interval 1')",
                               isatty(STDOUT_FILENO) ? "stdin" : "stdout"));
    return kExitBadInput;
  }
  // The screen shows the reports; they go to files only with -o.
  std::unique_ptr<ReportWriter> writer = ReportWriter::WithoutOutputs(options.top);
  if (!options.output_path.empty()) {
    if (auto s = writer->Also(options.output_path, options.format); !s) return ReportError(s.error());
  }
  for (const auto& [format, path] : options.more_outputs) {
    if (auto s = writer->Also(path, format); !s) return ReportError(s.error());
  }
  LiveReport live;
  options.live = &live;
  const std::string hint = TargetHint(options);
  std::optional<SessionOutcome> outcome;
  {
    RingLogger log(options.verbose);
    TraceSession session(options, *writer);
    outcome = RunViewAndSession(session, live, log, hint);
  }
  if (!outcome) {
    const char* term = std::getenv("TERM");
    WriteErrorLine(fmt::format("goretain top cannot drive this terminal (TERM={}) (hint: set TERM, "
                               "or use 'goretain --pid PID --interval 1')", term ? term : "unset"));
    return kExitBadInput;
  }
  if (outcome->exception) std::rethrow_exception(outcome->exception);
  if (!*outcome->result) return ReportError(outcome->result->error());
  PrintSummary(live);
  return **outcome->result;
}

}  // namespace goretain
