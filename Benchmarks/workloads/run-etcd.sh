#!/bin/sh
# Starts a 3-member etcd cluster on 127.0.0.1 (ports 23xx0), runs workloads-bench
# against it, and kills the members by pid. Usage: run-etcd.sh <workloads-bench> [clients] [keys] [seconds]
set -eu
bench=$1; shift
dir=$(mktemp -d /tmp/fl-bench-etcd-XXXXXX)
pids=""
cleanup() { for pid in $pids; do kill -9 "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
cluster="fl-b0=http://127.0.0.1:23810,fl-b1=http://127.0.0.1:23811,fl-b2=http://127.0.0.1:23812"
for i in 0 1 2; do
  /usr/bin/etcd --name fl-b$i --data-dir "$dir/b$i" \
    --listen-client-urls http://127.0.0.1:2380$i --advertise-client-urls http://127.0.0.1:2380$i \
    --listen-peer-urls http://127.0.0.1:2381$i --initial-advertise-peer-urls http://127.0.0.1:2381$i \
    --initial-cluster "$cluster" --initial-cluster-state new --pre-vote=true >"$dir/b$i.log" 2>&1 &
  pids="$pids $!"
done
for i in 0 1 2; do
  n=0; until curl -fs http://127.0.0.1:2380$i/health | grep -q '"true"'; do n=$((n+1)); [ $n -lt 100 ] || exit 1; sleep 0.1; done
done
"$bench" etcd 127.0.0.1:23800,127.0.0.1:23801,127.0.0.1:23802 "$@"
