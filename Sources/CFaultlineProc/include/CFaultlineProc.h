// Thin C glue for FaultlineProcShims.
//
// Why this target exists: Swift cannot call C variadic functions (ptrace(2)), cannot
// use function-like macros (WIFSTOPPED and friends), and glibc 2.36 has no wrappers for
// pidfd_open(2) / pidfd_send_signal(2). Everything here is a one-line forwarder; all
// logic lives in Swift. Every symbol is prefixed `fl_`.
#ifndef FAULTLINE_CFAULTLINEPROC_H
#define FAULTLINE_CFAULTLINEPROC_H

#include <stdint.h>
#include <sys/types.h>

/// A copy of x86_64 `struct user_regs_struct` (<sys/user.h>), so Swift sees named
/// fields on every architecture this file compiles on. The C file `_Static_assert`s
/// that the layout matches the kernel's on x86_64; on other architectures the clock
/// shim refuses before any of these are used.
typedef struct fl_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
    uint64_t rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
    uint64_t fs_base, gs_base, ds, es, fs, gs;
} fl_regs;

/// ptrace requests and options used by Faultline (values from <linux/ptrace.h>).
enum {
    FL_PTRACE_PEEKDATA = 2,
    FL_PTRACE_POKEDATA = 5,
    FL_PTRACE_CONT = 7,
    FL_PTRACE_SINGLESTEP = 9,
    FL_PTRACE_GETREGS = 12,
    FL_PTRACE_SETREGS = 13,
    FL_PTRACE_DETACH = 17,
    FL_PTRACE_SEIZE = 0x4206,
    FL_PTRACE_INTERRUPT = 0x4207,
    FL_PTRACE_EVENT_STOP = 128,
};

/// 1 when this file was compiled for x86_64 (the only architecture whose vDSO the
/// clock shim knows how to patch).
int fl_arch_is_x86_64(void);

/// pidfd_open(2) through syscall(2): glibc 2.36 has no wrapper. Returns -1 and sets errno.
int fl_pidfd_open(pid_t pid, unsigned int flags);

/// pidfd_send_signal(2) with no siginfo and no flags. Returns -1 and sets errno.
int fl_pidfd_send_signal(int pidfd, int sig);

/// ptrace(2) with all four arguments spelled out (glibc's prototype is variadic).
long fl_ptrace(int request, pid_t tid, uint64_t addr, uint64_t data);

/// PTRACE_GETREGS / PTRACE_SETREGS into / from the copied register struct.
int fl_ptrace_getregs(pid_t tid, fl_regs *regs);
int fl_ptrace_setregs(pid_t tid, const fl_regs *regs);

/// waitpid(2) with __WALL, so stops of non-leader threads (clone children) are seen.
pid_t fl_waitpid_all(pid_t tid, int *status, int nohang);

/// The wait-status macros, which are function-like macros Swift cannot import.
int fl_wifexited(int status);
int fl_wifsignaled(int status);
int fl_wifstopped(int status);
int fl_wexitstatus(int status);
int fl_wtermsig(int status);
int fl_wstopsig(int status);
/// The ptrace event number in the upper bits of a stop status (0 if none).
int fl_wptrace_event(int status);

/// tgkill(2): re-raises, after PTRACE_DETACH, a signal a tracee received while it was
/// stopped for patching (glibc < 2.30 has no wrapper).
int fl_tgkill(pid_t tgid, pid_t tid, int sig);

/// setns(2); declared by glibc only under _GNU_SOURCE, which Swift's Glibc module lacks.
int fl_setns(int fd, int nstype);

/// getauxval(AT_SYSINFO_EHDR): the vDSO base of this process, 0 if it has none.
uint64_t fl_vdso_base(void);

/// The clock trampoline blob (clock_trampoline.S): its bytes and the offsets of its
/// data words and entry points inside it. Length 0 on architectures other than x86_64.
const uint8_t *fl_clock_trampoline_bytes(void);
uint64_t fl_clock_trampoline_length(void);
enum {
    FL_TRAMPOLINE_ENTRY_CLOCK_GETTIME = 0,
    FL_TRAMPOLINE_ENTRY_GETTIMEOFDAY = 1,
    FL_TRAMPOLINE_ENTRY_TIME = 2,
};
/// Offset of an entry point (FL_TRAMPOLINE_ENTRY_*) from the start of the blob.
uint64_t fl_clock_trampoline_entry_offset(int entry);

#endif
