#!/usr/bin/env bash
# Idle footprint of a faultline-agent binary: VmRSS (and its anonymous and file-backed
# parts) 5 s after it first answers /v1/health, then the mappings that hold the most of it
# (from /proc/PID/smaps). Insecure mode on loopback, a ledger in a temporary directory;
# the agent is stopped by its pid and the directory removed. As root (the agent probes
# the kernel at start). Results: docs/benchmarks.md, "Agent footprint".
#
#   Benchmarks/agent/footprint.sh .build/release/faultline-agent [RUNS] [PORT]
set -euo pipefail
binary=${1:?usage: footprint.sh AGENT-BINARY [RUNS] [PORT]}
runs=${2:-3}
port=${3:-17433}
for run in $(seq 1 "$runs"); do
  dir=$(mktemp -d /tmp/fl-footprint-XXXXXX)
  printf 'listen: 127.0.0.1:%s\nhost-name: footprint\ntls: { insecure: true }\nledger: %s/ledger.jsonl\n' "$port" "$dir" > "$dir/agent.yaml"
  "$binary" --config "$dir/agent.yaml" 2> "$dir/agent.log" &
  pid=$!
  trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/v1/health" > /dev/null && break; sleep 0.1; done
  sleep 5
  echo "run $run: $(grep -E '^(VmRSS|RssAnon|RssFile):' /proc/$pid/status | tr -s ' \t' ' ' | tr '\n' ' ')"
  if [ "$run" = "$runs" ]; then
    echo "largest mappings (kB resident):"
    awk '/^[0-9a-f]+-[0-9a-f]+ /{name=($6 == "" ? "[anonymous]" : $6)} /^Rss:/{rss[name]+=$2} END{for (n in rss) print rss[n], n}' \
      "/proc/$pid/smaps" | sort -rn | head -12
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"; trap - EXIT
done
