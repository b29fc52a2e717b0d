// CNetfilterQueue: libnetfilter_queue (Debian libnetfilter-queue-dev), used by the
// packet-delay engine (Delay+NFQueue.swift, DelayEngine.swift).
#ifndef FL_CNETFILTERQUEUE_SHIM_H
#define FL_CNETFILTERQUEUE_SHIM_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
// libnfnetlink ships an older copy of the kernel's nfnetlink.h under the same include guard
// (_NFNETLINK_H); libnl-route includes the kernel's. Including the kernel's first makes both
// modules see one definition of `enum nfnetlink_groups`, which Swift requires.
#include <linux/netfilter/nfnetlink.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

// The packet header is a packed struct with a big-endian id; reading it in C keeps
// Swift away from the packed layout and the byte order.
static inline uint32_t fl_nfq_packet_id(struct nfq_data *data) {
    struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(data);
    return header == NULL ? 0 : ntohl(header->packet_id);
}

static inline unsigned int fl_nf_accept(void) { return NF_ACCEPT; }
static inline unsigned int fl_nf_drop(void) { return NF_DROP; }
#endif
