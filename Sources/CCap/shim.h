// libcap as a system-library target. Faultline asks libcap (not /proc text) which
// capabilities a process holds, so the answer matches what the kernel checks.
// Debian: libcap-dev (pkg-config name `libcap`).
#ifndef FAULTLINE_CCAP_SHIM_H
#define FAULTLINE_CCAP_SHIM_H
#include <sys/types.h>
#include <sys/capability.h>
#endif
