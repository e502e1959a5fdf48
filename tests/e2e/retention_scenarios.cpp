#include "retention_scenarios.h"

#include <fstream>
#include <regex>

namespace e2e {

std::vector<Marker> Markers(const std::string& target, const std::string& prefix) {
  std::ifstream in(TargetSource(target));
  const std::regex want(R"(// want: (\S+) (\S+)( steps)?)");
  std::vector<Marker> out;
  std::string text;
  for (int n = 1; std::getline(in, text); n++) {
    std::smatch m;
    if (std::regex_search(text, m, want) && m[2].str().rfind(prefix, 0) == 0) {
      out.push_back({m[1], m[2], WantFunction(target, m[1], m[2]), n, m[3].matched});
    }
  }
  return out;
}

int64_t InuseBytes(const json& profile, const Marker& m) {
  int64_t inuse = 0;
  for (const auto& s : profile) {
    if (s["line"] == m.line && s["function"] == m.function) inuse += s["inuse_bytes"].get<int64_t>();
  }
  return inuse;
}

std::vector<json> TraceScenario(const TempDir& tmp, const std::string& target,
                                const std::vector<std::string>& extra, int seconds) {
  const fs::path go = tmp / "go", out = tmp / "reports.jsonl";
  std::vector<std::string> argv = {"/usr/bin/env", "GOGC=20", Target(target), "-wait", go.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Process program(argv);
  Process gr({GoretainBin(), "--retained", "--pid", std::to_string(program.pid()), "--format", "json",
              "--interval", "1", "--duration", std::to_string(seconds), "--output", out.string()});
  EXPECT_TRUE(gr.WaitForStderr("probes attached")) << gr.Describe();
  Touch(go);
  EXPECT_EQ(gr.Wait(std::chrono::seconds(seconds + 20)), 0) << gr.Describe();
  EXPECT_TRUE(program.Running()) << "tracing harmed the program\n" << program.Describe();
  program.Signal(SIGTERM);
  EXPECT_EQ(program.Wait(), 0) << program.Describe();
  return ParseReports(ReadFile(out));
}

}  // namespace e2e
