// Bad input, bad usage and missing privileges: the documented exit code and exactly one
// `goretain: error:` line on stderr, never a crash, never a hang, no BPF left behind.
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "harness.h"

namespace e2e {
namespace {

class Errors : public E2ETest {
 protected:
  // Runs goretain to the end and checks the exit code and the single error line.
  void ExpectError(const std::vector<std::string>& args, int code) {
    Process gr = Goretain(args);
    auto rc = gr.Wait(15s);
    ASSERT_TRUE(rc.has_value()) << "goretain hung\n" << gr.Describe();
    EXPECT_EQ(*rc, code) << gr.Describe();
    EXPECT_TRUE(IsOneErrorLine(gr.Stderr())) << gr.Describe();
    EXPECT_EQ(gr.Stdout(), "") << "no report on error";
  }

  // `setpriv` runs goretain as nobody with no capabilities. The binary is copied into a
  // world-readable temp dir so that nobody can execute it whatever the build dir's permissions.
  std::vector<std::string> AsNobody(const std::vector<std::string>& args) {
    fs::permissions(tmp_.path(), fs::perms::owner_all | fs::perms::group_read |
                                     fs::perms::group_exec | fs::perms::others_read |
                                     fs::perms::others_exec);
    fs::path bin = tmp_ / "goretain";
    if (!fs::exists(bin)) {
      fs::copy_file(GoretainBin(), bin);
      fs::permissions(bin, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
    }
    std::vector<std::string> argv = {"setpriv",      "--reuid=65534",     "--regid=65534",
                                     "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                                     bin.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
};

TEST_F(Errors, PidThatDoesNotExist) {
  Process gone({"/bin/true"});
  ASSERT_EQ(gone.Wait(), 0);
  // Its PID was just released and PIDs are allocated upwards: nothing reuses it this soon.
  ExpectError({"--pid", std::to_string(gone.pid())}, 2);
}

TEST_F(Errors, PidOfNonGoProgram) {
  Process sleeper({"/bin/sleep", "60"});
  std::this_thread::sleep_for(200ms);  // let it exec
  ASSERT_TRUE(sleeper.Running());
  ExpectError({"--pid", std::to_string(sleeper.pid()), "--duration", "5"}, 2);
  EXPECT_TRUE(sleeper.Running()) << "goretain harmed a process it refused to trace";
}

TEST_F(Errors, CommandThatIsNotGo) { ExpectError({"--", "/bin/true"}, 2); }

// A command goretain refuses to trace must not be left running, orphaned and untraced.
TEST_F(Errors, RefusedCommandIsNotLeftRunning) {
  const std::string marker = "31.4159";  // a sleep duration no other process uses
  ExpectError({"--", "/bin/sleep", marker}, 2);
  auto running = [&] {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
      const std::string pid = entry.path().filename().string();
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string cmdline = ReadFile(entry.path() / "cmdline");
      if (cmdline.find("sleep") != std::string::npos &&
          cmdline.find(marker) != std::string::npos)
        return true;
    }
    return false;
  };
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(running()) << "/bin/sleep " << marker << " still runs after goretain refused it";
}

TEST_F(Errors, CommandNotFound) {
  ExpectError({"--", (tmp_ / "no-such-program").string()}, 2);
}

TEST_F(Errors, CorruptExecutable) {
  // A Go binary cut to its first 64 KiB: a valid ELF header pointing at sections that are gone.
  fs::path corrupt = tmp_ / "corrupt";
  fs::copy_file(Target("counts"), corrupt);
  fs::resize_file(corrupt, 64 * 1024);
  fs::permissions(corrupt, fs::perms::owner_all);
  ExpectError({"--", corrupt.string()}, 2);
}

TEST_F(Errors, UnsupportedGoVersions) {
  const std::string real = "go1.19.8";
  for (const std::string fake : {"go1.15.8", "go1.29.8"}) {
    const fs::path exe = tmp_ / ("counts-" + fake);
    fs::copy_file(Target("counts"), exe);
    ASSERT_NO_FATAL_FAILURE(PatchGoVersion(exe, real, fake));
    Process gr = Goretain({"--", exe.string(), "-hint", "1", "-small", "1", "-append", "1"});
    ASSERT_EQ(gr.Wait(15s), 2) << gr.Describe();
    EXPECT_TRUE(IsOneErrorLine(gr.Stderr())) << gr.Describe();
    EXPECT_NE(gr.Stderr().find(fake), std::string::npos) << "the error names the version\n"
                                                         << gr.Describe();
    EXPECT_EQ(gr.Stdout(), "") << "the refused command must not run";
  }
}

TEST_F(Errors, BadUsage) {
  const std::vector<std::vector<std::string>> cases = {
      {},                                         // nothing to trace
      {"--bogus-option"},                         // unknown option
      {"--pid", "abc"},                           // not a number
      {"--pid", "1", "--format", "xml"},          // unknown format
      {"--pid", "1", "--", Target("counts")},     // both a PID and a command
      {"--duration"},                             // missing value
  };
  for (const auto& args : cases) {
    std::string desc;
    for (const auto& a : args) desc += a + " ";
    SCOPED_TRACE("goretain " + desc);
    ExpectError(args, 2);
  }
}

TEST_F(Errors, NotRootAttach) {
  const fs::path never = tmp_ / "never";
  Process target({Target("counts"), "-wait", never.string()});
  Process gr(AsNobody({"--pid", std::to_string(target.pid())}));
  auto rc = gr.Wait();
  ASSERT_TRUE(rc.has_value()) << gr.Describe();
  EXPECT_EQ(*rc, 3) << gr.Describe();
  EXPECT_TRUE(IsOneErrorLine(gr.Stderr())) << gr.Describe();
  EXPECT_TRUE(target.Running()) << target.Describe();
}

TEST_F(Errors, NotRootCommand) {
  // The command is copied too: nobody must be able to run it, so that only privileges fail.
  fs::path counts = tmp_ / "counts";
  fs::copy_file(Target("counts"), counts);
  fs::permissions(counts, fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
  Process gr(AsNobody({"--", counts.string()}));
  auto rc = gr.Wait();
  ASSERT_TRUE(rc.has_value()) << gr.Describe();
  EXPECT_EQ(*rc, 3) << gr.Describe();
  EXPECT_TRUE(IsOneErrorLine(gr.Stderr())) << gr.Describe();
  EXPECT_EQ(gr.Stdout().find("counts: done"), std::string::npos)
      << "the command ran although tracing was impossible";
}

}  // namespace
}  // namespace e2e
