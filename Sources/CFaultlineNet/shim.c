#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <sys/prctl.h>
#include "CFaultlineNet.h"

int fl_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }
int fl_unshare_net(void) { return unshare(CLONE_NEWNET); }
int fl_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
int fl_set_timer_slack(unsigned long nanoseconds) { return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0); }
