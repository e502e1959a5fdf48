/* amd64 register access for Go code (ABIInternal, Go 1.17+).
 *
 * Everything that names a register lives here, so a second architecture is one more header.
 * Integer arguments: RAX, RBX, RCX, RDI, RSI, R8, R9, R10, R11. Current goroutine: R14.
 */
#ifndef GORETAIN_BPF_ARCH_X86_BPF_H
#define GORETAIN_BPF_ARCH_X86_BPF_H

#include "vmlinux.h"

static __always_inline __u64 go__arg(const struct pt_regs *regs, unsigned int i)
{
	switch (i) {
	case 0: return regs->ax;
	case 1: return regs->bx;
	case 2: return regs->cx;
	case 3: return regs->di;
	case 4: return regs->si;
	default: return 0;
	}
}

static __always_inline __u64 go__g(const struct pt_regs *regs) { return regs->r14; }
static __always_inline __u64 go__sp(const struct pt_regs *regs) { return regs->sp; }
static __always_inline __u64 go__fp(const struct pt_regs *regs) { return regs->bp; }

/* True if a JBE/JNA at the probed instruction will be taken: CF=1 or ZF=1. */
static __always_inline bool go__jbe_taken(const struct pt_regs *regs)
{
	const __u64 cf = 1u << 0, zf = 1u << 6;
	return (regs->flags & (cf | zf)) != 0;
}

#endif /* GORETAIN_BPF_ARCH_X86_BPF_H */
