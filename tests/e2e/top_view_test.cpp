// `goretain top`, the live view, driven in a real terminal: tmux (on a private socket) runs it
// against a real leaking Go target; the test reads the screen with capture-pane and presses keys
// with send-keys. The header shows the target and real figures, the leaking line's row appears
// and gets the LEAK marker, the sort and kind keys reorder and filter the rows, a resize redraws
// at the new size, q quits with exit 0 and only the summary line on stderr, and no BPF is left
// (the fixture), the terminal is restored. Ctrl-C with a launched command: the same. Not a
// terminal: exit 2 with one error line and a hint.
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"

namespace e2e {
namespace {

// A private tmux server (its own socket in the test's temp dir, no config file), killed on exit.
class Tmux {
 public:
  explicit Tmux(const fs::path& socket) : socket_(socket.string()) {}
  ~Tmux() { (void)Run({"kill-server"}); }

  // -u: UTF-8 whatever the test's locale, so the Unicode sparkline reads back as written.
  Process Run(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"tmux", "-u", "-f", "/dev/null", "-S", socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunToEnd(argv, 10s);
  }
  ::testing::AssertionResult Start(const std::string& shell_command, int width, int height) {
    Process p = Run({"new-session", "-d", "-s", "top", "-x", std::to_string(width), "-y",
                     std::to_string(height), shell_command});
    if (p.exit_code() == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "tmux new-session failed\n" << p.Describe();
  }
  std::vector<std::string> Screen() {
    Process p = Run({"capture-pane", "-p", "-t", "top"});
    std::vector<std::string> lines;
    std::istringstream in(p.Stdout());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  void Keys(const std::string& keys) { (void)Run({"send-keys", "-t", "top", keys}); }

  // Polls the screen until `ready` holds (the last screen is left in *last).
  template <typename Pred>
  bool WaitScreen(Pred ready, std::chrono::milliseconds timeout, std::vector<std::string>* last) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      *last = Screen();
      if (ready(*last)) return true;
      std::this_thread::sleep_for(200ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }

 private:
  std::string socket_;
};

std::string Join(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += l + "\n";
  return s;
}

// Characters of a UTF-8 line (every character on this screen is one column wide).
size_t Width(const std::string& line) {
  return static_cast<size_t>(std::count_if(line.begin(), line.end(),
                                           [](char c) { return (c & 0xC0) != 0x80; }));
}

// The rows of the call-site table: the lines between the column titles and the status line.
std::vector<std::string> TableRows(const std::vector<std::string>& screen) {
  std::vector<std::string> rows;
  bool in_table = false;
  for (const std::string& line : screen) {
    if (line.find("RETAINED") != std::string::npos && line.find("KIND") != std::string::npos) {
      in_table = true;
      continue;
    }
    if (line.rfind("sort: ", 0) == 0) break;
    if (in_table && !line.empty()) rows.push_back(line);
  }
  return rows;
}

// A row's column [from, from+width), trimmed (fixed widths: userspace/tui/top_text.cpp).
std::string Column(const std::string& row, size_t from, size_t width) {
  if (row.size() <= from) return "";
  std::string s = row.substr(from, width);
  s.erase(0, s.find_first_not_of(' '));
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}
std::string RetainedCol(const std::string& row) { return Column(row, 5, 10); }
std::string GrowthCol(const std::string& row) { return Column(row, 16, 12); }
std::string KindCol(const std::string& row) { return Column(row, 51, 10); }

// "12.3 KiB", "+800 B/s", "-1.0 MiB/s" -> bytes (per second); nullopt for "-".
std::optional<double> ParseBytes(std::string s) {
  if (s == "-" || s.empty()) return std::nullopt;
  if (s.size() > 2 && s.substr(s.size() - 2) == "/s") s.resize(s.size() - 2);
  std::istringstream in(s);
  double v = 0;
  std::string unit;
  in >> v >> unit;
  const std::vector<std::string> units = {"B", "KiB", "MiB", "GiB", "TiB"};
  auto it = std::find(units.begin(), units.end(), unit);
  if (it == units.end()) throw std::runtime_error("not a byte figure: " + s);
  for (auto u = units.begin(); u != it; ++u) v *= 1024;
  return v;
}

// True if the column is non-increasing down the rows, unknown figures ("-") after every known one.
::testing::AssertionResult SortedDescending(const std::vector<std::string>& rows,
                                            std::string (*column)(const std::string&)) {
  std::optional<double> prev;
  bool unknown_seen = false;
  for (const std::string& row : rows) {
    const std::optional<double> v = ParseBytes(column(row));
    if (!v) {
      unknown_seen = true;
      continue;
    }
    if (unknown_seen || (prev && *v > *prev)) {
      return ::testing::AssertionFailure() << "out of order at: " << row;
    }
    prev = v;
  }
  return ::testing::AssertionSuccess();
}

std::optional<long> Figure(const std::string& line, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(line, m, std::regex(name + " ([0-9,]+)"))) return std::nullopt;
  std::string digits = m[1];
  digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
  return std::stol(digits);
}

// The shell command tmux runs: goretain with `args` (stderr to `dir`/stderr), then the terminal's
// settings once goretain is gone (`dir`/stty: restored, so "icanon" and "echo" are on again), then
// goretain's exit status (`dir`/rc, written last).
std::string TopShellCommand(const std::string& args, const fs::path& dir) {
  const std::string d = dir.string();
  return "env LANG=C.UTF-8 " + GoretainBin() + " top " + args + " 2>" + d + "/stderr; echo $? >" +
         d + "/rc.tmp; stty -a >" + d + "/stty; mv " + d + "/rc.tmp " + d + "/rc";
}

// The terminal after goretain: canonical mode and echo on again, as before the view.
::testing::AssertionResult TerminalRestored(const fs::path& dir) {
  const std::string stty = ReadFile(dir / "stty");
  if (std::regex_search(stty, std::regex("(^|\\s)icanon\\b")) &&
      std::regex_search(stty, std::regex("(^|\\s)echo\\b"))) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "terminal left in raw/noecho mode:\n" << stty;
}

// The exit status the shell in tmux wrote to `rc`, waited for; "" if none came in time.
std::string ExitStatus(const fs::path& rc) {
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(rc) && !ReadFile(rc).empty()) return ReadFile(rc);
    std::this_thread::sleep_for(100ms);
  }
  return "";
}

class TopView : public E2ETest {
 protected:
  // The keys on a screen showing leak1_maplist with its leak flagged: g sorts by growth; k, k
  // shows only map.grow rows; k, k, k and l show every kind's leaking lines only.
  void ExpectSortAndFilterKeys(Tmux& tmux) {
    std::vector<std::string> screen;
    // g: sorted by growth.
    tmux.Keys("g");
    ASSERT_TRUE(tmux.WaitScreen(
        [](const auto& s) { return Join(s).find("sort: growth") != std::string::npos; }, 5s, &screen))
        << Join(screen);
    EXPECT_TRUE(SortedDescending(TableRows(screen), GrowthCol)) << Join(screen);

    // k, k: only map.grow rows.
    tmux.Keys("k");
    tmux.Keys("k");
    ASSERT_TRUE(tmux.WaitScreen(
        [](const auto& s) { return Join(s).find("kind: map.grow") != std::string::npos; }, 5s, &screen))
        << Join(screen);
    const std::vector<std::string> rows = TableRows(screen);
    ASSERT_FALSE(rows.empty()) << Join(screen);
    for (const std::string& row : rows) EXPECT_EQ(KindCol(row), "map.grow") << row;

    // k, k, k: every kind again; l: leaking lines only.
    tmux.Keys("k");
    tmux.Keys("k");
    tmux.Keys("k");
    tmux.Keys("l");
    ASSERT_TRUE(tmux.WaitScreen(
        [](const auto& s) {
          const std::string all = Join(s);
          return all.find("kind: all") != std::string::npos && all.find("leaks only: on") != std::string::npos;
        },
        5s, &screen))
        << Join(screen);
    ASSERT_FALSE(TableRows(screen).empty()) << Join(screen);
    for (const std::string& row : TableRows(screen)) EXPECT_EQ(row.rfind("LEAK", 0), 0u) << row;
  }
};

TEST_F(TopView, ShowsTheLeakingLineAndFollowsTheKeys) {
  const std::string target = "leak1_maplist";
  const fs::path gate = tmp_ / "gate";
  // Two collections a second: the leak signal needs a few GC cycles, and a heap that only grows
  // collects rarely (every doubling).
  Process app({Target(target), "-gc-per-s", "2", "-wait", gate.string()});
  const std::string pid = std::to_string(app.pid());
  const fs::path err = tmp_ / "stderr", rc = tmp_ / "rc";
  Tmux tmux(tmp_ / "tmux.sock");
  // stderr to a file: after the view it must hold the summary line and nothing else.
  ASSERT_TRUE(tmux.Start(TopShellCommand("--pid " + pid, tmp_.path()), 160, 45));
  std::vector<std::string> screen;
  // The first report is published once the probes are live: the header names the target.
  const std::string header = "goretain top  pid " + pid + "  ";
  auto names_target = [&](const std::string& line) {
    return line.rfind(header, 0) == 0 && line.find(target + "  go1.") != std::string::npos;
  };
  ASSERT_TRUE(tmux.WaitScreen([&](const auto& s) { return !s.empty() && names_target(s[0]); },
                              kTimeout, &screen))
      << Join(screen) << ReadFile(err);
  Touch(gate);

  // Real figures, and the leak flagged at one of the leaking lines of main.record.
  std::set<std::string> leak_sites;
  for (const char* kind : {"map.make", "map.grow"}) {
    leak_sites.insert("main.record (main.go:" + std::to_string(WantLine(target, kind, "leak")) + ")");
  }
  auto flagged = [&](const std::vector<std::string>& s) {
    for (const std::string& row : TableRows(s)) {
      if (row.rfind("LEAK", 0) != 0) continue;
      for (const std::string& site : leak_sites) {
        if (row.find(site) != std::string::npos) return s.size() > 2 && Figure(s[1], "GC cycles") > 0;
      }
    }
    return false;
  };
  ASSERT_TRUE(tmux.WaitScreen(flagged, 60s, &screen)) << Join(screen);
  EXPECT_GT(Figure(screen[1], "events").value_or(0), 1000) << screen[1];
  EXPECT_EQ(Figure(screen[1], "dropped").value_or(-1), 0) << screen[1];
  EXPECT_NE(screen[2].find_first_of("▁▂▃▄▅▆▇█"), std::string::npos) << "no sparkline: " << screen[2];
  const std::optional<double> total = ParseBytes(screen[2].substr(9, 10));
  EXPECT_GT(total.value_or(0), 64 * 1024) << screen[2];
  EXPECT_TRUE(SortedDescending(TableRows(screen), RetainedCol)) << Join(screen);

  ExpectSortAndFilterKeys(tmux);
  if (HasFatalFailure()) return;

  // A smaller terminal: redrawn to its size, help line at the bottom.
  (void)tmux.Run({"resize-window", "-t", "top", "-x", "100", "-y", "20"});
  ASSERT_TRUE(tmux.WaitScreen(
      [](const auto& s) { return s.size() == 20 && s[19].rfind("q quit", 0) == 0; }, 5s, &screen))
      << Join(screen);
  for (const std::string& line : screen) EXPECT_LE(Width(line), 100u) << line;
  EXPECT_TRUE(names_target(screen[0])) << screen[0];

  // q: the final report, detach, exit 0; stderr holds only the summary line.
  tmux.Keys("q");
  EXPECT_EQ(ExitStatus(rc), "0\n") << "goretain top did not quit";
  EXPECT_TRUE(TerminalRestored(tmp_.path()));
  const std::string summary = ReadFile(err);
  EXPECT_EQ(summary.rfind("goretain: top: pid " + pid + " traced for ", 0), 0u) << summary;
  EXPECT_EQ(std::count(summary.begin(), summary.end(), '\n'), 1) << summary;
  EXPECT_TRUE(app.Running()) << "quitting the view harmed the target";
}

// Ctrl-C in the view (SIGINT from the terminal) with a command started by goretain top: the view
// ends, the command gets SIGINT (leakrun exits 0 on it), goretain exits with its status, the
// final report is in the -o file, the terminal is restored.
TEST_F(TopView, CtrlCStopsALaunchedCommandCleanly) {
  Tmux tmux(tmp_ / "tmux.sock");
  const fs::path report = tmp_ / "final.json";
  ASSERT_TRUE(tmux.Start(TopShellCommand("-f json -o " + report.string() + " -- " +
                                             Target("leak1_maplist") + " -gc-per-s 2",
                                         tmp_.path()),
                         120, 30));
  std::vector<std::string> screen;
  ASSERT_TRUE(tmux.WaitScreen(
      [](const auto& s) { return s.size() > 1 && Figure(s[1], "events").value_or(0) > 0; }, kTimeout,
      &screen))
      << Join(screen) << ReadFile(tmp_ / "stderr");
  tmux.Keys("C-c");
  EXPECT_EQ(ExitStatus(tmp_ / "rc"), "0\n") << ReadFile(tmp_ / "stderr");
  EXPECT_TRUE(TerminalRestored(tmp_.path()));
  const std::string err = ReadFile(tmp_ / "stderr");
  EXPECT_EQ(err.rfind("goretain: top: pid ", 0), 0u) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  json final_report;
  ASSERT_TRUE(OneReport(ReadFile(report), &final_report));
  EXPECT_GT(final_report["events"]["received"].get<int64_t>(), 0) << final_report.dump();
}

TEST_F(TopView, NotATerminalIsAnErrorWithAHint) {
  Process app({Target("leak1_maplist"), "-wait", (tmp_ / "gate").string()});
  Process gr = Goretain({"top", "--pid", std::to_string(app.pid())});  // stdout: a file
  EXPECT_EQ(gr.Wait(15s), 2) << gr.Describe();
  EXPECT_TRUE(IsOneErrorLine(gr.Stderr())) << gr.Describe();
  EXPECT_NE(gr.Stderr().find("--interval 1"), std::string::npos) << gr.Describe();
  EXPECT_EQ(gr.Stdout(), "");
}

}  // namespace
}  // namespace e2e
