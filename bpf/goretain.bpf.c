// SPDX-License-Identifier: GPL-2.0
/* goretain's uprobe programs: one generic handler for every probed Go runtime allocation function.
 *
 * Attach contract (userspace/bpf_tracer.cpp): each uprobe carries a BPF cookie that indexes
 * `probe_specs`; the spec says which runtime function it is, where its type argument is, and
 * whether the probe sits on the stack-check JBE (see bpf/goretain.h). The program:
 *   1. keeps only processes listed in `targets` (one attach per executable serves many PIDs),
 *   2. drops the hit when the stack-check branch will be taken (the call restarts after
 *      morestack and is counted then: never twice),
 *   3. copies the argument registers, reads the type descriptor's size fields, walks the frame
 *      pointer chain for the call stack, and sends one gr_event through the ring buffer.
 * It never writes to user memory and never uses uretprobes (Go moves stacks).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "goretain.h"
#include "arch_x86.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct gr_config cfg = {
	.stack_depth = 8,
	.extra_frames = 0,
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 << 20); /* resized by userspace before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GR_MAX_PROBES);
	__type(key, __u32);
	__type(value, struct gr_probe_spec);
} probe_specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GR_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct gr_target);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GR_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Events waiting for their object's address, keyed by goroutine and allocation spec. A plain
 * (preallocated) hash is much cheaper per operation than an LRU one; it stays bounded because
 * keys are reused (a goroutine's next allocation at the same probe replaces its entry, and g
 * structs are recycled), and when it is full the event is sent at once, without an address. */
struct pending_key {
	__u64 g;
	__u32 spec;
	/* Processes of one executable share its probes and, being the same code, often the same
	 * g addresses: without the process in the key, one process's completion would take
	 * another's pending event. */
	__u32 tgid;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct pending_key);
	__type(value, struct gr_event);
} pending SEC(".maps");

/* Return addresses of calls whose result a completion probe reads (GR_PROBE_STASH_KNOWN_CALLERS). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GR_MAX_STASH_CALLERS);
	__type(key, struct gr_stash_caller);
	__type(value, __u8);
} stash_callers SEC(".maps");

/* Scratch space for building a variable-length event (too large for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gr_event);
} scratch SEC(".maps");

/* Wake the reader only when a quarter of the buffer is filled. */
static __always_inline __u64 ringbuf__wakeup_flag(void)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);

	return avail > size / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void counter__inc(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);
	if (c)
		*c += 1;
}

/* Reads the size and pointer-bytes of the descriptor that defines the allocation's size. */
static __always_inline void event__read_type(struct gr_event *e, const struct gr_probe_spec *spec)
{
	__u64 sized = e->type_ptr;
	__u64 words[2] = {};

	if (!sized)
		return;
	if (spec->sized_type_ptr_off >= 0) {
		if (bpf_probe_read_user(&sized, sizeof(sized), (void *)(e->type_ptr + spec->sized_type_ptr_off)) || !sized) {
			counter__inc(GR_COUNTER_READ_FAILED);
			return;
		}
	}
	if (bpf_probe_read_user(&words[0], sizeof(words[0]), (void *)(sized + spec->type_size_off)) ||
	    bpf_probe_read_user(&words[1], sizeof(words[1]), (void *)(sized + spec->type_ptrdata_off))) {
		counter__inc(GR_COUNTER_READ_FAILED);
		return;
	}
	e->sized_type_size = words[0];
	e->sized_type_ptrdata = words[1];
}

/* Copies the words of target memory the spec asks for (e.g. the map header). */
static __always_inline void event__read_deref(struct gr_event *e, const struct gr_probe_spec *spec)
{
	__u32 arg = spec->deref_arg;
	__u32 words = spec->deref_words;

	if (arg >= GR_NUM_ARGS || !e->args[arg])
		return;
	if (words > GR_NUM_DEREF)
		words = GR_NUM_DEREF;
	if (words == 0)
		return;
	if (bpf_probe_read_user(e->deref, words * sizeof(__u64), (void *)(e->args[arg] + spec->deref_off)))
		counter__inc(GR_COUNTER_READ_FAILED);
}

/* The call stack through the saved-BP chain: [BP] = caller's BP, [BP+8] = return PC.
 * At a function's entry (before it pushes BP) the return address is at [SP] and BP is already
 * the caller's frame; inside a body (GR_PROBE_MID_FUNCTION) the return address is at [BP+8]. */
static __always_inline bool in_runtime(const struct gr_probe_spec *spec, __u64 pc, __u64 bias)
{
	pc -= bias;
	return pc >= spec->runtime_lo && pc < spec->runtime_hi;
}

