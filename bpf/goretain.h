/* Types shared by the BPF programs (bpf/goretain.bpf.c) and userspace (userspace/kernel/goretain_bpf.hpp).
 *
 * Plain C, fixed-width types only. Every struct here crosses the kernel/user boundary through a
 * map or the ring buffer; userspace static_asserts their sizes and offsets, so a change on one side
 * that is not made on the other fails the build instead of corrupting data.
 *
 * The Go ABI is data: userspace computes one gr_probe_spec per attach point (register holding the
 * type, offsets inside runtime type descriptors, whether the probe sits on the stack-check branch)
 * and the BPF program reads it by the attach cookie. Nothing Go-version-specific is compiled in.
 */
#ifndef GORETAIN_BPF_GORETAIN_H
#define GORETAIN_BPF_GORETAIN_H

#ifndef __VMLINUX_H__
#include <linux/types.h> /* userspace: __u32, __u64, ... */
#endif

/* Frames recorded per event at most; --stack-depth is capped to this. */
#define GR_MAX_STACK 32
/* Integer argument registers copied into every event (Go ABIInternal order). */
#define GR_NUM_ARGS 5
/* Attach points at most (all executables of a session): --retained adds a completion after each
 * call of runtime.makemap_small and runtime.makeslice, thousands in a large binary. */
#define GR_MAX_PROBES 65536
/* Call sites whose result a completion probe reads, at most (GR_PROBE_STASH_KNOWN_CALLERS). */
#define GR_MAX_STASH_CALLERS 131072
/* Processes traced at once at most. */
#define GR_MAX_TARGETS 4096

/* What a user asked about: the kind column of the report. */
enum gr_kind {
  GR_KIND_MAP_MAKE = 1,   /* make(map...) */
  GR_KIND_MAP_GROW = 2,   /* m[k] = v grew the map */
  GR_KIND_SLICE_GROW = 3, /* append grew the backing array */
  GR_KIND_GC = 4,         /* a garbage collection cycle completed (not a call site) */
  GR_KIND_SLICE_MAKE = 5, /* make([]T, n[, m]) on the heap */
  /* --sample: the runtime sampled a heap allocation (mProf_Malloc); userspace tells its kind
   * from the runtime frames of its stack. */
  GR_KIND_SAMPLE = 6,
  /* --sample: the sweeper freed a special record (freeSpecial); userspace keeps those of
   * profiled objects (deref[] holds the special's first words, with its kind byte). */
  GR_KIND_SAMPLE_FREE = 7,
};

/* General-purpose registers, as userspace names them to the BPF program (gr_probe_spec.value_reg). */
enum gr_reg {
  GR_REG_AX = 0, GR_REG_BX, GR_REG_CX, GR_REG_DX, GR_REG_SI, GR_REG_DI, GR_REG_BP, GR_REG_SP,
  GR_REG_R8, GR_REG_R9, GR_REG_R10, GR_REG_R11, GR_REG_R12, GR_REG_R13, GR_REG_R14, GR_REG_R15,
  GR_NUM_REGS,
};

