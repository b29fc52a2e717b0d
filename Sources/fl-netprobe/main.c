// fl-netprobe: measures what a network fault does to packets between two lab hosts.
//
//   fl-netprobe serve PORT
//       UDP echo: answers each probe with its own bytes plus this host's CLOCK_REALTIME.
//   fl-netprobe measure ADDRESS PORT COUNT INTERVAL_MS
//       sends COUNT numbered probes, one every INTERVAL_MS, waits 2 s for stragglers and
//       prints one JSON line: sent, received, lost (probes with no intact answer, corrupted
//       ones included), duplicates, reordered, corrupted (answers that arrived damaged), RTT
//       percentiles, and the peer's clock offset from ours.
//
// UDP checksums are switched off on both ends (SO_NO_CHECK) so that a packet netem
// corrupts arrives and is counted as corrupted (its payload checksum fails) instead of
// being dropped silently by the kernel. Static C with no dependencies, so the same binary
// runs in a namespace host and inside a lab guest. Built by SwiftPM as a product.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_NO_CHECK
#define SO_NO_CHECK 11
#endif

enum { PAYLOAD = 256, MAX_COUNT = 100000 };

struct probe {
    uint32_t magic;
    uint32_t seq;
    uint64_t sent_mono_ns;     // client's CLOCK_MONOTONIC at send
    uint64_t sent_real_ns;     // client's CLOCK_REALTIME at send
    uint64_t peer_real_ns;     // server's CLOCK_REALTIME at echo (0 in requests)
    uint32_t checksum;         // over seq and pattern
    uint8_t pattern[PAYLOAD];
};

static const uint32_t MAGIC = 0x464c4e50; // "FLNP"

static uint64_t now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t checksum(const struct probe *p) {
    uint32_t h = 2166136261u ^ p->seq;
    for (int i = 0; i < PAYLOAD; i++) h = (h ^ p->pattern[i]) * 16777619u;
    return h;
}

static int udp_socket(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { perror("socket"); exit(2); }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof one);
    return fd;
}

static int serve(int port) {
    int fd = udp_socket();
    struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (bind(fd, (struct sockaddr *)&me, sizeof me) < 0) { perror("bind"); return 2; }
    for (;;) {
        struct probe p;
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(fd, &p, sizeof p, 0, (struct sockaddr *)&from, &len);
        if (n < 0) { if (errno == EINTR) continue; perror("recvfrom"); return 2; }
        if (n != sizeof p) continue;
        p.peer_real_ns = now_ns(CLOCK_REALTIME);
        sendto(fd, &p, sizeof p, 0, (struct sockaddr *)&from, len);
    }
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int compare_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double percentile_ms(uint64_t *sorted, int n, double q) {
    if (n == 0) return -1;
    int i = (int)(q * (n - 1) + 0.5);
    return sorted[i] / 1e6;
}

static int measure(const char *address, int port, int count, int interval_ms) {
    if (count < 1 || count > MAX_COUNT || interval_ms < 0) { fprintf(stderr, "count 1..%d, interval >= 0\n", MAX_COUNT); return 64; }
    struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, address, &peer.sin_addr) != 1) { fprintf(stderr, "not an IPv4 address: %s\n", address); return 64; }
    int fd = udp_socket();
    if (connect(fd, (struct sockaddr *)&peer, sizeof peer) < 0) { perror("connect"); return 2; }

    uint8_t *seen = calloc((size_t)count, 1);
    uint64_t *rtt = calloc((size_t)count, sizeof *rtt);
    int64_t *offset = calloc((size_t)count, sizeof *offset);
    int received = 0, duplicates = 0, reordered = 0, corrupted = 0, rtts = 0, offsets = 0;
    int64_t highest = -1;
    uint64_t start = now_ns(CLOCK_MONOTONIC);
    int next = 0;
    uint64_t deadline = 0;
    for (;;) {
        uint64_t now = now_ns(CLOCK_MONOTONIC);
        if (next < count && now >= start + (uint64_t)next * (uint64_t)interval_ms * 1000000ull) {
            struct probe p = { .magic = MAGIC, .seq = (uint32_t)next, .sent_mono_ns = now, .sent_real_ns = now_ns(CLOCK_REALTIME) };
            for (int i = 0; i < PAYLOAD; i++) p.pattern[i] = (uint8_t)(next * 31 + i);
            p.checksum = checksum(&p);
            send(fd, &p, sizeof p, 0);  // a refused send is a lost probe
            next++;
            if (next == count) deadline = now + 2000000000ull;
            continue;
        }
        if (next == count && now >= deadline) break;
        uint64_t wake = next < count ? start + (uint64_t)next * (uint64_t)interval_ms * 1000000ull : deadline;
        int timeout = wake > now ? (int)((wake - now) / 1000000ull) + 1 : 0;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, timeout) <= 0) continue;
        struct probe p;
        ssize_t n = recv(fd, &p, sizeof p, 0);
        uint64_t arrival = now_ns(CLOCK_MONOTONIC), arrival_real = now_ns(CLOCK_REALTIME);
        if (n != sizeof p) { if (n > 0) corrupted++; continue; }
        if (p.magic != MAGIC || p.seq >= (uint32_t)count || checksum(&p) != p.checksum) { corrupted++; continue; }
        if (seen[p.seq]) { duplicates++; continue; }
        seen[p.seq] = 1;
        received++;
        if ((int64_t)p.seq < highest) reordered++; else highest = p.seq;
        rtt[rtts++] = arrival - p.sent_mono_ns;
        // The peer read its clock about half way through the round trip.
        offset[offsets++] = (int64_t)p.peer_real_ns - (int64_t)(p.sent_real_ns / 2 + arrival_real / 2);
    }
    qsort(rtt, (size_t)rtts, sizeof *rtt, compare_u64);
    qsort(offset, (size_t)offsets, sizeof *offset, compare_i64);
    double offset_ms = offsets ? offset[offsets / 2] / 1e6 : 0;
    printf("{\"sent\":%d,\"received\":%d,\"lost\":%d,\"duplicates\":%d,\"reordered\":%d,\"corrupted\":%d,"
           "\"rtt_ms\":{\"min\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"max\":%.3f},\"peer_clock_offset_ms\":%.3f}\n",
           count, received, count - received, duplicates, reordered, corrupted,
           rtts ? rtt[0] / 1e6 : -1, percentile_ms(rtt, rtts, 0.5), percentile_ms(rtt, rtts, 0.9),
           rtts ? rtt[rtts - 1] / 1e6 : -1, offset_ms);
    free(seen); free(rtt); free(offset);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(atoi(argv[2]));
    if (argc == 6 && strcmp(argv[1], "measure") == 0)
        return measure(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    fprintf(stderr, "usage: fl-netprobe serve PORT\n       fl-netprobe measure ADDRESS PORT COUNT INTERVAL_MS\n");
    return 64;
}
