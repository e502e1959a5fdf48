#include "userspace/output/report_writer.h"

#include <errno.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstring>

#include "userspace/output/html.h"
#include "userspace/output/json.h"
#include "userspace/output/pprof.h"
#include "userspace/output/table.h"

namespace goretain {
namespace {

Error CannotWrite(const std::string& path, const char* reason) {
  return MakeError(ErrorCode::kBadInput, fmt::format("cannot write {}: {}", path, reason));
}

// "DIR/" -> "DIR/profile.%d.pb.gz"; a pattern with "%d" or a plain path unchanged.
std::string ProfilePattern(const std::string& path) {
  return path.ends_with('/') ? path + "profile.%d.pb.gz" : path;
}

// The file of the `n`th profile (1-based).
std::string ProfilePath(const std::string& pattern, int n) {
  std::string p = pattern;
  if (size_t at = p.find("%d"); at != std::string::npos) p.replace(at, 2, std::to_string(n));
  return p;
}

// Fails early, before tracing, if the profiles could not be written where asked.
Status CheckProfilePath(const std::string& path) {
  if (path.empty()) {
    return MakeError(ErrorCode::kBadInput,
                     "--format pprof writes a binary profile: give -o FILE (or -o DIR/)");
  }
  const std::string pattern = ProfilePattern(path);
  if (pattern.find("%d") != std::string::npos) {
    const size_t slash = pattern.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : pattern.substr(0, slash + 1);
    if (access(dir.c_str(), W_OK) != 0) return CannotWrite(dir, strerror(errno));
    return Ok{};
  }
  FILE* f = fopen(path.c_str(), "w");
  if (!f) return CannotWrite(path, strerror(errno));
  fclose(f);
  return Ok{};
}

}  // namespace

Result<std::unique_ptr<ReportWriter>> ReportWriter::Open(const std::string& path,
                                                         OutputFormat format, size_t top) {
  std::unique_ptr<ReportWriter> w(new ReportWriter(top));
  if (auto s = w->Also(path, format); !s) return s.error();
  return w;
}

std::unique_ptr<ReportWriter> ReportWriter::WithoutOutputs(size_t top) {
  return std::unique_ptr<ReportWriter>(new ReportWriter(top));
}

Status ReportWriter::Also(const std::string& path, OutputFormat format) {
  if (format == OutputFormat::kHtml) {
    if (path.empty()) {
      return MakeError(ErrorCode::kBadInput,
                       "--format html writes one page, rewritten at each report: give -o FILE");
    }
    FILE* f = fopen(path.c_str(), "w");
    if (!f) return CannotWrite(path, strerror(errno));
    fclose(f);
    sinks_.push_back(Sink{format, nullptr, path});
    return Ok{};
  }
  if (format == OutputFormat::kPprof) {
    if (auto s = CheckProfilePath(path); !s) return s;
    sinks_.push_back(Sink{format, nullptr, ProfilePattern(path)});
    return Ok{};
  }
  FILE* out = stdout;
  if (!path.empty()) {
    out = fopen(path.c_str(), "w");
    if (!out) return CannotWrite(path, strerror(errno));
  }
  sinks_.push_back(Sink{format, out, ""});
  return Ok{};
}

ReportWriter::~ReportWriter() {
  for (const Sink& s : sinks_) {
    if (s.out && s.out != stdout) fclose(s.out);
  }
}

Status ReportWriter::WriteProfile(const Sink& sink, const Report& r) {
  return WriteWhole(ProfilePath(sink.path_pattern, reports_written_), RenderPprof(r));
}

Status ReportWriter::WriteWhole(const std::string& path, const std::string& bytes) {
  // Written whole to a temporary file, then renamed: a reader never sees half a file.
  const std::string tmp = path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  bool ok = f && fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  if (f) ok = fclose(f) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    return MakeError(ErrorCode::kIo, fmt::format("writing {}: {}", path, strerror(errno)));
  }
  return Ok{};
}

Status ReportWriter::Write(const Report& r) {
  reports_written_++;
  for (const Sink& sink : sinks_) {
    if (sink.format == OutputFormat::kPprof) {
      if (auto s = WriteProfile(sink, r); !s) return s;
      continue;
    }
    if (sink.format == OutputFormat::kHtml) {
      if (auto s = WriteWhole(sink.path_pattern, RenderHtml(r)); !s) return s;
      continue;
    }
    bool written = true;
    auto put = [&](std::string_view text) {
      written = written && fwrite(text.data(), 1, text.size(), sink.out) == text.size();
    };
    if (sink.format == OutputFormat::kJson) {
      WriteJson(r, top_, put);  // streamed: the text of 10,000 rows is never whole in memory
    } else {
      put(RenderTable(r, top_) + "\n");
    }
    if (!written || fflush(sink.out) != 0) {
      return MakeError(ErrorCode::kIo, fmt::format("writing the report: {}", strerror(errno)));
    }
  }
  return Ok{};
}

}  // namespace goretain
