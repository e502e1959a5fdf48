// ReportWriter: where reports go (stdout, or files checked once before tracing starts) and in which
// rendering. The only place goretain writes a report. One writer can feed several outputs (one
// run, e.g. a pprof profile and a JSON report of the same figures).
#pragma once

#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "symbols/result.h"
#include "userspace/model/report.h"

namespace goretain {

enum class OutputFormat { kTable, kJson, kPprof };

class ReportWriter {
 public:
  // `path` empty: stdout (not for pprof: a binary profile needs a file). Errors: kBadInput
  // ("cannot write PATH: REASON").
  //
  // pprof paths: "DIR/" writes DIR/profile.N.pb.gz for the Nth report (1, 2, ...); a path with
  // "%d" puts N there; any other path is rewritten with each report (the latest cumulative one).
  static Result<std::unique_ptr<ReportWriter>> Open(const std::string& path, OutputFormat format,
                                                    size_t top);
  // A writer with no output yet: reports go only where Also() adds (goretain top, whose screen
  // shows them, writes a report only to the files of -o).
  static std::unique_ptr<ReportWriter> WithoutOutputs(size_t top);
  // One more output for the same reports; same contract as Open.
  Status Also(const std::string& path, OutputFormat format);
  ~ReportWriter();
  ReportWriter(const ReportWriter&) = delete;
  ReportWriter& operator=(const ReportWriter&) = delete;

  // Renders and flushes one report to every output (JSON: one line). Errors: kIo.
  Status Write(const Report& report);

 private:
  struct Sink {
    OutputFormat format;
    FILE* out = nullptr;        // text formats: stdout, or a file this writer owns
    std::string path_pattern;  // pprof: where the Nth profile goes (see Open)
  };
  explicit ReportWriter(size_t top) : top_(top) {}
  Status WriteProfile(const Sink& sink, const Report& report);

  std::vector<Sink> sinks_;
  size_t top_;
  int reports_written_ = 0;
};

}  // namespace goretain