/* Which runtime function an attach point belongs to; userspace interprets args[] by it. */
enum gr_func {
  GR_FUNC_MAKEMAP = 1,       /* makemap(t *maptype, hint int, h *hmap) *hmap */
  GR_FUNC_MAKEMAP_SMALL = 2, /* makemap_small() *hmap */
  GR_FUNC_MAKEMAP64 = 3,     /* makemap64(t *maptype, hint int64, h *hmap) *hmap */
  GR_FUNC_GROWSLICE = 4,     /* see GR_ABI_GROWSLICE_* */
  /* Classic maps: hashGrow(t *maptype, h *hmap) allocates the next bucket array. */
  GR_FUNC_HASHGROW = 5,
  /* Probes on a CALL instruction inside a runtime map function (GR_PROBE_MID_FUNCTION): the
   * registers hold the callee's arguments. */
  GR_FUNC_CALL_NEWOBJECT = 6, /* newobject(typ *_type) */
  GR_FUNC_CALL_NEWARRAY = 7,  /* newarray(typ *_type, n int) */
  GR_FUNC_CALL_MAKESLICE = 8, /* makeslice(et *_type, len, cap int) */
  GR_FUNC_CALL_NEWTABLE = 9,  /* maps.newTable(typ *abi.SwissMapType, capacity uint64, ...) */
  /* runtime.mapassign*(t, h, key): one map insert (--assigns). */
  GR_FUNC_MAPASSIGN = 10,
  /* go1.26+: an escaping append copied from its stack buffer to the heap. */
  GR_FUNC_MOVESLICE = 11,           /* moveSlice(et *_type, old, len, cap int) */
  GR_FUNC_MOVESLICE_NOSCAN = 12,    /* moveSliceNoScan(elemSize uintptr, old, len, cap int) */
  GR_FUNC_MOVESLICE_NOCAP = 13,     /* moveSliceNoCap(et *_type, old, len int) */
  GR_FUNC_MOVESLICE_NOCAP_NOSCAN = 14, /* moveSliceNoCapNoScan(elemSize uintptr, old, len int) */
  GR_FUNC_CALL_MALLOCGC = 15, /* mallocgc(size uintptr, typ *_type, needzero bool) */
  /* gcMarkTermination: once per GC cycle, when marking is complete. */
  GR_FUNC_GC_MARK_TERMINATION = 16,
  /* maps.newGroups(typ *abi.SwissMapType, length uint64): out of line only without inlining. */
  GR_FUNC_CALL_NEWGROUPS = 17,
  /* maps.NewMap(mt *abi.SwissMapType, hint uintptr, m *Map, maxAlloc uintptr): maps.Clone (1.24). */
  GR_FUNC_CALL_NEWMAP = 18,
  /* makeslice(et *_type, len, cap int) unsafe.Pointer: make([]T, len[, cap]) (makeslice64, for
   * int64 lengths on 32-bit targets, calls it). */
  GR_FUNC_MAKESLICE = 19,
  /* makeslicecopy(et *_type, tolen, fromlen int, from unsafe.Pointer): m := make([]T, n);
   * copy(m, s) of pointerful elements (pointer-free ones call mallocgc directly). */
  GR_FUNC_MAKESLICECOPY = 20,
  /* --sample: mProf_Malloc(p, size) up to go1.22, mProf_Malloc(mp, p, size) from go1.23. */
  GR_FUNC_MPROF_MALLOC = 21,
  /* --sample: freeSpecial(s *special, p unsafe.Pointer, size uintptr), every release. */
  GR_FUNC_FREE_SPECIAL = 22,
};

/* Argument layouts that changed between Go releases. */
enum gr_abi {
  GR_ABI_DEFAULT = 0,
  GR_ABI_GROWSLICE_117 = 1, /* go1.17-1.19: growslice(et, old slice, cap) */
  GR_ABI_GROWSLICE_120 = 2, /* go1.20+:     growslice(oldPtr, newLen, oldCap, num, et) */
};

