// SPDX-License-Identifier: GPL-2.0
/* goretain's exec watcher: follows what starts later in the selected cgroups.
 *
 * One BTF tracepoint on sched_process_exec (fires once per successful execve, after the new
 * image is mapped, in the context of the exec'ing task). The filter runs in the kernel: the
 * task's cgroup v2 ID and those of its ancestors are looked up in `watched_cgroups` (filled by
 * userspace), so execs elsewhere on the host cost one hash lookup per level and send nothing.
 * A match sends {tgid, cgroup id} through a small ring buffer; userspace then checks whether
 * the executable is Go and attaches (userspace/session/process_follower.cpp).
 * Reads no user memory, writes none.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "exec_watch.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct gr_exec_config exec_cfg = {.watch_all = 0};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10); /* execs are rare: 10,000 records */
} exec_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GR_MAX_WATCHED_CGROUPS);
	__type(key, __u64);
	__type(value, __u8);
} watched_cgroups SEC(".maps");

/* Execs that matched but found the ring buffer full (userspace logs them; never fatal). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} exec_dropped SEC(".maps");

/* The selected cgroup the current task is in (its own or an ancestor's ID), or 0. */
static __always_inline __u64 matched_cgroup(__u64 own)
{
	if (bpf_map_lookup_elem(&watched_cgroups, &own))
		return own;
	for (int level = 1; level < GR_EXEC_MAX_LEVELS; level++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(level);
		if (id == 0 || id == own)
			break; /* above the task's own level (0), or reached it */
		if (bpf_map_lookup_elem(&watched_cgroups, &id))
			return id;
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(gr_exec_watch, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 own = bpf_get_current_cgroup_id();
	__u64 matched = exec_cfg.watch_all ? 0 : matched_cgroup(own);
	if (!exec_cfg.watch_all && matched == 0)
		return 0;
	struct gr_exec_event e = {
		.tgid = (__u32)(bpf_get_current_pid_tgid() >> 32),
		.cgroup_id = own,
		.matched_id = matched,
	};
	if (bpf_ringbuf_output(&exec_events, &e, sizeof(e), 0)) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&exec_dropped, &zero);
		if (n)
			(*n)++;
	}
	return 0;
}
