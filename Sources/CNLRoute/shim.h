// CNLRoute: libnl-route-3 (Debian libnl-route-3-dev): rtnetlink links, qdiscs,
// classes, classifiers and actions for the traffic-control shims.
#ifndef FL_CNLROUTE_SHIM_H
#define FL_CNLROUTE_SHIM_H
#include <netlink/netlink.h>
#include <netlink/errno.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/tc.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/action.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/act/mirred.h>
#include <linux/pkt_cls.h>

// Constants that live in macros Swift cannot import.
static inline int fl_tca_egress_redir(void) { return TCA_EGRESS_REDIR; }
static inline int fl_tc_act_stolen(void) { return TC_ACT_STOLEN; }
static inline int fl_nlm_f_create(void) { return NLM_F_CREATE; }
static inline int fl_nlm_f_excl(void) { return NLM_F_EXCL; }
static inline int fl_nlm_f_replace(void) { return NLM_F_REPLACE; }
#endif
