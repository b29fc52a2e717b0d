#!/usr/bin/env bash
# Whole-process time of a trivial `faultline run` against Chaos Toolkit's `chaos run` of
# the equivalent experiment, side by side in one run:
#   hypothesis: an HTTP probe (GET a page on loopback, expect status 200), before and after
#   method:     one process action on the controller host (/bin/true)
# Chaos Toolkit comes from PyPI into this benchmark's own virtual environment and runs
# with --no-version-check (no network call of its own). Faultline's plan names one
# insecure loopback agent (started here) as its inventory; it asks it for capabilities in
# preflight, as every run does. Both tools run alternately, after one untimed warm-up
# each (Python compiles its bytecode on the first run).
#
#   Benchmarks/controller/run-vs-chaostoolkit.sh [FAULTLINE] [AGENT] [ROUNDS]
#
# Everything started here (HTTP server, agent) is stopped by pid; the work folder is removed.
set -euo pipefail
FAULTLINE=$(realpath "${1:-.build/release/faultline}")
AGENT=$(realpath "${2:-.build/release/faultline-agent}")
ROUNDS=${3:-10}
PYTHON=/usr/bin/python3

work=$(mktemp -d /tmp/fl-bench-ctk-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() {
  for _ in $(seq 1 200); do
    if "$PYTHON" - "$1" "${2:-}" <<'PY' 2>/dev/null; then return 0; fi
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]} if sys.argv[2] else {})
urllib.request.urlopen(req, timeout=1)
PY
    sleep 0.05
  done
  echo "nothing answers at $1" >&2; exit 1
}

echo "installing chaostoolkit into $work/venv ..."
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check chaostoolkit
ctk_version=$("$work/venv/bin/chaos" --no-version-check --version 2>&1 | tail -1)

# The system under test: a static page on loopback.
mkdir -p "$work/www" && echo ok > "$work/www/index.html"
http_port=$(free_port)
"$PYTHON" -m http.server --bind 127.0.0.1 --directory "$work/www" "$http_port" >"$work/http.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$http_port/"

# Faultline's one agent, insecure mode with a bearer token, on loopback.
agent_port=$(free_port)
token=run-vs-chaostoolkit-token-0123456789
cat >"$work/agent.yaml" <<YAML
listen: 127.0.0.1:$agent_port
host-name: h1
tls: { insecure: true, bearer-token: "$token" }
ledger: $work/ledger.jsonl
controllers: [127.0.0.1/32]
YAML
"$AGENT" --config "$work/agent.yaml" >"$work/agent.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$agent_port/v1/health" "$token"

cat >"$work/plan.yaml" <<YAML
version: 1
title: trivial - the page answers before and after a process action
inventory:
  hosts:
    - { name: h1, address: 127.0.0.1, agent: "http://127.0.0.1:$agent_port" }
steady-state:
  - name: page answers
    probe: { http: { url: "http://127.0.0.1:$http_port/", expect: { status: 200 } } }
method:
  - command: { argv: [/bin/true] }
YAML

cat >"$work/experiment.json" <<JSON
{
  "version": "1.0.0",
  "title": "trivial - the page answers before and after a process action",
  "description": "Chaos Toolkit twin of Faultline's plan.yaml",
  "steady-state-hypothesis": {
    "title": "page answers",
    "probes": [
      { "type": "probe", "name": "page answers", "tolerance": 200,
        "provider": { "type": "http", "url": "http://127.0.0.1:$http_port/", "timeout": 5 } }
    ]
  },
  "method": [
    { "type": "action", "name": "process action", "provider": { "type": "process", "path": "/bin/true" } }
  ],
  "rollbacks": []
}
JSON
echo "{}" >"$work/ctk-settings.yaml"

run_faultline() {
  FAULTLINE_AGENT_TOKEN=$token NO_COLOR=1 "$FAULTLINE" run "$work/plan.yaml" --journal "$work/fl-journal.json" >"$work/fl.out" 2>&1 \
    || { echo "faultline run failed:" >&2; cat "$work/fl.out" >&2; exit 1; }
}
run_chaos() {
  (cd "$work" && "$work/venv/bin/chaos" --no-version-check --settings "$work/ctk-settings.yaml" --log-file "$work/ctk.log" \
     run --journal-path "$work/ctk-journal.json" "$work/experiment.json" >"$work/ctk.out" 2>&1) \
    || { echo "chaos run failed:" >&2; cat "$work/ctk.out" >&2; exit 1; }
  grep -q '"deviated": false' "$work/ctk-journal.json" && grep -q '"status": "completed"' "$work/ctk-journal.json" \
    || { echo "chaos run did not complete with the hypothesis met:" >&2; cat "$work/ctk.out" >&2; exit 1; }
}
now_ns() { date +%s%N; }

run_faultline; run_chaos   # warm-up, untimed
grep -q '"outcome" : "held"' "$work/fl-journal.json" || { echo "faultline's hypothesis did not hold" >&2; cat "$work/fl.out" >&2; exit 1; }

fl=(); ctk=()
for _ in $(seq 1 "$ROUNDS"); do
  t0=$(now_ns); run_faultline; t1=$(now_ns); run_chaos; t2=$(now_ns)
  fl+=($(( (t1 - t0) / 1000 ))); ctk+=($(( (t2 - t1) / 1000 )))
done

"$PYTHON" - "$ROUNDS" "$ctk_version" "${fl[*]}" "${ctk[*]}" <<'PY'
import statistics, sys
rounds, version = sys.argv[1], sys.argv[2]
fl = [int(x) / 1000 for x in sys.argv[3].split()]
ctk = [int(x) / 1000 for x in sys.argv[4].split()]
def row(name, xs): return f"| {name} | {statistics.median(xs):.1f} | {min(xs):.1f} | {max(xs):.1f} |"
print(f"\nwhole-process time, {rounds} rounds each, alternating (ms); {version}")
print("| tool | median | min | max |\n|---|---:|---:|---:|")
print(row("faultline run", fl)); print(row("chaos run --no-version-check", ctk))
ratio = statistics.median(ctk) / statistics.median(fl)
print(f"\nfaultline is {ratio:.1f}x faster (median); target >= 5x: {'met' if ratio >= 5 else 'NOT met'}")
PY