static __always_inline __u32 event__walk_stack(struct gr_event *e, const struct pt_regs *regs,
					       const struct gr_probe_spec *spec, __u64 bias)
{
	__u64 fp = go__fp(regs);
	__u32 depth = 0;
	/* The walk stops extra_frames after the first frame outside the runtime (the call site). */
	__u32 stop = GR_MAX_STACK;

	if (spec->flags & GR_PROBE_AT_CALL) {
		e->stack[0] = go__ip(regs) + GO_CALL_REL32_LEN;
	} else if (spec->flags & GR_PROBE_MID_FUNCTION) {
		__u64 frame[2];

		if (!fp || bpf_probe_read_user(frame, sizeof(frame), (void *)fp))
			return 0;
		e->stack[0] = frame[1];
		fp = frame[0];
	} else if (bpf_probe_read_user(&e->stack[0], sizeof(__u64), (void *)go__sp(regs))) {
		return 0;
	}
	depth = 1;
	if (!in_runtime(spec, e->stack[0], bias))
		stop = cfg.extra_frames;
	for (__u32 i = 1; i < GR_MAX_STACK; i++) {
		__u64 frame[2];

		if (i >= cfg.stack_depth || i > stop || !fp)
			break;
		if (bpf_probe_read_user(frame, sizeof(frame), (void *)fp) || !frame[1])
			break;
		e->stack[i] = frame[1];
		depth = i + 1;
		if (stop == GR_MAX_STACK && !in_runtime(spec, frame[1], bias))
			stop = i + cfg.extra_frames;
		if (frame[0] <= fp) /* stacks grow down: a caller's frame is always higher */
			break;
		fp = frame[0];
	}
	return depth;
}

static __always_inline void event__send(struct gr_event *e)
{
	__u32 depth = e->stack_depth;

	if (depth > GR_MAX_STACK) /* for the verifier */
		depth = GR_MAX_STACK;
	/* No wakeup per event (it costs more than the event): the reader polls on a short timer, and
	 * is woken only when the buffer fills up, or at once by a GC cycle (its liveness check
	 * should run before the next cycle) unless the probe says nothing waits on it. */
	bool wake = e->kind == GR_KIND_GC && !(e->flags & GR_PROBE_LAZY_WAKEUP);

	if (bpf_ringbuf_output(&events, e, GR_EVENT_HEADER_SIZE + depth * sizeof(__u64),
			       wake ? BPF_RB_FORCE_WAKEUP : ringbuf__wakeup_flag())) {
		counter__inc(GR_COUNTER_DROPPED);
		return;
	}
	counter__inc(GR_COUNTER_EMITTED);
}

/* How far SP is below the top of the goroutine's stack (g.stack.hi, the g's second word in every
 * Go release). Unlike SP itself this survives the runtime moving the stack to grow it (copystack
 * keeps every frame's distance from the top), which can happen between an allocation probe and
 * its completion (the allocator's prologue calls morestack). Raw SP if g cannot be read. */
static __always_inline __u64 go__stack_depth(__u64 g, __u64 sp)
{
	__u64 hi = 0;

	if (bpf_probe_read_user(&hi, sizeof(hi), (void *)(g + 8)) || hi < sp)
		return sp;
	return hi - sp;
}

/* mheap_.sweepgen now, tagged GR_SWEEPGEN_KNOWN; 0 if the target has none or it is unreadable. */
static __always_inline __u64 target__sweepgen(const struct gr_target *target)
{
	__u32 sg = 0;

	if (!target->sweepgen_addr ||
	    bpf_probe_read_user(&sg, sizeof(sg), (void *)target->sweepgen_addr))
		return 0;
	return GR_SWEEPGEN_KNOWN | sg;
}

/* A completion probe: the allocation's address is now in a register or stack slot. */
static __always_inline int event__complete(const struct pt_regs *regs,
					   const struct gr_probe_spec *spec,
					   const struct gr_target *target)
{
	struct pending_key key = {.g = go__g(regs), .spec = spec->pair,
				  .tgid = (__u32)(bpf_get_current_pid_tgid() >> 32)};
	struct gr_event *e = bpf_map_lookup_elem(&pending, &key);
	__u64 sp = go__sp(regs);
	__u64 value = 0;

	if (!e)
		return 0;
	/* Depths from the stack top: the caller's is frame_sp_delta smaller. */
	if ((spec->flags & GR_PROBE_SAME_FRAME) &&
	    e->call_sp != go__stack_depth(key.g, sp) + (__s64)spec->frame_sp_delta)
		return 0;
	if (spec->value_reg == GR_VALUE_IN_STACK) {
		if (bpf_probe_read_user(&value, sizeof(value),
					(void *)(sp + (__s64)spec->value_sp_off)))
			counter__inc(GR_COUNTER_READ_FAILED);
	} else {
		__u64 r[GR_NUM_REGS];
		__u32 idx = spec->value_reg;

		go__read_regs(regs, r);
		if (idx < GR_NUM_REGS)
			value = r[idx];
	}
	e->obj_addr = value;
	/* The GC epoch the object was born in: tells a survivor of the next cycle from a young
	 * object that reuses a freed slot. */
	e->alloc_sweepgen = target__sweepgen(target);
	event__send(e);
	counter__inc(GR_COUNTER_COMPLETED);
	bpf_map_delete_elem(&pending, &key);
	return 0;
}