enum gr_probe_flags {
  /* The probe sits on the conditional jump of the function's stack-bound check. If that jump is
   * taken, the function calls morestack and restarts from its entry: the call is counted on the
   * second pass, so the BPF program ignores this hit. */
  GR_PROBE_ON_STACK_CHECK_JBE = 1u << 0,
  /* The probe sits inside a function body, after its prologue: the caller's return address is
   * at [BP+8] (not at [SP]), and the frame-pointer walk starts from BP. */
  GR_PROBE_MID_FUNCTION = 1u << 1,
  /* The event waits in `pending` (keyed by goroutine and this spec) until a completion probe
   * supplies the allocated object's address; it is sent then. */
  GR_PROBE_STASH = 1u << 2,
  /* This probe only completes the pending event of spec `pair`: it reads the allocated object's
   * address from `value_reg` (or the stack slot [SP + value_sp_off]) and sends the event. */
  GR_PROBE_COMPLETES = 1u << 3,
  /* With GR_PROBE_COMPLETES: the pending event was made in this frame (its SP plus
   * frame_sp_delta is this SP), so an event from another frame is never completed here. */
  GR_PROBE_SAME_FRAME = 1u << 4,
  /* Userspace only (--retained): this event counts a call and its modelled bytes, but its objects
   * are tracked through GR_PROBE_TRACK_ONLY events (makemap's header, buckets and mapextra). */
  GR_PROBE_ACCOUNT_ONLY = 1u << 5,
  /* Userspace only: one object, already counted by a GR_PROBE_ACCOUNT_ONLY event; it is only
   * tracked for retention, under the kind of the runtime path that made it. */
  GR_PROBE_TRACK_ONLY = 1u << 6,
  /* With GR_PROBE_STASH on an entry probe: stash only calls whose return address is listed in
   * `stash_callers` (a caller with a completion probe); others are sent at once, without an
   * address, instead of waiting in `pending` for a completion that never comes. */
  GR_PROBE_STASH_KNOWN_CALLERS = 1u << 7,
  /* With GR_PROBE_COMPLETES: this probe then also makes an allocation event from its own
   * fields (a CALL that is the first emulated instruction after the previous allocation). */
  GR_PROBE_THEN_ALLOCATES = 1u << 8,
  /* The probe sits on a `CALL rel32` in the call site's own function (compiled code calling the
   * allocator directly): stack[0] is that CALL's return address, the walk goes on from BP. */
  GR_PROBE_AT_CALL = 1u << 9,
  /* A GC event of this probe does not wake the reader: nothing waits on it (--sample stages its
   * samples by event order, not by when the reader sees the cycle). A forced wakeup is work in
   * the target's own thread (irq_work, an IPI to the reader's CPU) once per cycle. */
  GR_PROBE_LAZY_WAKEUP = 1u << 10,
  /* The event needs no call stack (a free matched by address, a GC cycle): the frame-pointer
   * walk, a user-memory read per frame in the target's thread, is skipped (stack_depth 0). */
  GR_PROBE_NO_STACK = 1u << 11,
  /* Userspace only, on gr_event.flags: taken from `pending` when tracing stopped, before its
   * completion ran (an allocation in flight: counted, not judged). */
  GR_EVENT_FLUSHED = 1u << 31,
};

/* gr_event.alloc_sweepgen: set when the 32-bit sweepgen below it was read (0 is a valid one). */
#define GR_SWEEPGEN_KNOWN (1ull << 32)

/* gr_probe_spec.value_reg for a value in a stack slot rather than a register. */
#define GR_VALUE_IN_STACK 0xffu

/* Words of target memory an event can carry (see gr_probe_spec.deref_*). */
#define GR_NUM_DEREF 8

#define GR_NO_ARG 0xffu

/* One attach point. Indexed by the uprobe's BPF cookie in the `probe_specs` array map. */
struct gr_probe_spec {
  __u32 kind;       /* enum gr_kind */
  __u32 func;       /* enum gr_func */
  __u32 abi;        /* enum gr_abi */
  __u32 flags;      /* enum gr_probe_flags */
  /* args[type_arg] is the runtime type descriptor of the map or element (GR_NO_ARG: none). */
  __u8 type_arg;
  /* If deref_arg < GR_NUM_ARGS: copy deref_words words from args[deref_arg] + deref_off into
   * gr_event.deref (e.g. the hmap header at hashGrow). */
  __u8 deref_arg;
  __u8 deref_words;
  __u8 value_reg;   /* GR_PROBE_COMPLETES: enum gr_reg, or GR_VALUE_IN_STACK */
  /* If >= 0: the descriptor whose size is reported is the pointer at type + sized_type_ptr_off
   * (maptype.bucket for classic maps, MapType.Group for Swiss maps). If < 0: type itself. */
  __s32 sized_type_ptr_off;
  /* Offsets of size and pointer-bytes inside a runtime._type / abi.Type. */
  __u32 type_size_off;
  __u32 type_ptrdata_off;
  __u32 deref_off;
  __s32 value_sp_off; /* GR_PROBE_COMPLETES with GR_VALUE_IN_STACK: [SP + value_sp_off] */
  /* Link-time address range holding the Go runtime's code. The frame walk goes on while return
   * addresses (minus the process's load bias) fall inside it, i.e. until the first frame outside
   * the runtime: the call site. */
  __u64 runtime_lo;
  __u64 runtime_hi;
  __u32 pair;       /* GR_PROBE_COMPLETES: the spec index of the allocation probe it completes */
  /* GR_PROBE_SAME_FRAME: SP here is the allocation probe's SP plus this (0 in the same frame; 8
   * in the caller of a function probed at its entry, after its RET popped the return address).
   * Compared as depths below the goroutine's stack top (see gr_event.call_sp). */
  __s32 frame_sp_delta;
};

