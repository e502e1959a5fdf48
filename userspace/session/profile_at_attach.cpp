#include "userspace/session/profile_at_attach.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "userspace/analysis/before_attach.h"
#include "userspace/process/profile_buckets.h"
#include "userspace/process/profile_rate_writer.h"

namespace goretain {
namespace {

Error SamplingOff(const std::string& exe, pid_t pid) {
  return MakeError(ErrorCode::kBadInput,
                   fmt::format("{} (pid {}) runs with runtime.MemProfileRate = 0 (it never "
                               "references runtime.MemProfile, so its linker disabled heap "
                               "profiling): --sample would see nothing (hint: add "
                               "--enable-sampling to set the rate to 524288 in the target, or "
                               "trace without --sample)", exe, pid));
}

// --sample with MemProfileRate 0: refuse, or set the rate once (--enable-sampling).
Status EnsureSampling(pid_t pid, const TracedBinary& traced, const ProfileLayout& layout,
                      uint64_t bias, const TraceOptions& opts, int64_t* rate) {
  if (!opts.sample || *rate != 0) return Ok{};
  if (opts.enable_sampling_bytes == 0) return SamplingOff(traced.exe_path, pid);
  if (auto s = WriteMemProfileRate(pid, layout, bias, 0, opts.enable_sampling_bytes); !s) {
    return s;
  }
  fmt::print(stderr, "goretain: --enable-sampling: set runtime.MemProfileRate of pid {} from 0 to "
                     "{} (the runtime now samples its heap; goretain writes nothing else)\n",
             pid, opts.enable_sampling_bytes);
  *rate = opts.enable_sampling_bytes;
  return Ok{};
}

std::string Note(const BeforeAttachSource& s) {
  if (s.mem_profile_rate == 0) {
    return s.profile_reader_linked
               ? "the target's runtime.MemProfileRate is 0: it recorded no heap profile"
               : "the target never references runtime.MemProfile, so its runtime ran with "
                 "MemProfileRate 0 and recorded no heap profile";
  }
  return fmt::format("retained before goretain attached, per call site, from the target's own "
                     "heap profile ({} buckets, as of its last GC) at MemProfileRate {}: estimates "
                     "unsampled as pprof does{}; never added into the traced figures",
                     s.buckets, s.mem_profile_rate,
                     s.mem_profile_rate == 1 ? " (rate 1: exact)" : ", raw sample counts beside");
}

}  // namespace

Result<std::optional<ProfileAtAttach>> ReadProfileAtAttach(pid_t pid, const TracedBinary& traced,
                                                           uint64_t load_bias,
                                                           const TraceOptions& opts) {
  auto layout = ProfileLayout::For(*traced.binary);
  if (!layout) {
    if (opts.sample) return layout.error();
    spdlog::warn("pid {}: no before-attach figures: {}", pid, layout.error().message);
    return std::optional<ProfileAtAttach>{};
  }
  auto snapshot = ReadProfileBuckets(pid, *layout, load_bias);
  if (!snapshot) {
    if (opts.sample || snapshot.error().code == ErrorCode::kNotFound) return snapshot.error();
    spdlog::warn("pid {}: no before-attach figures: {}", pid, snapshot.error().message);
    return std::optional<ProfileAtAttach>{};
  }
  ProfileAtAttach p;
  p.source.pid = pid;
  p.source.mem_profile_rate = snapshot->mem_profile_rate;
  p.source.profile_reader_linked = layout->profile_reader_linked;
  p.source.buckets = snapshot->buckets.size();
  p.source.truncated = snapshot->truncated;
  p.source.note = Note(p.source);
  spdlog::debug("pid {}: heap profile at attach: rate {}, {} buckets, {} reads, {} bytes", pid,
                snapshot->mem_profile_rate, snapshot->buckets.size(), snapshot->syscalls,
                snapshot->bytes_read);
  p.rows = BeforeAttachRows(*traced.binary, traced.exe_path, *snapshot);
  int64_t rate = snapshot->mem_profile_rate;
  if (auto s = EnsureSampling(pid, traced, *layout, load_bias, opts, &rate); !s) return s.error();
  p.rate_now = rate;
  return std::optional<ProfileAtAttach>(std::move(p));
}

Status CheckSamplingAtLaunch(const TracedBinary& traced, const TraceOptions& opts) {
  if (!opts.sample) return Ok{};
  auto layout = ProfileLayout::For(*traced.binary);
  if (!layout) return layout.error();
  if (layout->profile_reader_linked) return Ok{};
  return MakeError(ErrorCode::kBadInput,
                   fmt::format("{} never references runtime.MemProfile, so its runtime will run "
                               "with runtime.MemProfileRate = 0 and --sample would see nothing "
                               "(hint: start it, then attach with --pid PID --sample "
                               "--enable-sampling; or trace without --sample)", traced.exe_path));
}

}  // namespace goretain