/* The event's fields from the probe's registers and spec (everything but the stack). */
static __always_inline void event__fill(struct gr_event *e, struct pt_regs *regs,
					const struct gr_probe_spec *spec,
					const struct gr_target *target, __u64 pid_tgid)
{
	__u32 type_arg = spec->type_arg;

	e->ts_ns = bpf_ktime_get_ns();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->goroutine = go__g(regs);
	e->kind = spec->kind;
	e->func = spec->func;
	e->abi = spec->abi;
	go__read_args(regs, e->args);
	e->type_ptr = 0;
	if (type_arg < GR_NUM_ARGS)
		e->type_ptr = e->args[type_arg];
	e->sized_type_size = 0;
	e->sized_type_ptrdata = 0;
	e->obj_addr = 0;
	e->call_sp = 0;
	if (spec->flags & GR_PROBE_STASH)
		e->call_sp = go__stack_depth(e->goroutine, go__sp(regs));
	e->alloc_sweepgen = 0;
	/* A GC event carries mheap_.sweepgen as marking ends: the cycle's sweep has begun once it
	 * has moved on, and only then do the heap's bits describe the cycle (see RetentionTracker). */
	if (spec->kind == GR_KIND_GC)
		e->alloc_sweepgen = target__sweepgen(target);
	e->flags = spec->flags;
	e->pad = 0;
	__builtin_memset(e->deref, 0, sizeof(e->deref));
	event__read_type(e, spec);
	event__read_deref(e, spec);
}

/* An event whose address a completion probe will supply waits in `pending`; the others (and
 * those from callers without a completion) are sent now. */
static __always_inline void event__stash_or_send(struct gr_event *e,
						 const struct gr_probe_spec *spec, __u32 spec_idx,
						 const struct gr_target *target)
{
	if (spec->flags & GR_PROBE_STASH_KNOWN_CALLERS) {
		struct gr_stash_caller caller = {.spec = spec_idx, .ret_vaddr = e->stack[0] - target->load_bias};

		if (!bpf_map_lookup_elem(&stash_callers, &caller)) {
			event__send(e); /* no completion in this caller */
			return;
		}
	}
	if (spec->flags & GR_PROBE_STASH) {
		struct pending_key key = {.g = e->goroutine, .spec = spec_idx, .tgid = e->pid};
		struct gr_event *old = bpf_map_lookup_elem(&pending, &key);

		if (old) { /* its completion never came: send it without an address */
			event__send(old);
			counter__inc(GR_COUNTER_UNCOMPLETED);
		}
		if (bpf_map_update_elem(&pending, &key, e, BPF_ANY))
			event__send(e); /* full: no address for this one */
		return;
	}
	event__send(e);
}

SEC("uprobe")
int gr_alloc_probe(struct pt_regs *regs)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	__u32 spec_idx, zero = 0;
	struct gr_probe_spec *spec;
	struct gr_target *target;
	struct gr_event *e;

	target = bpf_map_lookup_elem(&targets, &tgid);
	if (!target)
		return 0;
	spec_idx = (__u32)bpf_get_attach_cookie(regs);
	spec = bpf_map_lookup_elem(&probe_specs, &spec_idx);
	if (!spec || !spec->kind)
		return 0;
	if (spec->flags & GR_PROBE_COMPLETES) {
		event__complete(regs, spec, target);
		if (!(spec->flags & GR_PROBE_THEN_ALLOCATES))
			return 0;
	}
	if ((spec->flags & GR_PROBE_ON_STACK_CHECK_JBE) && go__jbe_taken(regs)) {
		counter__inc(GR_COUNTER_MORESTACK);
		return 0;
	}
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	event__fill(e, regs, spec, target, pid_tgid);
	e->stack_depth = 0;
	if (!(spec->flags & GR_PROBE_NO_STACK))
		e->stack_depth = event__walk_stack(e, regs, spec, target->load_bias);
	event__stash_or_send(e, spec, spec_idx, target);
	return 0;
}
