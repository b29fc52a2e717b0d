#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <poll.h>
#include <time.h>
#include <sys/syscall.h>
#include <linux/capability.h>
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

/* Capabilities are per thread; capget/capset with pid 0 and prctl(PR_CAP_AMBIENT) act on the
   calling thread only, so the agent's other threads never hold an ambient capability. */
static int fl_net_admin_inheritable(int on) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    unsigned int bit = 1u << (CAP_NET_ADMIN % 32);
    if (on) data[CAP_NET_ADMIN / 32].inheritable |= bit; else data[CAP_NET_ADMIN / 32].inheritable &= ~bit;
    return (int)syscall(SYS_capset, &header, data);
}

int fl_net_admin_ambient_raise(void) {
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_ADMIN, 0, 0) == 1) return 0;
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    unsigned int bit = 1u << (CAP_NET_ADMIN % 32);
    if (!(data[CAP_NET_ADMIN / 32].permitted & bit)) return 0;
    int added = !(data[CAP_NET_ADMIN / 32].inheritable & bit);
    if (added && fl_net_admin_inheritable(1) != 0) return -1;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) != 0) {
        if (added) fl_net_admin_inheritable(0);
        return -1;
    }
    return added ? 2 : 1;
}

void fl_net_admin_ambient_lower(int raised) {
    if (raised <= 0) return;
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_NET_ADMIN, 0, 0);
    if (raised == 2) fl_net_admin_inheritable(0);
}
