#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "markers.h"
#include "tests/support/spawn.h"

namespace e2e {

#ifndef GORETAIN_BIN
#error "GORETAIN_BIN must be defined by tests/e2e/CMakeLists.txt"
#endif
#ifndef GORETAIN_TARGETS_DIR
#error "GORETAIN_TARGETS_DIR must be defined by tests/e2e/CMakeLists.txt"
#endif
#ifndef GORETAIN_SOURCE_DIR
#error "GORETAIN_SOURCE_DIR must be defined by tests/e2e/CMakeLists.txt"
#endif

std::string GoretainBin() { return GORETAIN_BIN; }

std::string Target(const std::string& name, const std::string& variant) {
  std::string file = variant.empty() || variant == "default" ? name : name + "-" + variant;
  return (fs::path(GORETAIN_TARGETS_DIR) / file).string();
}

fs::path TargetSource(const std::string& name) {
  return fs::path(GORETAIN_SOURCE_DIR) / "tests" / "targets" / name / "main.go";
}

// --- files -----------------------------------------------------------------------------------

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "goretain-e2e-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp: " + std::string(strerror(errno)));
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void Touch(const fs::path& p) {
  std::ofstream f(p, std::ios::trunc);
  if (!f) throw std::runtime_error("cannot create " + p.string());
}

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// --- processes -------------------------------------------------------------------------------

namespace {

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string Joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

}  // namespace

Process::Process(const std::vector<std::string>& argv, SpawnOptions opts) : argv_(argv) {
  if (argv.empty()) throw std::invalid_argument("Process: empty argv");
  if (opts.stdout_path.empty() || opts.stderr_path.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "goretain-e2e-proc-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    own_dir_ = tmpl;
  }
  out_ = opts.stdout_path.empty() ? *own_dir_ / "stdout" : opts.stdout_path;
  err_ = opts.stderr_path.empty() ? *own_dir_ / "stderr" : opts.stderr_path;

  try {
    using goretain::test_support::Stdio;
    pid_ = goretain::test_support::SpawnChild(
        argv_, Stdio::File("/dev/null"), Stdio::File(out_.string()), Stdio::File(err_.string()));
  } catch (...) {
    pid_ = -1;
    throw;
  }
}

Process::~Process() { Cleanup(); }

void Process::Cleanup() {
  if (pid_ > 0) {
    if (!reaped_) {
      kill(-pid_, SIGKILL);
      kill(pid_, SIGKILL);
      Reap(true);
    }
    // Grandchildren (e.g. a command goretain started) that outlived their parent.
    if (kill(-pid_, 0) == 0) kill(-pid_, SIGKILL);
  }
  if (own_dir_) {
    std::error_code ec;
    fs::remove_all(*own_dir_, ec);
    own_dir_.reset();
  }
  pid_ = -1;
}

Process::Process(Process&& o) noexcept { *this = std::move(o); }

Process& Process::operator=(Process&& o) noexcept {
  if (this != &o) {
    Cleanup();
    pid_ = std::exchange(o.pid_, -1);
    reaped_ = o.reaped_;
    exit_code_ = o.exit_code_;
    argv_ = std::move(o.argv_);
    out_ = std::move(o.out_);
    err_ = std::move(o.err_);
    own_dir_ = std::move(o.own_dir_);
    o.own_dir_.reset();
  }
  return *this;
}

bool Process::Reap(bool block) {
  if (pid_ <= 0 || reaped_) return true;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      exit_code_ = DecodeStatus(status);
      return true;
    }
    if (r == 0) return false;
    if (r < 0 && errno == EINTR) continue;
    // ECHILD: someone else reaped it; treat as gone.
    reaped_ = true;
    exit_code_ = -1;
    return true;
  }
}

bool Process::Running() { return !Reap(false); }

