// Test fixture for the process-scope clock skew (FaultlineProcShimsTests).
// Usage: clockprobe <busy-threads>
// Starts <busy-threads> threads that call clock_gettime/gettimeofday/time in a loop (so
// patching happens while other threads are inside the vDSO), then for each line read on
// stdin prints one line:
//   realtime_sec realtime_nsec gettimeofday_sec time_sec monotonic_sec monotonic_nsec coarse_sec busy_calls
// A line starting with 'b' instead prints the mean cost of clock_gettime(CLOCK_REALTIME)
// in nanoseconds over 200000 calls (for the benchmark of the skew's per-call cost).
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static atomic_long busy_calls;

static void *busy(void *arg) {
    (void)arg;
    for (;;) {
        struct timespec ts;
        struct timeval tv;
        clock_gettime(CLOCK_REALTIME, &ts);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        gettimeofday(&tv, NULL);
        (void)time(NULL);
        atomic_fetch_add(&busy_calls, 1);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 0;
    for (int i = 0; i < threads; i++) {
        pthread_t t;
        pthread_create(&t, NULL, busy, NULL);
    }
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        if (line[0] == 'b') {
            struct timespec a, b, x;
            clock_gettime(CLOCK_MONOTONIC, &a);
            for (int i = 0; i < 200000; i++) clock_gettime(CLOCK_REALTIME, &x);
            clock_gettime(CLOCK_MONOTONIC, &b);
            printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 200000.0);
            fflush(stdout);
            continue;
        }
        struct timespec rt, mono, coarse;
        struct timeval tv;
        clock_gettime(CLOCK_REALTIME, &rt);
        gettimeofday(&tv, NULL);
        time_t t = time(NULL);
        clock_gettime(CLOCK_MONOTONIC, &mono);
        clock_gettime(CLOCK_REALTIME_COARSE, &coarse);
        printf("%ld %ld %ld %ld %ld %ld %ld %ld\n", (long)rt.tv_sec, rt.tv_nsec, (long)tv.tv_sec, (long)t,
               (long)mono.tv_sec, mono.tv_nsec, (long)coarse.tv_sec, atomic_load(&busy_calls));
        fflush(stdout);
    }
    return 0;
}
