// HeapReader against real Go processes (tests/targets/liveness, four build variants): live and
// dead objects exactly, slot reuse, concurrent GC cycles, a target exiting mid-check. Needs the
// right to read a child's memory (root in CI). The pure rule and layouts: heap_liveness_rule_test.
#include "userspace/process/heap_reader.h"
#include "userspace/goruntime/heap_code.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "symbols/go_binary.h"
#include "tests/support/liveness_target.h"
#include "tests/support/npm_go_binaries.h"
#include "tests/support/spawn.h"
#include "userspace/process/process_info.h"

namespace goretain {
namespace {

// ---------------------------------------------------------------------------------------------
// A Go target started with pipes on stdin/stdout; killed when the object goes away.

class Target {
 public:
  explicit Target(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = test_support::SpawnChild(argv, test_support::Stdio::Fd(in[0]),
                                    test_support::Stdio::Fd(out[1]), test_support::Stdio::Fd(2));
    close(in[0]);
    close(out[1]);
    to_ = in[1];
    from_ = fdopen(out[0], "r");
  }
  ~Target() {
    Kill();
    if (from_) fclose(from_);
    if (to_ >= 0) close(to_);
  }
  pid_t pid() const { return pid_; }
  bool ReadLine(std::string* line) {
    char* buf = nullptr;
    size_t cap = 0;
    const ssize_t n = getline(&buf, &cap, from_);
    if (n > 0) line->assign(buf, buf[n - 1] == '\n' ? n - 1 : n);
    free(buf);
    return n > 0;
  }
  void Send(const std::string& cmd) {
    const std::string s = cmd + "\n";
    ASSERT_EQ(write(to_, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1;
  FILE* from_ = nullptr;
};

struct Expected {
  TrackedObject obj;
  bool live;
  std::string kind;
};

struct GroundTruth {
  uint32_t epoch = 0;   // GC cycles completed when the objects were allocated
  uint32_t cycles = 0;  // ... when "ready" was printed
  std::vector<Expected> objects;
};

// Reads the target's "epoch / obj ... / ready" lines.
GroundTruth ReadGroundTruth(Target& t) {
  GroundTruth g;
  std::string line;
  while (t.ReadLine(&line)) {
    std::istringstream in(line);
    std::string word;
    in >> word;
    if (word == "epoch") {
      in >> g.epoch;
    } else if (word == "obj") {
      Expected e;
      std::string state;
      in >> std::hex >> e.obj.addr >> std::dec >> e.obj.size >> state >> e.kind;
      e.live = state == "live";
      g.objects.push_back(e);
    } else if (word == "ready") {
      in >> g.cycles;
      return g;
    }
  }
  ADD_FAILURE() << "target ended before printing 'ready'";
  return g;
}

// Everything needed to read one running target.
struct Attached {
  std::unique_ptr<symbols::GoBinary> binary;
  HeapLayout layout;
  std::optional<HeapReader> reader;
};

Attached AttachTo(const std::string& path, pid_t pid) {
  Attached a;
  auto bin = symbols::GoBinary::Open(path);
  EXPECT_TRUE(bin.ok()) << (bin.ok() ? "" : bin.error().message);
  if (!bin.ok()) return a;
  a.binary = std::move(*bin);
  auto layout = HeapLayout::For(*a.binary);
  EXPECT_TRUE(layout.ok()) << (layout.ok() ? "" : layout.error().message);
  if (!layout.ok()) return a;
  a.layout = *layout;
  auto info = InspectProcess(pid);
  EXPECT_TRUE(info.ok());
  if (!info.ok()) return a;
  auto bias = ReadLoadBias(pid, info->exe_id, a.binary->elf());
  EXPECT_TRUE(bias.ok()) << (bias.ok() ? "" : bias.error().message);
  if (!bias.ok()) return a;
  auto reader = HeapReader::Attach(pid, a.layout, *bias);
  EXPECT_TRUE(reader.ok()) << (reader.ok() ? "" : reader.error().message);
  if (reader.ok()) a.reader.emplace(std::move(*reader));
  return a;
}

std::vector<TrackedObject> Objects(const GroundTruth& g, bool known_epoch) {
  std::vector<TrackedObject> v;
  for (const Expected& e : g.objects) {
    TrackedObject o = e.obj;
    o.alloc_sweepgen = known_epoch ? 2 * g.epoch : TrackedObject::kUnknownSweepgen;
    v.push_back(o);
  }
  return v;
}

// Every live object live and every dead one freed; returns the number of mismatches.
int ExpectExact(const GroundTruth& g, const std::vector<Liveness>& got, const std::string& what) {
  int bad = 0;
  std::map<std::string, int> per_kind;
  for (size_t i = 0; i < g.objects.size(); i++) {
    const Expected& e = g.objects[i];
    const LiveState want = e.live ? LiveState::kLive : LiveState::kFreed;
    if (got[i].state != want) {
      if (bad++ < 10) {
        ADD_FAILURE() << what << ": " << e.kind << " 0x" << std::hex << e.obj.addr << std::dec
                      << " size " << e.obj.size << " expected " << ToString(want) << ", got "
                      << ToString(got[i].state) << " (" << ToString(got[i].reason) << ")";
      }
    }
    per_kind[e.kind]++;
  }
  EXPECT_EQ(bad, 0) << what;
  return bad;
}

// ---------------------------------------------------------------------------------------------
// The decision rule on synthetic spans.

TEST(HeapReaderLive, RealBinariesAllGoroutinesLive) {
  for (const auto& [version, rel] : NpmGoBinaries()) {
    SCOPED_TRACE(version);
    const std::string path = NpmPath(rel);
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    Target t({path});  // esbuild and protoc plugins read stdin until EOF
    ASSERT_GT(t.pid(), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Attached a = AttachTo(path, t.pid());
    ASSERT_TRUE(a.reader) << path;
    auto h = a.reader->ReadSweepgen();
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(*h % 2, 0u);
    auto allgs = a.binary->elf().FindSymbol("runtime.allgs");
    if (!allgs) continue;  // stripped (go1.27.3 buf plugin): layout and attach only
    auto info = InspectProcess(t.pid());
    ASSERT_TRUE(info.ok());
    auto bias = ReadLoadBias(t.pid(), info->exe_id, a.binary->elf());
    ASSERT_TRUE(bias.ok());
    uint64_t header[3] = {};  // []*g
    iovec l{header, sizeof header}, r{reinterpret_cast<void*>(allgs->value.value + *bias), sizeof header};
    ASSERT_EQ(process_vm_readv(t.pid(), &l, 1, &r, 1, 0), static_cast<ssize_t>(sizeof header));
    ASSERT_GT(header[1], 0u);
    ASSERT_LT(header[1], 100000u);
    std::vector<uint64_t> gs(header[1]);
    l = {gs.data(), gs.size() * 8};
    r = {reinterpret_cast<void*>(header[0]), gs.size() * 8};
    ASSERT_EQ(process_vm_readv(t.pid(), &l, 1, &r, 1, 0), static_cast<ssize_t>(gs.size() * 8));
    std::vector<TrackedObject> objs{{header[0], 0}};
    for (uint64_t g : gs) objs.push_back({g, 0});
    auto res = a.reader->Check(objs);
    ASSERT_TRUE(res.ok()) << res.error().message;
    for (size_t i = 0; i < objs.size(); i++) {
      EXPECT_EQ((*res)[i].state, LiveState::kLive)
          << "0x" << std::hex << objs[i].addr << ": " << ToString((*res)[i].reason);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The liveness target: exact answers in every build variant.

class HeapReaderVariants : public ::testing::TestWithParam<std::string> {};

TEST_P(HeapReaderVariants, LiveAndDeadExactly) {
  Target t({LivenessTargetPath(GetParam())});
  ASSERT_GT(t.pid(), 0);
  GroundTruth g = ReadGroundTruth(t);
  ASSERT_GT(g.objects.size(), 4000u);
  Attached a = AttachTo(LivenessTargetPath(GetParam()), t.pid());
  ASSERT_TRUE(a.reader);
  auto h = a.reader->ReadSweepgen();
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, 2 * g.cycles) << "mheap_.sweepgen is 2 x completed cycles";

  for (bool known : {true, false}) {
    SCOPED_TRACE(known ? "allocation epoch known" : "allocation epoch unknown");
    auto objs = Objects(g, known);
    auto res = a.reader->Check(objs);
    ASSERT_TRUE(res.ok()) << res.error().message;
    ExpectExact(g, *res, GetParam());
    const CheckStats& st = a.reader->last_stats();
    EXPECT_LT(st.syscalls, 40u) << "reads are batched, not per object";
    EXPECT_EQ(st.sweepgen_first, *h);
    // Objects sharing a span are read once: far fewer spans than objects.
    EXPECT_LT(st.spans, g.objects.size() / 4);
    // Dead objects whose whole span emptied are reported as a freed span.
    size_t span_freed = 0;
    for (size_t i = 0; i < objs.size(); i++) {
      if (g.objects[i].kind == "whole-span" && (*res)[i].reason == LiveReason::kSpanFreed) span_freed++;
    }
    EXPECT_GT(span_freed, 0u);
  }

  // Addresses that are not heap objects.
  std::vector<TrackedObject> bogus = {{0x1000, 8}, {0x7fff00000000, 8}, {0, 0}};
  auto res = a.reader->Check(bogus);
  ASSERT_TRUE(res.ok());
  for (const Liveness& l : *res) EXPECT_EQ(l.state, LiveState::kUnknown);
}

INSTANTIATE_TEST_SUITE_P(Variants, HeapReaderVariants,
                         ::testing::Values("default", "stripped", "pie", "noopt"));

// After the GC, new allocations reuse the freed slots. With the allocation epoch known the reader
// still reports every dead object freed; without it a reused slot is reported live as
// kAllocatedSinceSweep (ambiguous), never as having survived the GC.
TEST(HeapReaderLive, SlotReuse) {
  for (const char* variant : {"default", "pie"}) {
    SCOPED_TRACE(variant);
    Target t({LivenessTargetPath(variant)});
    GroundTruth g = ReadGroundTruth(t);
    Attached a = AttachTo(LivenessTargetPath(variant), t.pid());
    ASSERT_TRUE(a.reader);
    t.Send("churn");
    std::string line;
    ASSERT_TRUE(t.ReadLine(&line));
    ASSERT_EQ(line, "churned");

    auto known = a.reader->Check(Objects(g, true));
    ASSERT_TRUE(known.ok());
    ExpectExact(g, *known, std::string(variant) + " after churn, epoch known");

    auto unknown = a.reader->Check(Objects(g, false));
    ASSERT_TRUE(unknown.ok());
    size_t reused = 0;
    for (size_t i = 0; i < g.objects.size(); i++) {
      const Liveness& l = (*unknown)[i];
      if (g.objects[i].live) {
        EXPECT_EQ(l.state, LiveState::kLive);
      } else if (l.state == LiveState::kLive) {
        EXPECT_EQ(l.reason, LiveReason::kAllocatedSinceSweep) << g.objects[i].kind;
        reused++;
      } else {
        EXPECT_EQ(l.state, LiveState::kFreed);
      }
    }
    EXPECT_GT(reused, 100u) << "churn should have reused freed slots";

    // The documented limit: once a reused slot's new object survives a further cycle, a Check that
    // missed the cycle in which the tracked object died cannot tell them apart.
    t.Send("gc");
    ASSERT_TRUE(t.ReadLine(&line));
    auto later = a.reader->Check(Objects(g, true));
    ASSERT_TRUE(later.ok());
    size_t confused = 0;
    for (size_t i = 0; i < g.objects.size(); i++) {
      if (g.objects[i].live) {
        EXPECT_EQ((*later)[i].state, LiveState::kLive);
      } else if ((*later)[i].state == LiveState::kLive) {
        confused++;
      }
    }
    EXPECT_GT(confused, 0u) << "expected the documented limitation to show";
  }
}

// GCs run while the reader reads: whatever the sweep state of each span, never a wrong answer.
TEST(HeapReaderLive, ConcurrentGcCycles) {
  Target t({LivenessTargetPath("default")});
  GroundTruth g = ReadGroundTruth(t);
  Attached a = AttachTo(LivenessTargetPath("default"), t.pid());
  ASSERT_TRUE(a.reader);
  const auto objs = Objects(g, true);
  std::atomic<bool> stop{false};
  std::thread gc([&] {
    std::string line;
    for (int i = 0; i < 40 && !stop; i++) {
      t.Send("gc");
      if (!t.ReadLine(&line)) break;
    }
    stop = true;
  });
  uint64_t checks = 0, unswept = 0, retries = 0, unknown = 0;
  while (!stop) {
    auto res = a.reader->Check(objs);
    ASSERT_TRUE(res.ok()) << res.error().message;
    checks++;
    unswept += a.reader->last_stats().unswept_spans;
    retries += a.reader->last_stats().retries;
    for (size_t i = 0; i < objs.size(); i++) {
      const Liveness& l = (*res)[i];
      if (l.state == LiveState::kUnknown) {
        unknown++;
        continue;
      }
      ASSERT_EQ(l.state, g.objects[i].live ? LiveState::kLive : LiveState::kFreed)
          << g.objects[i].kind << " " << ToString(l.reason) << " check " << checks;
    }
  }
  gc.join();
  std::printf("[ concurrent ] %lu checks during 40 GCs: %lu span reads from mark bits, %lu retries, "
              "%lu unknown answers\n",
              (unsigned long)checks, (unsigned long)unswept, (unsigned long)retries,
              (unsigned long)unknown);
  EXPECT_GT(checks, 0u);
  EXPECT_LT(unknown, checks * objs.size() / 100);
}

// The target dies while Check runs: a clean kNotFound error, never a wrong answer.
TEST(HeapReaderLive, TargetExitsMidCheck) {
  Target t({LivenessTargetPath("default"), "bench", "300000"});
  GroundTruth g = ReadGroundTruth(t);
  Attached a = AttachTo(LivenessTargetPath("default"), t.pid());
  ASSERT_TRUE(a.reader);
  const auto objs = Objects(g, true);
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    kill(t.pid(), SIGKILL);
  });
  std::optional<Error> err;
  for (int i = 0; i < 10000 && !err; i++) {
    auto res = a.reader->Check(objs);
    if (!res.ok()) {
      err = res.error();
      break;
    }
    for (size_t j = 0; j < objs.size(); j++) {
      const LiveState s = (*res)[j].state;
      if (s != LiveState::kUnknown) {
        ASSERT_EQ(s, g.objects[j].live ? LiveState::kLive : LiveState::kFreed);
      }
    }
  }
  killer.join();
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, ErrorCode::kNotFound);
  EXPECT_NE(err->message.find("exited"), std::string::npos) << err->message;
  t.Kill();
  auto again = a.reader->Check(objs);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

// Check() cost per 100,000 tracked objects (printed; speed is judged by scripts/bench-liveness.sh,
// not here) and exact answers, in a target holding GORETAIN_LIVENESS_OBJECTS
// (default 200,000; scripts/bench-liveness.sh uses 1,000,000) small objects.
TEST(HeapReaderBench, CheckPer100k) {
  const char* env = std::getenv("GORETAIN_LIVENESS_OBJECTS");
  const int n = env ? std::atoi(env) : 200000;
  Target t({LivenessTargetPath("default"), "bench", std::to_string(n)});
  GroundTruth g = ReadGroundTruth(t);
  ASSERT_GE(g.objects.size(), static_cast<size_t>(n));
  Attached a = AttachTo(LivenessTargetPath("default"), t.pid());
  ASSERT_TRUE(a.reader);
  auto all = Objects(g, true);

  std::mt19937_64 rng(42);
  auto measure = [&](std::vector<TrackedObject> objs, const char* label, bool shuffle) {
    if (shuffle) std::shuffle(objs.begin(), objs.end(), rng);
    double best = 1e9;
    CheckStats st;
    for (int rep = 0; rep < 5; rep++) {
      auto res = a.reader->Check(objs);
      ASSERT_TRUE(res.ok());
      if (a.reader->last_stats().seconds < best) {
        best = a.reader->last_stats().seconds;
        st = a.reader->last_stats();
      }
    }
    const double per100k = best * 1e3 * 100000.0 / objs.size();
    std::printf("[ bench ] %-28s %8zu objects: %7.2f ms (%.2f ms per 100,000), %lu spans, "
                "%lu syscalls, %.1f MiB read\n",
                label, objs.size(), best * 1e3, per100k, (unsigned long)st.spans,
                (unsigned long)st.syscalls, st.bytes_read / 1048576.0);
  };
  std::vector<TrackedObject> sample(all.begin(), all.end());
  std::shuffle(sample.begin(), sample.end(), rng);
  sample.resize(std::min<size_t>(100000, sample.size()));
  measure(sample, "random 100k, unsorted", false);
  std::sort(sample.begin(), sample.end(),
            [](const TrackedObject& x, const TrackedObject& y) { return x.addr < y.addr; });
  measure(sample, "random 100k, sorted", false);
  measure(all, "all, in allocation order", false);
  measure(all, "all, shuffled", true);

  // And the answers are right.
  auto res = a.reader->Check(all);
  ASSERT_TRUE(res.ok());
  ExpectExact(g, *res, "bench");
}

}  // namespace
}  // namespace goretain