std::optional<int> Process::WaitNoKill(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (Reap(false)) return exit_code_;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

std::optional<int> Process::Wait(std::chrono::milliseconds timeout) {
  auto rc = WaitNoKill(timeout);
  if (!rc) {
    Kill();
    return std::nullopt;
  }
  return rc;
}

void Process::Signal(int sig) {
  if (pid_ > 0 && !reaped_) kill(pid_, sig);
}

void Process::Kill() {
  if (pid_ <= 0 || reaped_) return;
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  Reap(true);
}

bool Process::WaitForFile(const fs::path& p, const std::string& needle,
                          std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool exited = Reap(false);
    if (ReadFile(p).find(needle) != std::string::npos) return true;
    if (exited || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
}

bool Process::WaitForStderr(const std::string& needle, std::chrono::milliseconds timeout) {
  return WaitForFile(err_, needle, timeout);
}

bool Process::WaitForStdout(const std::string& needle, std::chrono::milliseconds timeout) {
  return WaitForFile(out_, needle, timeout);
}

std::string Process::Stdout() const { return ReadFile(out_); }
std::string Process::Stderr() const { return ReadFile(err_); }

std::string Process::Describe() const {
  std::ostringstream s;
  s << "command: " << Joined(argv_) << "\n";
  s << "status: " << (exit_code_ ? std::to_string(*exit_code_) : std::string("running")) << "\n";
  std::string err = Stderr();
  if (err.size() > 4000) err = "..." + err.substr(err.size() - 4000);
  s << "stderr:\n" << err;
  std::string out = Stdout();
  if (out.size() > 2000) out = out.substr(0, 2000) + "...";
  s << "stdout:\n" << out;
  return s.str();
}

Process RunToEnd(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  Process p(argv);
  p.Wait(timeout);
  return p;
}

// --- reports ---------------------------------------------------------------------------------

std::vector<json> ParseReports(const std::string& text) {
  std::vector<json> out;
  int depth = 0;
  bool in_string = false, escaped = false;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); i++) {
    char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      if (depth++ == 0) start = i;
    } else if (c == '}') {
      if (depth == 0) throw std::runtime_error("unbalanced '}' in report output");
      if (--depth == 0) out.push_back(json::parse(text.substr(start, i - start + 1)));
    } else if (depth == 0 && !isspace(static_cast<unsigned char>(c))) {
      throw std::runtime_error(std::string("unexpected text outside JSON objects: '") + c + "'");
    }
  }
  if (depth != 0 || in_string) throw std::runtime_error("truncated JSON report");
  return out;
}

int WantLine(const std::string& target, const std::string& kind, const std::string& label) {
  return FindMarker(target, kind, label).line;
}

std::string WantFunction(const std::string& target, const std::string& kind,
                         const std::string& label) {
  return FindMarker(target, kind, label).function;
}

const json* FindCallsite(const json& report, const std::string& kind,
                         const std::string& function, int line) {
  if (!report.contains("callsites") || !report["callsites"].is_array()) return nullptr;
  for (const auto& c : report["callsites"]) {
    if (c.value("kind", "") == kind && c.value("function", "") == function &&
        c.contains("line") && c["line"].is_number_integer() && c["line"].get<int>() == line)
      return &c;
  }
  return nullptr;
}

int64_t SumObjects(const json& report, const std::string& kind, const std::string& function) {
  int64_t sum = 0;
  if (!report.contains("callsites") || !report["callsites"].is_array()) return 0;
  for (const auto& c : report["callsites"]) {
    if (c.value("kind", "") == kind && c.value("function", "") == function &&
        c.contains("alloc_objects") && c["alloc_objects"].is_number_integer())
      sum += c["alloc_objects"].get<int64_t>();
  }
  return sum;
}

void PatchGoVersion(const fs::path& binary, const std::string& from, const std::string& to) {
  std::string bytes = ReadFile(binary);
  size_t n = 0;  // build info and runtime.buildVersion both hold it
  for (size_t at = bytes.find(from); at != std::string::npos; at = bytes.find(from, at)) {
    bytes.replace(at, from.size(), to);
    n++;
  }
  ASSERT_GT(n, 0u) << from << " not in " << binary;
  std::ofstream(binary, std::ios::binary | std::ios::trunc) << bytes;
  fs::permissions(binary, fs::perms::owner_all);
}

std::string DescribeCallsites(const json& report, size_t max) {
  std::ostringstream s;
  if (!report.contains("callsites") || !report["callsites"].is_array()) return "(no callsites array)";
  size_t n = 0;
  for (const auto& c : report["callsites"]) {
    if (n++ == max) {
      s << "  ... (" << report["callsites"].size() << " in all)\n";
      break;
    }
    s << "  " << c.value("kind", "?") << " " << c.value("function", "?") << " "
      << c.value("file", "?") << ":" << (c.contains("line") ? c["line"].dump() : "?")
      << " objects=" << (c.contains("alloc_objects") ? c["alloc_objects"].dump() : "?")
      << " bytes=" << (c.contains("alloc_bytes") ? c["alloc_bytes"].dump() : "?")
      << " type=" << (c.contains("type") ? c["type"].dump() : "?") << "\n";
  }
  return s.str();
}

// --- fixture -------------------------------------------------------------------------------

