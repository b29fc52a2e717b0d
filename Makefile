# Faultline: the two commands a newcomer needs are `make demo` and `make test`.
# Both install what is missing on a fresh Debian machine first (as root: apt-get).

SWIFT        ?= swift
SWIFT_FLAGS  ?=
APT_PACKAGES := nftables libnftables-dev libnl-route-3-dev libnl-3-dev libnetfilter-queue-dev \
                libnfnetlink-dev libmnl-dev libcap-dev iptables iproute2 etcd-server etcd-client \
                redis-server golang-go gcc pkg-config
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
test: deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	$(SWIFT) test --skip-build $(SWIFT_FLAGS)

# The main job. Today: validate every example plan and print each one's timeline (a dry
# run that touches nothing). The lab issue turns this into a real experiment.
demo: build
	$(FAULTLINE) validate Experiments/*.yaml
	@for plan in Experiments/*.yaml; do echo; echo "=== $$plan"; $(FAULTLINE) plan $$plan || exit $$?; done

bench: build
	@echo "see docs/benchmarks.md for each benchmark's command"

clean:
	rm -rf .build