/* Key of the `stash_callers` set (see GR_PROBE_STASH_KNOWN_CALLERS). */
struct gr_stash_caller {
  __u32 spec;       /* the entry probe's spec index */
  __u32 pad;
  __u64 ret_vaddr;  /* link-time return address of a CALL to it (process address - load bias) */
};

/* Per-process state, keyed by tgid in the `targets` hash map. */
struct gr_target {
  __u64 load_bias;     /* process address - link-time address of its executable (0 unless PIE) */
  __u64 sweepgen_addr; /* process address of runtime.mheap_.sweepgen (uint32), 0 if unknown */
};

/* Global configuration, set in .rodata before load. */
struct gr_config {
  __u32 stack_depth;  /* frames to record at most, 1..GR_MAX_STACK */
  __u32 extra_frames; /* frames to record beyond the call site (--stack-depth) */
};

/* Ring buffer record. Variable length: only stack[0 .. stack_depth) is sent. */
struct gr_event {
  __u64 ts_ns;
  __u32 pid;         /* tgid */
  __u32 tid;
  __u64 goroutine;   /* the runtime g pointer (R14 on amd64) */
  __u32 kind;        /* enum gr_kind */
  __u32 func;        /* enum gr_func */
  __u32 abi;         /* enum gr_abi */
  __u32 stack_depth; /* valid entries in stack[] */
  __u64 args[GR_NUM_ARGS];
  __u64 type_ptr;    /* process address of the map/element type descriptor, 0 if none */
  __u64 sized_type_size;    /* size of the sized descriptor (element, bucket, group) */
  __u64 sized_type_ptrdata; /* its pointer bytes (0 = noscan) */
  __u64 obj_addr;    /* address of the allocated object, 0 when not known at this probe */
  __u64 deref[GR_NUM_DEREF]; /* target memory requested by the spec, zero if unreadable */
  /* GR_PROBE_STASH: g.stack.hi - SP at the allocation probe (matches a completion in the same
   * frame even if the goroutine's stack moved in between) */
  __u64 call_sp;
  /* GR_SWEEPGEN_KNOWN | mheap_.sweepgen right after the allocation (GC events: as marking
   * ended, before the cycle's sweep began), or 0 */
  __u64 alloc_sweepgen;
  __u32 flags;       /* the probe's gr_probe_flags */
  __u32 pad;
  /* stack[0] is the return address into the caller of the probed runtime function; deeper
   * entries follow the frame-pointer chain. */
  __u64 stack[GR_MAX_STACK];
};

#define GR_EVENT_HEADER_SIZE (sizeof(struct gr_event) - GR_MAX_STACK * sizeof(__u64))

/* Per-CPU counters, index into the `counters` array map. */
enum gr_counter {
  GR_COUNTER_EMITTED = 0,      /* events written to the ring buffer */
  GR_COUNTER_DROPPED = 1,      /* ring buffer full: event lost */
  GR_COUNTER_MORESTACK = 2,    /* hits skipped because morestack restarts the function */
  GR_COUNTER_READ_FAILED = 3,  /* a user-memory read failed (event still sent, fields zero) */
  GR_COUNTER_COMPLETED = 4,    /* pending events completed with their object's address */
  GR_COUNTER_UNCOMPLETED = 5,  /* pending events replaced before completion (sent without one) */
  GR_COUNTER_MAX = 6,
};

#endif /* GORETAIN_BPF_GORETAIN_H */
