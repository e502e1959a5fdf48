// Helpers of the retention tests (leak_signal_test.cpp, retention_traps_test.cpp): the markers of a scenario's
// source, the runtime's own figure for one, and traced runs of scenarios, several at once.
#pragma once

#include <string>
#include <vector>

#include "harness.h"
#include "markers.h"

namespace e2e {

// The inuse_bytes the target's own heap profile (tests/targets/internal/groundtruth) gives the
// marker's line.
int64_t InuseBytes(const json& profile, const Marker& m);

// One leak scenario's reports (one a second) against `truth`, its own heap profile: every
// `// want: ... leak` line is judged, its retained bytes equal the runtime's inuse bytes there
// (1%), every steady leaker holding >= 256 KiB is flagged, and at least one line is flagged.
void ExpectLeaksFlagged(const std::string& target, const std::vector<json>& reports,
                        const json& truth);

// One trap's reports (tests/targets/traps -trap NAME) against `truth`, its own heap profile: at
// every marked line retained bytes equal the runtime's inuse bytes (1%), the lines hold something
// and most of what they allocated died; with `never_flagged`, no line is ever flagged.
void ExpectTrapRetainedEqualsInuse(const std::string& trap, const std::vector<json>& reports,
                                   const json& truth, bool never_flagged);

// One retention scenario: a program (tests/targets/<target>) with its own flags, traced for
// `seconds`.
struct Scenario {
  std::string name;  // for messages and its directory; unique within one run
  std::string target;
  std::vector<std::string> extra;
  int seconds;
  std::vector<std::string> goretain_extra = {};  // more goretain options (--sample)
};

// Starts `target` (with `extra` flags) with frequent GCs (GOGC=20: the runtime's 4 MiB minimum
// heap would otherwise allow few cycles in a short test), traces it with --retained and a
// report every second for `seconds`, checks that the program was unharmed, and returns the
// reports.
std::vector<json> TraceScenario(const TempDir& tmp, const std::string& target,
                                const std::vector<std::string>& extra, int seconds);

// The fixture of tests that run several scenarios.
class ScenariosTest : public E2ETest {
 protected:
  // A directory of the scenario's own (for its profile files), under tmp_.
  fs::path ScenarioDir(const std::string& name);
  // Runs every scenario at the same time, each program traced by its own goretain, as
  // TraceScenario does for one: the scenarios mostly wait out their windows, so their windows
  // overlap instead of adding up. Each gate opens as soon as its goretain's probes are attached.
  // Returns each scenario's reports, in order (none for a scenario whose goretain did not
  // attach: that failure is recorded, and the caller's own checks fail on it too).
  std::vector<std::vector<json>> TraceScenarios(const std::vector<Scenario>& scenarios);
};

}  // namespace e2e
