#include "userspace/output/report_writer.h"

#include <errno.h>
#include <fmt/format.h>

#include <cstring>

#include "userspace/output/json.h"
#include "userspace/output/table.h"

namespace goretain {

Result<std::unique_ptr<ReportWriter>> ReportWriter::Open(const std::string& path,
                                                         OutputFormat format, size_t top) {
  FILE* out = stdout;
  if (!path.empty()) {
    out = fopen(path.c_str(), "w");
    if (!out) {
      return MakeError(ErrorCode::kBadInput, fmt::format("cannot write {}: {}", path, strerror(errno)));
    }
  }
  return std::unique_ptr<ReportWriter>(new ReportWriter(out, format, top));
}

ReportWriter::~ReportWriter() {
  if (out_ != stdout) fclose(out_);
}

Status ReportWriter::Write(const Report& r) {
  const std::string text = format_ == OutputFormat::kJson ? RenderJson(r, top_)
                                                          : RenderTable(r, top_) + "\n";
  if (fwrite(text.data(), 1, text.size(), out_) != text.size() || fflush(out_) != 0) {
    return MakeError(ErrorCode::kIo, fmt::format("writing the report: {}", strerror(errno)));
  }
  return Ok{};
}

}  // namespace goretain
