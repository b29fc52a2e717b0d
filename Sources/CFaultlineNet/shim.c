#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <poll.h>
#include <time.h>
#include "CFaultlineNet.h"

int fl_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }
int fl_unshare_net(void) { return unshare(CLONE_NEWNET); }
int fl_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
int fl_set_timer_slack(unsigned long nanoseconds) { return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0); }

int fl_poll_nanoseconds(struct pollfd *fds, unsigned long count, long long timeout_ns) {
    if (timeout_ns < 0) return ppoll(fds, count, NULL, NULL);
    struct timespec timeout = { .tv_sec = timeout_ns / 1000000000LL, .tv_nsec = timeout_ns % 1000000000LL };
    return ppoll(fds, count, &timeout, NULL);
}
