// pprof: a report as a heap profile that `go tool pprof` reads as it reads Go's own (sample types
// alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes; period_type
// space/bytes, period 1: exact counts, nothing sampled).
//
// One sample per call-site row: its stack as Locations (real PCs in the executable's ELF vaddr
// space, inlined frames as several Lines of one Location), its figures as values (alloc_objects =
// the row's heap objects, inuse = retained after the last checked GC, 0 where unknown), and string
// labels kind, type (when known) and leak=true (only for leaking rows). One Mapping per executable
// (path, build ID, code segment; every has_* flag set: pprof trusts the Lines and does not
// re-symbolize).
#pragma once

#include <string>

#include "userspace/model/report.h"

namespace goretain {

// The serialized Profile message, uncompressed.
std::string RenderPprofProto(const Report& r);

// What goes on disk: RenderPprofProto gzip-compressed (the format requires it).
std::string RenderPprof(const Report& r);

}  // namespace goretain
