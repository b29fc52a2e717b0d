#!/usr/bin/env bash
# Side-by-side benchmark: Faultline's checker (release build) and Porcupine on the same
# histories, in the same run: the Jepsen etcd set, each kv file, and generated
# 50-client × 20 000-operation histories. Prints one markdown table.
#
# Manual step (no network here): put Porcupine's source OUTSIDE the repository, e.g.
#   git clone https://github.com/anishathalye/porcupine /work/scratch/porcupine
# or, with the workplace's fetch tool (source "github:anishathalye/porcupine"), then
#   git --git-dir=/work/.mirror/anishathalye+porcupine/repo archive HEAD | tar -x -C /work/scratch/porcupine
# Porcupine needs only Go's standard library (Debian's golang-go; go ≥ 1.16).
#
# Environment:
#   PORCUPINE_DIR   Porcupine's source (default /work/scratch/porcupine)
#   PACKAGE_DIR     the Swift package that has the checker-bench product (default: this repository)
#   DATA_DIR        Porcupine's test data (default: Tests/Fixtures/porcupine in the repository)
#   REPEAT          runs per case (default 5): Faultline reports the median, Go's testing the mean
#   PORCUPINE_MEMORY_KB  address-space limit for each Porcupine run on a generated history
#                   (default 8 GiB; a run that exceeds it is reported as not finished)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
PORCUPINE_DIR="${PORCUPINE_DIR:-/work/scratch/porcupine}"
PACKAGE_DIR="${PACKAGE_DIR:-$repo}"
DATA_DIR="${DATA_DIR:-$repo/Tests/Fixtures/porcupine}"
REPEAT="${REPEAT:-5}"
PORCUPINE_MEMORY_KB="${PORCUPINE_MEMORY_KB:-8388608}"
work="$(mktemp -d /tmp/fl-checker-bench.XXXXXX)"
trap 'rm -rf "$work"; rm -f "$PORCUPINE_DIR/faultline_generated_test.go"' EXIT

if [[ ! -f "$PORCUPINE_DIR/checker.go" ]]; then
    echo "Porcupine not found at $PORCUPINE_DIR; see the header of this script" >&2
    exit 2
fi

# 1. Faultline's checker.
( cd "$PACKAGE_DIR" && flock /tmp/fl-swift-build.lock swift build -c release --product checker-bench >&2 )
bench="$(cd "$PACKAGE_DIR" && swift build -c release --product checker-bench --show-bin-path)/checker-bench"
"$bench" --data "$DATA_DIR" --repeat "$REPEAT" --write-generated "$work" > "$work/swift.txt"
# Peak memory of one check of each generated history, in a process of its own.
for kind in register cas kv; do
    /usr/bin/time -f "MAXRSS generated-$kind %M" "$bench" --data "$DATA_DIR" --repeat 1 --only "generated-$kind" \
        > /dev/null 2>> "$work/swift.txt" || true
done
cat "$work/swift.txt" >&2

# 2. Porcupine: its own benchmarks for etcd and kv, plus a small test file (removed on exit)
#    that checks the generated Faultline histories with equivalent models.
cat > "$PORCUPINE_DIR/faultline_generated_test.go" <<'GO'
package porcupine

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
	"time"
)

type flOp struct {
	Client   int     `json:"client"`
	Op       string  `json:"op"`
	Key      string  `json:"key"`
	Value    *string `json:"value"`
	Expected *string `json:"expected"`
	Outcome  string  `json:"outcome"`
	Invoke   int64   `json:"invoke"`
	Complete *int64  `json:"complete"`
}

type flIn struct {
	op, key string
	value   *string
	expect  *string
}

type flOut struct {
	value   *string
	outcome string
}

func flEq(a, b *string) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

func flLoad(path string) []Operation {
	f, err := os.Open(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	var ops []Operation
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var o flOp
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil || o.Op == "" {
			continue // header
		}
		if (o.Op == "read" && o.Outcome != "ok") || (o.Outcome == "fail" && o.Op != "cas") {
			continue
		}
		ret := int64(1 << 62)
		if o.Outcome != "info" && o.Complete != nil {
			ret = *o.Complete
		}
		ops = append(ops, Operation{ClientId: o.Client, Input: flIn{o.Op, o.Key, o.Value, o.Expected},
			Call: o.Invoke, Output: flOut{o.Value, o.Outcome}, Return: ret})
	}
	return ops
}

var flRegister = Model{
	Partition: func(h []Operation) [][]Operation {
		m := map[string][]Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(flIn).key
			if _, ok := m[k]; !ok {
				keys = append(keys, k)
			}
			m[k] = append(m[k], op)
		}
		var r [][]Operation
		for _, k := range keys {
			r = append(r, m[k])
		}
		return r
	},
	Init: func() interface{} { return (*string)(nil) },
	Step: func(s, i, o interface{}) (bool, interface{}) {
		st, in, out := s.(*string), i.(flIn), o.(flOut)
		switch in.op {
		case "read":
			return flEq(st, out.value), st
		case "write":
			return true, in.value
		default: // cas
			match := flEq(st, in.expect)
			switch out.outcome {
			case "ok":
				return match, in.value
			case "fail":
				return !match, st
			}
			if match {
				return true, in.value
			}
			return true, st
		}
	},
	Equal: func(a, b interface{}) bool { return flEq(a.(*string), b.(*string)) },
}

