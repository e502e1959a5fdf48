// End-to-end harness: runs the real goretain binary and real Go targets as child processes and
// reads what they print. Every wait is bounded; anything still running when a Process goes out of
// scope is killed (its whole process group) and reaped, so a failing test never hangs or leaks.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace e2e {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

// Default bound for every wait in the suite.
inline constexpr std::chrono::milliseconds kTimeout = 30s;

// Paths fixed at build time.
std::string GoretainBin();
// A built Go target, e.g. Target("counts", "pie") -> <targets dir>/counts-pie ("" = default).
std::string Target(const std::string& name, const std::string& variant = "");
// tests/targets/<name>/main.go in the source tree.
fs::path TargetSource(const std::string& name);

// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// Creates (or truncates) a file: releases a target waiting with -wait FILE.
void Touch(const fs::path& p);
std::string ReadFile(const fs::path& p);
// Rewrites a copied Go binary so it claims another release: every `from` (build info and
// runtime.buildVersion both hold it) becomes `to`, of the same length so the file stays valid.
void PatchGoVersion(const fs::path& binary, const std::string& from, const std::string& to);

struct SpawnOptions {
  // Where stdout/stderr go; empty = a file in a private temp dir owned by the Process.
  fs::path stdout_path;
  fs::path stderr_path;
};

// A child process started with posix_spawn in its own process group, stdin = /dev/null.
class Process {
 public:
  Process() = default;
  explicit Process(const std::vector<std::string>& argv, SpawnOptions opts = {});
  ~Process();
  Process(Process&& o) noexcept;
  Process& operator=(Process&& o) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const std::vector<std::string>& argv() const { return argv_; }
  // True while the child has not been reaped and has not exited.
  bool Running();
  // Waits for exit. Returns the exit code (128+signal if killed by a signal), or nullopt on
  // timeout, in which case the process group is killed (SIGKILL) and reaped.
  std::optional<int> Wait(std::chrono::milliseconds timeout = kTimeout);
  // Like Wait but never kills: nullopt if still running after `timeout`.
  std::optional<int> WaitNoKill(std::chrono::milliseconds timeout);
  // Polls the stderr file until a line contains `needle`; false on timeout or if the process
  // exited first (the file is re-checked once after exit).
  bool WaitForStderr(const std::string& needle, std::chrono::milliseconds timeout = kTimeout);
  bool WaitForStdout(const std::string& needle, std::chrono::milliseconds timeout = kTimeout);
  void Signal(int sig);
  // SIGKILL to the process group, then reap.
  void Kill();
  std::optional<int> exit_code() const { return exit_code_; }

  std::string Stdout() const;
  std::string Stderr() const;
  // For failure messages: command line, exit status, stderr (truncated).
  std::string Describe() const;

