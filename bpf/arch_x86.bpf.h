/* amd64 register access for Go code (ABIInternal, Go 1.17+).
 *
 * Everything that names a register lives here, so a second architecture is one more header.
 * Integer arguments: RAX, RBX, RCX, RDI, RSI, R8, R9, R10, R11. Current goroutine: R14.
 */
#ifndef GORETAIN_BPF_ARCH_X86_BPF_H
#define GORETAIN_BPF_ARCH_X86_BPF_H

#include "vmlinux.h"

/* Copies the first GR_NUM_ARGS integer argument registers. Constant indices only: the verifier
 * rejects a context access at a computed offset. */
static __always_inline void go__read_args(const struct pt_regs *regs, __u64 *args)
{
	args[0] = regs->ax;
	args[1] = regs->bx;
	args[2] = regs->cx;
	args[3] = regs->di;
	args[4] = regs->si;
}

/* Copies every general-purpose register, in enum gr_reg order (constant offsets only). */
static __always_inline void go__read_regs(const struct pt_regs *regs, __u64 *out)
{
	out[0] = regs->ax;  out[1] = regs->bx;  out[2] = regs->cx;  out[3] = regs->dx;
	out[4] = regs->si;  out[5] = regs->di;  out[6] = regs->bp;  out[7] = regs->sp;
	out[8] = regs->r8;  out[9] = regs->r9;  out[10] = regs->r10; out[11] = regs->r11;
	out[12] = regs->r12; out[13] = regs->r13; out[14] = regs->r14; out[15] = regs->r15;
}

static __always_inline __u64 go__g(const struct pt_regs *regs) { return regs->r14; }
static __always_inline __u64 go__sp(const struct pt_regs *regs) { return regs->sp; }
static __always_inline __u64 go__fp(const struct pt_regs *regs) { return regs->bp; }
/* The probed instruction's address (the kernel sets it before calling uprobe handlers). */
static __always_inline __u64 go__ip(const struct pt_regs *regs) { return regs->ip; }
/* Length of the `CALL rel32` a GR_PROBE_AT_CALL probe sits on. */
#define GO_CALL_REL32_LEN 5

/* True if a JBE/JNA at the probed instruction will be taken: CF=1 or ZF=1. */
static __always_inline bool go__jbe_taken(const struct pt_regs *regs)
{
	const __u64 cf = 1u << 0, zf = 1u << 6;
	return (regs->flags & (cf | zf)) != 0;
}

#endif /* GORETAIN_BPF_ARCH_X86_BPF_H */
