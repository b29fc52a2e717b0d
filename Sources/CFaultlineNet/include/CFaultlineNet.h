// CFaultlineNet: the few Linux calls Swift's Glibc module does not export, because glibc
// declares them only under _GNU_SOURCE (setns, unshare, pipe2) or as macros.
#ifndef FL_CFAULTLINENET_H
#define FL_CFAULTLINENET_H
#include <stdint.h>

/// setns(fd, CLONE_NEWNET); returns 0 or -1 with errno set.
int fl_setns_net(int fd);
/// unshare(CLONE_NEWNET) for the calling thread; returns 0 or -1 with errno set.
int fl_unshare_net(void);
/// pipe2(fds, O_CLOEXEC); returns 0 or -1 with errno set.
int fl_pipe_cloexec(int fds[2]);
/// Sets the calling thread's timer slack (prctl PR_SET_TIMERSLACK) in nanoseconds, so the
/// delay engine's timed waits wake within a microsecond instead of the default 50 µs.
int fl_set_timer_slack(unsigned long nanoseconds);
/// ppoll(fds, n, timeout) with a nanosecond timeout (negative: wait forever), for the delay
/// engine's release timer; returns what ppoll returns, errno set on -1.
struct pollfd;
int fl_poll_nanoseconds(struct pollfd *fds, unsigned long count, long long timeout_ns);
/// Puts CAP_NET_ADMIN into the calling thread's inheritable and ambient sets when it is in
/// the thread's permitted set but not yet ambient, so a program the thread spawns next keeps
/// it. Answers 0 when nothing was changed (already ambient, or not permitted: the child then
/// runs without it, as before), 1 when the ambient bit was raised, 2 when the inheritable
/// bit was added too, -1 with errno on failure. Pass the answer to fl_net_admin_ambient_lower.
int fl_net_admin_ambient_raise(void);
/// Undoes fl_net_admin_ambient_raise(raised) on the calling thread.
void fl_net_admin_ambient_lower(int raised);
#endif
