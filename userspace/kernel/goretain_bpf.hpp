// C++ companion of bpf/goretain.h: layout checks for every type that crosses the kernel boundary.
// If a field is added on one side only, the build fails here instead of corrupting events.
#pragma once

#include <cstddef>

#include "goretain.h"

static_assert(sizeof(gr_probe_spec) == 64, "gr_probe_spec layout changed: update both sides");
static_assert(offsetof(gr_probe_spec, pair) == 56);
static_assert(offsetof(gr_probe_spec, type_arg) == 16);
static_assert(offsetof(gr_probe_spec, deref_arg) == 17);
static_assert(offsetof(gr_probe_spec, sized_type_ptr_off) == 20);
static_assert(offsetof(gr_probe_spec, deref_off) == 32);
static_assert(sizeof(gr_config) == 8);
static_assert(sizeof(gr_target) == 16);
static_assert(sizeof(gr_stash_caller) == 16);
static_assert(offsetof(gr_event, args) == 40);
static_assert(offsetof(gr_event, type_ptr) == 40 + 8 * GR_NUM_ARGS);
static_assert(offsetof(gr_event, deref) == offsetof(gr_event, obj_addr) + 8);
static_assert(offsetof(gr_event, stack) == GR_EVENT_HEADER_SIZE);
static_assert(sizeof(gr_event) == GR_EVENT_HEADER_SIZE + 8 * GR_MAX_STACK);
static_assert(GR_EVENT_HEADER_SIZE % 8 == 0, "ring buffer records must keep 8-byte alignment");
