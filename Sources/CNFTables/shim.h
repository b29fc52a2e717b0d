// CNFTables: libnftables (Debian libnftables-dev), the library behind the `nft` binary.
// Faultline hands it whole atomic batches in nft's text syntax; see NFTables.swift.
#ifndef FL_CNFTABLES_SHIM_H
#define FL_CNFTABLES_SHIM_H
#include <nftables/libnftables.h>
#endif
