# Faultline: the two commands a newcomer needs are `make demo` and `make test`.
# Both install what is missing on a fresh Debian machine first (as root: apt-get).

SWIFT        ?= swift
# The one version (the VERSION file; Sources/FaultlineCore/FaultlineVersion.swift holds the
# same string for the binaries, and FaultlineVersionTests checks that the two agree).
VERSION      := $(shell cat VERSION)
SWIFT_FLAGS  ?=
# systemd: systemd-analyze, which checks the agent's unit; libcap2-bin: setcap/getcap, which
# the Debian package's postinst and its test use.
APT_PACKAGES := nftables libnftables-dev libnl-route-3-dev libnl-3-dev libnetfilter-queue-dev \
                libnfnetlink-dev libmnl-dev libcap-dev iptables iproute2 etcd-server etcd-client \
                redis-server redis-sentinel golang-go gcc pkg-config chromium python3-venv haproxy prometheus \
                qemu-system-x86 busybox-static kmod binutils systemd libcap2-bin libxml2-utils
FAULTLINE    := .build/debug/faultline
PREFIX       ?= /usr/local
DESTDIR      ?=
INSTALL      ?= install
# The systemd unit starts /usr/local/bin/faultline-agent; install rewrites that path to
# $(PREFIX)/bin so the unit runs the binary it was installed with. Units under
# /usr/local/lib/systemd/system (and /usr/lib/...) are on systemd's search path.
UNITDIR      ?= $(PREFIX)/lib/systemd/system
AGENT_UNIT   := Agents/systemd/faultline-agent.service
# make deb: the binaries it packages (BIN=.build/debug packages a debug build, which needs
# the toolchain's Swift runtime where it is installed) and where the .deb goes.
BIN          ?= .build/release
DEBDIR       ?= .build/deb

.PHONY: all deps build test demo bench release install deb clean version

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
	Benchmarks/agent/footprint.sh .build/release/faultline-agent 3
	for p in controller-bench faultline-agent faultline; do $(SWIFT) build -c release --product $$p || exit 1; done; \
	  .build/release/controller-bench --agent .build/release/faultline-agent && \
	  Benchmarks/controller/run-vs-chaostoolkit.sh .build/release/faultline .build/release/faultline-agent 10

# Release binaries with the Swift runtime and Foundation linked in (--static-swift-stdlib):
# a host needs only the C libraries listed in docs/install.md, not a Swift toolchain.
# Needs the -dev packages docs/install.md lists (`make deps` installs them and more).
release:
	$(SWIFT) build -c release --static-swift-stdlib --product faultline $(SWIFT_FLAGS)
	$(SWIFT) build -c release --static-swift-stdlib --product faultline-agent $(SWIFT_FLAGS)

# Installs what `make release` built (it does not build: run `make release` first, as the
# user who owns .build). agent.yaml is installed only if absent, so an edited one survives;
# it is 0644 root (the agent runs as the faultline user and must read it; keys are separate).
install:
	@for b in faultline faultline-agent; do \
	  test -x .build/release/$$b || { echo "missing .build/release/$$b: run 'make release' first" >&2; exit 1; }; \
	done
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) $(DESTDIR)/etc/faultline
	$(INSTALL) -m 0755 .build/release/faultline $(DESTDIR)$(PREFIX)/bin/faultline
	$(INSTALL) -m 0755 .build/release/faultline-agent $(DESTDIR)$(PREFIX)/bin/faultline-agent
	sed 's|^ExecStart=/usr/local/bin/faultline-agent|ExecStart=$(PREFIX)/bin/faultline-agent|' $(AGENT_UNIT) > $(DESTDIR)$(UNITDIR)/faultline-agent.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/faultline-agent.service
	test -e $(DESTDIR)/etc/faultline/agent.yaml || $(INSTALL) -m 0644 Agents/agent.yaml $(DESTDIR)/etc/faultline/agent.yaml

# faultline_$(VERSION)_amd64.deb in $(DEBDIR) from $(BIN) (it does not build: run
# `make release` first): /usr/bin/faultline and faultline-agent, the unit in
# /lib/systemd/system, /etc/faultline/agent.yaml as a conffile; postinst makes the
# faultline system user and gives the agent the unit's capabilities (setcap); purge removes
# the user, /etc/faultline and /var/lib/faultline. Install: dpkg -i, or apt install ./FILE.deb
# (which also installs the runtime libraries it depends on).
deb:
	Packaging/deb/build.sh $(VERSION) $(BIN) $(DEBDIR)

# Prints the version `make deb` packages (FaultlineVersionTests compares it with the binaries').
version:
	@echo $(VERSION)

clean:
	rm -rf .build