void E2ETest::SetUp() {
  ASSERT_EQ(geteuid(), 0u) << "e2e tests attach real BPF programs: run them as root";
  ASSERT_EQ(access(GoretainBin().c_str(), X_OK), 0) << "goretain not built: " << GoretainBin();
  bpf_before_ = GoretainBpfObjects();
}

void E2ETest::TearDown() {
  std::string left = LeftoverBpf(bpf_before_);
  EXPECT_EQ(left, "") << "goretain left BPF programs/links in the kernel after it exited";
}

Process E2ETest::Goretain(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {GoretainBin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Process(argv);
}

::testing::AssertionResult E2ETest::Attached(Process& goretain,
                                             std::chrono::milliseconds timeout) {
  if (goretain.WaitForStderr("probes attached", timeout)) {
    // The leftover check in TearDown is only meaningful if bpftool sees goretain's objects.
    BpfObjects now = GoretainBpfObjects();
    size_t progs = 0, links = 0;
    for (const auto& p : now.progs)
      progs += std::none_of(bpf_before_.progs.begin(), bpf_before_.progs.end(),
                            [&](const BpfObject& o) { return o.id == p.id; });
    for (const auto& l : now.links)
      links += std::none_of(bpf_before_.links.begin(), bpf_before_.links.end(),
                            [&](const BpfObject& o) { return o.id == l.id; });
    if (progs == 0 || links == 0)
      return ::testing::AssertionFailure()
             << "goretain says probes attached but bpftool shows " << progs
             << " new gr_* programs and " << links << " links attached to them\n"
             << goretain.Describe();
    return ::testing::AssertionSuccess();
  }
  bool running = goretain.Running();
  if (running) goretain.Kill();
  return ::testing::AssertionFailure()
         << "goretain did not print 'probes attached' within " << timeout.count() << " ms ("
         << (running ? "still running, killed" : "it exited") << ")\n"
         << goretain.Describe();
}

::testing::AssertionResult OneReport(const std::string& text, json* out) {
  std::vector<json> reports;
  try {
    reports = ParseReports(text);
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "report is not valid JSON: " << e.what() << "\n"
                                         << text.substr(0, 2000);
  }
  if (reports.size() != 1)
    return ::testing::AssertionFailure() << "expected exactly one JSON report, got "
                                         << reports.size() << "\n" << text.substr(0, 2000);
  *out = reports[0];
  return ::testing::AssertionSuccess();
}

Traced StartGated(const fs::path& gate, const std::vector<std::string>& target_argv,
                  const std::vector<std::string>& goretain_args,
                  const std::vector<std::string>& goretain_env) {
  std::vector<std::string> argv = target_argv;
  argv.insert(argv.end(), {"-wait", gate.string()});
  Traced t;
  t.target = Process(argv);
  std::vector<std::string> gr;
  if (!goretain_env.empty()) {
    gr.push_back("/usr/bin/env");
    gr.insert(gr.end(), goretain_env.begin(), goretain_env.end());
  }
  gr.push_back(GoretainBin());
  gr.insert(gr.end(), goretain_args.begin(), goretain_args.end());
  gr.insert(gr.end(), {"--pid", std::to_string(t.target.pid())});
  t.goretain = Process(gr);
  return t;
}

::testing::AssertionResult E2ETest::TraceGated(const std::vector<std::string>& target_argv,
                                               const std::vector<std::string>& goretain_args,
                                               Traced* out,
                                               const std::vector<std::string>& goretain_env) {
  const fs::path gate = tmp_ / ("gate-" + std::to_string(gates_++));
  *out = StartGated(gate, target_argv, goretain_args, goretain_env);
  ::testing::AssertionResult attached = Attached(out->goretain);
  if (!attached) {
    out->target.Kill();
    return attached;
  }
  if (!out->target.Running()) {
    out->goretain.Kill();
    return ::testing::AssertionFailure() << "attaching disturbed the target\n"
                                         << out->target.Describe();
  }
  Touch(gate);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult E2ETest::TraceToEnd(const std::vector<std::string>& target_argv,
                                               const std::vector<std::string>& goretain_args,
                                               Traced* out, json* report,
                                               std::chrono::milliseconds timeout,
                                               const std::vector<std::string>& goretain_env) {
  std::vector<std::string> args = goretain_args;
  args.insert(args.end(), {"--format", "json"});
  ::testing::AssertionResult traced = TraceGated(target_argv, args, out, goretain_env);
  if (!traced) return traced;
  if (out->target.Wait(timeout) != 0) {
    return ::testing::AssertionFailure() << "the target failed\n" << out->target.Describe();
  }
  // The target exited: goretain must notice, drain, report and exit 0 on its own.
  if (out->goretain.Wait(timeout) != 0) {
    return ::testing::AssertionFailure() << "goretain failed\n" << out->goretain.Describe();
  }
  return OneReport(out->goretain.Stdout(), report);
}

void ExpectSite(const json& report, const std::string& target, const ExpectedSite& site) {
  SCOPED_TRACE(target + ": " + site.kind + " " + site.label);
  int line = WantLine(target, site.kind, site.label);
  ASSERT_EQ(WantFunction(target, site.kind, site.label), site.function)
      << "test table and " << TargetSource(target) << " disagree";
  const json* c = FindCallsite(report, site.kind, site.function, line);
  ASSERT_NE(c, nullptr) << "no callsite {" << site.kind << ", " << site.function << ", line "
                        << line << "} in the report; callsites:\n"
                        << DescribeCallsites(report);
  EXPECT_EQ(c->value("alloc_objects", int64_t{-1}), site.objects) << c->dump();
  EXPECT_EQ(c->value("alloc_bytes", int64_t{-1}), site.bytes) << c->dump();
  std::string file = c->value("file", "");
  std::string suffix = "/" + target + "/main.go";
  EXPECT_TRUE(file.size() >= suffix.size() &&
              file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0)
      << "file '" << file << "' does not end with " << suffix;
  ASSERT_TRUE(c->contains("type")) << c->dump();
  if (!(*c)["type"].is_null()) {
    ASSERT_TRUE((*c)["type"].is_string()) << c->dump();
    std::string type = (*c)["type"].get<std::string>();
    EXPECT_TRUE(std::find(site.types.begin(), site.types.end(), type) != site.types.end())
        << "unexpected type '" << type << "': " << c->dump();
  }
  for (const char* key : {"retained_objects", "retained_bytes", "stack"})
    EXPECT_TRUE(c->contains(key)) << "callsite lacks '" << key << "': " << c->dump();
  if (c->contains("stack")) {
    EXPECT_TRUE((*c)["stack"].is_array()) << c->dump();
  }
  // Every call in that function happened on the marker line: none may be attributed elsewhere.
  EXPECT_EQ(SumObjects(report, site.kind, site.function), site.objects)
      << "calls of " << site.function << " attributed to other lines:\n"
      << DescribeCallsites(report);
}

void ExpectReportHeader(const json& report, pid_t pid, const std::string& exe,
                        int64_t min_received) {
  EXPECT_EQ(report.value("schema", ""), "goretain.report/v1") << report.dump().substr(0, 500);
  ASSERT_TRUE(report.contains("elapsed_s") && report["elapsed_s"].is_number()) << "elapsed_s";
  EXPECT_GT(report["elapsed_s"].get<double>(), 0.0);
  EXPECT_TRUE(report.contains("gc_cycles")) << "gc_cycles missing";
  ASSERT_TRUE(report.contains("targets") && report["targets"].is_array()) << "targets";
  ASSERT_EQ(report["targets"].size(), 1u) << report["targets"].dump();
  const json& t = report["targets"][0];
  EXPECT_EQ(t.value("pid", -1), pid) << t.dump();
  std::error_code ec;
  fs::path want_exe = fs::canonical(exe, ec);
  EXPECT_EQ(t.value("exe", ""), ec ? exe : want_exe.string()) << t.dump();
  EXPECT_EQ(t.value("go_version", "").rfind("go1.19", 0), 0u) << t.dump();
  ASSERT_TRUE(report.contains("events") && report["events"].is_object()) << "events";
  EXPECT_GE(report["events"].value("received", int64_t{-1}), min_received)
      << report["events"].dump();
  EXPECT_EQ(report["events"].value("dropped", int64_t{-1}), 0) << report["events"].dump();
  ASSERT_TRUE(report.contains("callsites") && report["callsites"].is_array()) << "callsites";
}

::testing::AssertionResult IsOneErrorLine(const std::string& err) {
  std::string e = err;
  while (!e.empty() && e.back() == '\n') e.pop_back();
  if (e.empty()) return ::testing::AssertionFailure() << "stderr is empty";
  if (e.find('\n') != std::string::npos)
    return ::testing::AssertionFailure() << "stderr has more than one line:\n" << err;
  if (e.rfind("goretain: error:", 0) != 0)
    return ::testing::AssertionFailure() << "stderr does not start with 'goretain: error:':\n"
                                         << err;
  return ::testing::AssertionSuccess();
}

}  // namespace e2e
