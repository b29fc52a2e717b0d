# Faultline: the two commands a newcomer needs are `make demo` and `make test`.
# Both install what is missing on a fresh Debian machine first (as root: apt-get).

SWIFT        ?= swift
SWIFT_FLAGS  ?=
APT_PACKAGES := nftables libnftables-dev libnl-route-3-dev libnl-3-dev libnetfilter-queue-dev \
                libnfnetlink-dev libmnl-dev libcap-dev iptables iproute2 etcd-server etcd-client \
                redis-server redis-sentinel golang-go gcc pkg-config chromium python3-venv haproxy prometheus \
                qemu-system-x86 busybox-static kmod binutils
FAULTLINE    := .build/debug/faultline

.PHONY: all deps build test demo bench clean

all: build

# Installs only what is missing, so a warm machine skips apt entirely.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "need root to install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

# Builds products and tests once, then runs every test (Swift Testing) as root on the
# real kernel: tests make their own namespaces, processes and rules and remove them.
# One test at a time: on 2 cores, parallel tests that create and delete network
# namespaces wait on each other in the kernel (netns cleanup) and break every timing
# bound the tests check (lease + 1 s, guard abort < 1 s); serially the suite takes ~3 min.
test: deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	$(SWIFT) test --skip-build --no-parallel $(SWIFT_FLAGS)

# The main job (as root): a lab of 3 namespace hosts with a real etcd and an agent each,
# the leader cut off for 20 s under probes, a guard and a consistency check, an HTML
# report in faultline-demo/, and the lab removed again (also on failure or Ctrl-C).
demo: build
	$(FAULTLINE) demo

# Release builds of every benchmark, then each one in turn (as root; each makes and
# removes its own namespaces, processes and cgroups). Results: docs/benchmarks.md.
bench: deps
	$(SWIFT) build -c release --product netshims-bench
	$(SWIFT) build -c release --product procshims-bench
	$(SWIFT) build -c release --product checker-bench
	$(SWIFT) build -c release --product workloads-bench
	$(SWIFT) build -c release --product faultline-agent
	$(SWIFT) build -c release --product agent-bench
	.build/release/netshims-bench 200
	.build/release/procshims-bench
	.build/release/checker-bench --only etcd
	.build/release/checker-bench --only kv
	Benchmarks/workloads/run-etcd.sh .build/release/workloads-bench 4 4 5
	.build/release/agent-bench 200 .build/release/faultline-agent
	for p in controller-bench faultline-agent faultline; do $(SWIFT) build -c release --product $$p || exit 1; done; \
	  .build/release/controller-bench --agent .build/release/faultline-agent && \
	  Benchmarks/controller/run-vs-chaostoolkit.sh .build/release/faultline .build/release/faultline-agent 10

clean:
	rm -rf .build
