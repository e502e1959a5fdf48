// ReportWriter: where reports go (stdout, or a file opened once before tracing starts) and in which
// rendering. The only place goretain writes a report.
#pragma once

#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>

#include "symbols/result.h"
#include "userspace/model/report.h"

namespace goretain {

enum class OutputFormat { kTable, kJson };

class ReportWriter {
 public:
  // `path` empty: stdout. Errors: kBadInput ("cannot write PATH: REASON").
  static Result<std::unique_ptr<ReportWriter>> Open(const std::string& path, OutputFormat format,
                                                    size_t top);
  ~ReportWriter();
  ReportWriter(const ReportWriter&) = delete;
  ReportWriter& operator=(const ReportWriter&) = delete;

  // Renders and flushes one report (JSON: one line). Errors: kIo.
  Status Write(const Report& report);

 private:
  ReportWriter(FILE* out, OutputFormat format, size_t top) : out_(out), format_(format), top_(top) {}
  FILE* out_;  // stdout, or a file this writer owns
  OutputFormat format_;
  size_t top_;
};

}  // namespace goretain