 private:
  void Cleanup();
  bool Reap(bool block);
  bool WaitForFile(const fs::path& p, const std::string& needle,
                   std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  bool reaped_ = false;
  std::optional<int> exit_code_;
  std::vector<std::string> argv_;
  fs::path out_, err_;
  std::optional<fs::path> own_dir_;
};

// Runs argv to completion (bounded by timeout); returns the finished Process.
Process RunToEnd(const std::vector<std::string>& argv,
                 std::chrono::milliseconds timeout = kTimeout);

// --- reports ------------------------------------------------------------------------------

// Splits text into its top-level JSON objects (one report, or one per line with --interval) and
// parses each. Throws on malformed JSON.
std::vector<json> ParseReports(const std::string& text);
// Parses goretain's single JSON report from text, with a readable failure.
::testing::AssertionResult OneReport(const std::string& text, json* out);

// Line number (1-based) of `// want: <kind> <label>` in the target's main.go; throws if absent
// or present more than once.
int WantLine(const std::string& target, const std::string& kind, const std::string& label);
// The Go function (e.g. "main.makeSmallMaps", "main.(*T).m") containing that marker.
std::string WantFunction(const std::string& target, const std::string& kind,
                         const std::string& label);

// The callsite with this kind, function and line, or nullptr.
const json* FindCallsite(const json& report, const std::string& kind,
                         const std::string& function, int line);
// Sum of alloc_objects over callsites of `kind` in `function` (any line).
int64_t SumObjects(const json& report, const std::string& kind, const std::string& function);
// Compact description of a report's callsites, for failure messages.
std::string DescribeCallsites(const json& report, size_t max = 20);

// --- BPF leftovers --------------------------------------------------------------------------

struct BpfObject {
  int64_t id;
  std::vector<pid_t> owners;  // processes holding an fd of it (bpftool "pids" or /proc fdinfo)
};
struct BpfObjects {
  std::vector<BpfObject> progs;  // programs named gr_alloc_probe (bpftool may truncate names)
  std::vector<BpfObject> links;  // links whose program is one of them
};
// Snapshot of goretain's BPF programs and links currently in the kernel (bpftool -j).
BpfObjects GoretainBpfObjects();
// Polls (up to `timeout`) until every goretain BPF program or link that did not exist in `before`
// is gone, ignoring ones held by another goretain that is still running (a developer's, say).
// Returns a description of the leftovers, empty if none.
std::string LeftoverBpf(const BpfObjects& before, std::chrono::milliseconds timeout = 5s);

// --- a traced target ------------------------------------------------------------------------

// A Go target that idles at its gate (-wait FILE) and the goretain tracing it by --pid.
struct Traced {
  Process target;
  Process goretain;
};
// Starts target_argv + {"-wait", gate}, then goretain with goretain_args + {"--pid", PID} and
// goretain_env (VAR=VALUE) added to its environment. Opens no gate and waits for nothing.
Traced StartGated(const fs::path& gate, const std::vector<std::string>& target_argv,
                  const std::vector<std::string>& goretain_args,
                  const std::vector<std::string>& goretain_env = {});

// --- fixture -------------------------------------------------------------------------------

// Base of every e2e test: requires root and a built goretain, gives a temp dir, and after the
// test body (whose Processes are gone by then) fails if goretain left BPF programs or links.
class E2ETest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts goretain with these arguments.
  Process Goretain(const std::vector<std::string>& args);
  // Waits for goretain's "probes attached" line; on failure kills it and returns an
  // AssertionFailure carrying its stderr.
  ::testing::AssertionResult Attached(Process& goretain,
                                      std::chrono::milliseconds timeout = kTimeout);

  // "Trace a gated target": StartGated with a fresh gate in tmp_, waits until goretain's probes
  // are Attached (else fails, both killed), then opens the gate. The target runs from then on.
  ::testing::AssertionResult TraceGated(const std::vector<std::string>& target_argv,
                                        const std::vector<std::string>& goretain_args,
                                        Traced* out,
                                        const std::vector<std::string>& goretain_env = {});
  // TraceGated with "--format json", then: the target exits 0 (within `timeout`), goretain
  // notices, reports and exits 0 on its own, and its stdout is one JSON report (`report`).
  ::testing::AssertionResult TraceToEnd(const std::vector<std::string>& target_argv,
                                        const std::vector<std::string>& goretain_args,
                                        Traced* out, json* report,
                                        std::chrono::milliseconds timeout = kTimeout,
                                        const std::vector<std::string>& goretain_env = {});

  TempDir tmp_;
  BpfObjects bpf_before_;
  int gates_ = 0;
};

// One `// want:` line of a target and its exact ground truth.
struct ExpectedSite {
  std::string kind;      // map.make | map.grow | slice.grow
  std::string label;     // the marker's label
  std::string function;  // the Go function the marker is in, e.g. "main.makeSmallMaps"
  int64_t objects;       // exact alloc_objects
  int64_t bytes;         // exact alloc_bytes
  std::vector<std::string> types;  // accepted values of "type" once it is not null
};
// Checks a report's callsite for `site` in `target` (tests/targets/<target>/main.go): present,
// exact counts and bytes, file, type, and no calls of that function attributed to other lines.
void ExpectSite(const json& report, const std::string& target, const ExpectedSite& site);
// Checks the report's top-level shape: schema, elapsed_s, one target (pid, exe, go1.19), events
// with dropped == 0 and at least `min_received` received.
void ExpectReportHeader(const json& report, pid_t pid, const std::string& exe,
                        int64_t min_received);

// True if stderr is exactly one line and it starts with "goretain: error:".
::testing::AssertionResult IsOneErrorLine(const std::string& err);

}  // namespace e2e
