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
#endif
