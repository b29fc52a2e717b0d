// See CFaultlineProc.h for why each forwarder exists.
#define _GNU_SOURCE
#include "CFaultlineProc.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <sys/auxv.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <sys/user.h>
// fl_regs is a copy of the kernel's register block: same size, same field order.
_Static_assert(sizeof(fl_regs) == sizeof(struct user_regs_struct), "fl_regs size");
_Static_assert(offsetof(fl_regs, rip) == offsetof(struct user_regs_struct, rip), "fl_regs.rip");
_Static_assert(offsetof(fl_regs, orig_rax) == offsetof(struct user_regs_struct, orig_rax), "fl_regs.orig_rax");
_Static_assert(offsetof(fl_regs, gs) == offsetof(struct user_regs_struct, gs), "fl_regs.gs");
// The injected clock trampoline writes tv_sec at +0 and tv_nsec / tv_usec at +8.
_Static_assert(sizeof(struct timespec) == 16 && offsetof(struct timespec, tv_nsec) == 8, "timespec layout");
_Static_assert(sizeof(struct timeval) == 16 && offsetof(struct timeval, tv_usec) == 8, "timeval layout");
#endif

_Static_assert((int)FL_PTRACE_SEIZE == (int)PTRACE_SEIZE, "PTRACE_SEIZE");
_Static_assert((int)FL_PTRACE_INTERRUPT == (int)PTRACE_INTERRUPT, "PTRACE_INTERRUPT");
_Static_assert((int)FL_PTRACE_EVENT_STOP == (int)PTRACE_EVENT_STOP, "PTRACE_EVENT_STOP");
_Static_assert((int)FL_PTRACE_DETACH == (int)PTRACE_DETACH, "PTRACE_DETACH");
_Static_assert((int)FL_PTRACE_SINGLESTEP == (int)PTRACE_SINGLESTEP, "PTRACE_SINGLESTEP");
_Static_assert((int)FL_PTRACE_PEEKDATA == (int)PTRACE_PEEKDATA && (int)FL_PTRACE_POKEDATA == (int)PTRACE_POKEDATA, "PEEK/POKE");
_Static_assert((int)FL_PTRACE_CONT == (int)PTRACE_CONT, "PTRACE_CONT");

int fl_arch_is_x86_64(void) {
#if defined(__x86_64__)
    return 1;
#else
    return 0;
#endif
}

int fl_pidfd_open(pid_t pid, unsigned int flags) {
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

int fl_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

long fl_ptrace(int request, pid_t tid, uint64_t addr, uint64_t data) {
    return ptrace((enum __ptrace_request)request, tid, (void *)addr, (void *)data);
}

int fl_ptrace_getregs(pid_t tid, fl_regs *regs) {
#if defined(__x86_64__)
    return (int)ptrace(PTRACE_GETREGS, tid, NULL, regs);
#else
    (void)tid; (void)regs; errno = ENOSYS; return -1;
#endif
}

int fl_ptrace_setregs(pid_t tid, const fl_regs *regs) {
#if defined(__x86_64__)
    return (int)ptrace(PTRACE_SETREGS, tid, NULL, (void *)regs);
#else
    (void)tid; (void)regs; errno = ENOSYS; return -1;
#endif
}

pid_t fl_waitpid_all(pid_t tid, int *status, int nohang) {
    return waitpid(tid, status, __WALL | (nohang ? WNOHANG : 0));
}

int fl_wifexited(int status) { return WIFEXITED(status); }
int fl_wifsignaled(int status) { return WIFSIGNALED(status); }
int fl_wifstopped(int status) { return WIFSTOPPED(status); }
int fl_wexitstatus(int status) { return WEXITSTATUS(status); }
int fl_wtermsig(int status) { return WTERMSIG(status); }
int fl_wstopsig(int status) { return WSTOPSIG(status); }
int fl_wptrace_event(int status) { return (status >> 16) & 0xff; }

int fl_tgkill(pid_t tgid, pid_t tid, int sig) { return (int)syscall(SYS_tgkill, tgid, tid, sig); }

int fl_setns(int fd, int nstype) { return setns(fd, nstype); }

uint64_t fl_vdso_base(void) { return (uint64_t)getauxval(AT_SYSINFO_EHDR); }

#if defined(__x86_64__)
extern const uint8_t fl_clock_trampoline_start[];
extern const uint8_t fl_clock_trampoline_end[];
extern const uint8_t fl_clock_trampoline_clock_gettime[];
extern const uint8_t fl_clock_trampoline_gettimeofday[];
extern const uint8_t fl_clock_trampoline_time[];

const uint8_t *fl_clock_trampoline_bytes(void) { return fl_clock_trampoline_start; }
uint64_t fl_clock_trampoline_length(void) {
    return (uint64_t)(fl_clock_trampoline_end - fl_clock_trampoline_start);
}
uint64_t fl_clock_trampoline_entry_offset(int entry) {
    switch (entry) {
    case FL_TRAMPOLINE_ENTRY_CLOCK_GETTIME:
        return (uint64_t)(fl_clock_trampoline_clock_gettime - fl_clock_trampoline_start);
    case FL_TRAMPOLINE_ENTRY_GETTIMEOFDAY:
        return (uint64_t)(fl_clock_trampoline_gettimeofday - fl_clock_trampoline_start);
    case FL_TRAMPOLINE_ENTRY_TIME:
        return (uint64_t)(fl_clock_trampoline_time - fl_clock_trampoline_start);
    default:
        return UINT64_MAX;
    }
}
#else
const uint8_t *fl_clock_trampoline_bytes(void) { return NULL; }
uint64_t fl_clock_trampoline_length(void) { return 0; }
uint64_t fl_clock_trampoline_entry_offset(int entry) { (void)entry; return UINT64_MAX; }
#endif
