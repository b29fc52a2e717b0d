// Test fixture for pause, kill and selection (FaultlineProcShimsTests).
// Usage: ticker <counter-file-prefix> <children> [marker...]
// Forks <children> children; the parent and each child increment a counter every 2 ms
// and write it to <prefix>.<index> (parent index 0). Markers are ignored (they make the
// command line unique for selection tests).
// Signals: SIGUSR1 writes "USR1\n" to <prefix>.signal and exits 0; TERM/INT/HUP keep
// their default action (terminate). Children die with the parent (PR_SET_PDEATHSIG).
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static const char *prefix;

static void on_usr1(int sig) {
    (void)sig;
    char path[4096];
    snprintf(path, sizeof path, "%s.signal", prefix);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) { (void)!write(fd, "USR1\n", 5); close(fd); }
    _exit(0);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: ticker prefix children [marker...]\n"); return 2; }
    prefix = argv[1];
    int children = atoi(argv[2]);
    signal(SIGUSR1, on_usr1);
    int index = 0;
    for (int i = 1; i <= children; i++) {
        if (fork() == 0) { index = i; prctl(PR_SET_PDEATHSIG, SIGKILL); break; }
    }
    char path[4096];
    snprintf(path, sizeof path, "%s.%d", prefix, index);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); return 1; }
    for (unsigned long counter = 1;; counter++) {
        char text[32];
        int n = snprintf(text, sizeof text, "%020lu\n", counter);
        (void)!pwrite(fd, text, (size_t)n, 0);
        struct timespec pause = {0, 2000000};
        nanosleep(&pause, NULL);
    }
}