var flKV = Model{
	Partition: flRegister.Partition,
	Init:      func() interface{} { return "" },
	Step: func(s, i, o interface{}) (bool, interface{}) {
		st, in, out := s.(string), i.(flIn), o.(flOut)
		switch in.op {
		case "read":
			return out.value != nil && *out.value == st, st
		case "write":
			return true, *in.value
		default:
			return true, st + *in.value
		}
	},
}

func flBench(b *testing.B, file string, model Model) {
	ops := flLoad(os.Getenv("FAULTLINE_GENERATED") + "/" + file)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, _ := CheckOperationsVerbose(model, ops, 120*time.Second)
		b.ReportMetric(map[CheckResult]float64{Ok: 1, Illegal: 0, Unknown: -1}[res], "verdict")
	}
}

func BenchmarkFaultlineRegister(b *testing.B) { flBench(b, "register.jsonl", flRegister) }
func BenchmarkFaultlineCas(b *testing.B)      { flBench(b, "cas.jsonl", flRegister) }
func BenchmarkFaultlineKV(b *testing.B)       { flBench(b, "kv.jsonl", flKV) }
GO

export GOFLAGS=-mod=mod GOPROXY=off GOCACHE="${GOCACHE:-$work/gocache}"
( cd "$PORCUPINE_DIR" && go test -run XXX -bench 'BenchmarkEtcdJepsen|BenchmarkKv[0-9]' -benchtime "${REPEAT}x" . ) > "$work/go.txt"
# One process per generated history, each under an address-space limit: Porcupine's search
# on one register with 50 clients grows without bound, and this machine is shared.
for name in FaultlineRegister FaultlineCas FaultlineKV; do
    ( ulimit -v "$PORCUPINE_MEMORY_KB"
      cd "$PORCUPINE_DIR" && FAULTLINE_GENERATED="$work" /usr/bin/time -f "MAXRSS Benchmark$name %M %e" \
          go test -run XXX -bench "Benchmark$name\$" -benchtime 1x -timeout 10m . ) >> "$work/go.txt" 2>&1 || true
done
cat "$work/go.txt" >&2

# 3. The table. Swift times: median of REPEAT; Go times: mean ns/op over REPEAT runs.
python3 - "$work/swift.txt" "$work/go.txt" <<'PY'
import re, sys
swift = {}
for line in open(sys.argv[1]):
    if line.startswith("RESULT "):
        _, name, seconds, verdict = line.split()[:4]
        swift[name] = (float(seconds), verdict)
peak, died = {}, {}
for path in sys.argv[1:3]:
    section = ""
    for line in open(path):
        if line.startswith("MAXRSS "):
            fields = line.split()
            peak[fields[1]] = int(fields[2]) / 1024
            if "out of memory" in section and len(fields) > 3:
                died[fields[1]] = f"out of memory after {float(fields[3]):.0f} s"
            section = ""
        else:
            section += line
go, goverdict = {}, {}
for line in open(sys.argv[2]):
    m = re.match(r"Benchmark(\S+?)-\d+\s+\d+\s+([\d.]+) ns/op(?:\s+(-?[\d.]+) verdict)?", line)
    if m:
        go[m.group(1)] = float(m.group(2)) / 1e9
        if m.group(3) is not None:
            goverdict[m.group(1)] = {"1": "ok", "0": "illegal", "-1": "unknown"}[m.group(3).split(".")[0]]
etcd_go = sum(v for k, v in go.items() if k.startswith("EtcdJepsen"))
worst_go = max(((v, k) for k, v in go.items() if k.startswith("EtcdJepsen")), default=(0, "?"))
def fmt(s):
    return "—" if s is None else (f"{s:.3f} s" if s >= 1 else f"{s*1e3:.2f} ms")
rows = [("etcd set (102 files + empty)", swift.get("etcd-all", (None,))[0], etcd_go or None, "")]
rows.append((f"etcd worst file (Faultline: {swift.get('etcd-worst', (0, '?'))[1]}, Porcupine: {worst_go[1]})",
             swift.get("etcd-worst", (None,))[0], worst_go[0] or None, ""))
names = {"c01-ok": "Kv1ClientOk", "c01-bad": "Kv1ClientBad", "c10-ok": "Kv10ClientsOk",
         "c10-bad": "Kv10ClientsBad", "c50-ok": "Kv50ClientsOk", "c50-bad": "Kv50ClientsBad"}
for ours, theirs in names.items():
    s = swift.get("kv-" + ours)
    rows.append((f"kv {ours}", s[0] if s else None, go.get(theirs), s[1] if s else ""))
for index, (label, kind, theirs) in enumerate([("generated register 50×20000, 1 key", "register", "FaultlineRegister"),
                                                ("generated cas 50×20000, 1 key, 1% info", "cas", "FaultlineCas"),
                                                ("generated kv 50×20000, 10 keys", "kv", "FaultlineKV")]):
    s = swift.get(f"generated-{index}")
    fate = goverdict.get(theirs) or died.get(f"Benchmark{theirs}", "not finished")
    note = (s[1] if s else "") + (f" / Porcupine: {fate}" if s else "")
    ours, theirs_peak = peak.get(f"generated-{kind}"), peak.get(f"Benchmark{theirs}")
    note += f"; peak RSS {ours:.0f} MB" if ours else ""
    note += f" / {theirs_peak:.0f} MB" if theirs_peak else ""
    rows.append((label, s[0] if s else None, go.get(theirs), note))
print("| history | Faultline | Porcupine | ratio | verdicts |")
print("|---|---:|---:|---:|---|")
for label, a, b, note in rows:
    ratio = f"{a / b:.2f}×" if a and b else "—"
    print(f"| {label} | {fmt(a)} | {fmt(b)} | {ratio} | {note} |")
PY
