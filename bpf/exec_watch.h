/* Types shared by bpf/exec_watch.bpf.c and userspace/kernel/exec_watcher.cpp.
 *
 * The exec watcher tells userspace that a process in a selected cgroup (or anywhere, in
 * "all" mode) has just replaced its image with execve: a new executable that may be a Go
 * program to attach to. Plain C, fixed-width types; userspace static_asserts the layout.
 */
#ifndef GORETAIN_BPF_EXEC_WATCH_H
#define GORETAIN_BPF_EXEC_WATCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Selected cgroups (cgroup v2 IDs) at most. */
#define GR_MAX_WATCHED_CGROUPS 4096
/* Cgroup levels above the exec'ing task that are compared with the selection: a pod selected
 * by its cgroup also covers its containers' cgroups and crun's `/container` child. */
#define GR_EXEC_MAX_LEVELS 32

struct gr_exec_config {
	__u32 watch_all; /* 1: report every exec on the host (goretain agent --all) */
	__u32 pad;
};

struct gr_exec_event {
	__u32 tgid;        /* initial-PID-namespace TGID of the process that exec'd */
	__u32 pad;
	__u64 cgroup_id;   /* its cgroup v2 ID */
	__u64 matched_id;  /* the selected cgroup it is in (itself or an ancestor); 0 with watch_all */
};

#endif
