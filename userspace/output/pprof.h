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

// Which view a profile opens in, as Go's /debug/pprof endpoints: kHeap leaves
// default_sample_type unset (tools pick inuse_space), unless no row has retained figures
// (--no-retained: alloc_space); kAllocs is the same data with default_sample_type alloc_space.
enum class PprofView { kHeap, kAllocs };

// The serialized Profile message, uncompressed.
std::string RenderPprofProto(const Report& r, PprofView view = PprofView::kHeap);

// What goes on disk or over HTTP (--listen): RenderPprofProto gzip-compressed, in memory (the
// format requires gzip).
std::string RenderPprof(const Report& r, PprofView view = PprofView::kHeap);

}  // namespace goretain
