#!/usr/bin/env bash
# The offline evaluation benchmark: host-audits per second of
# `hardbench evaluate --json` on one core, without a lab. See bench/README.md.
#
#   bash bench/eval.sh [--hosts K] [--rounds R] [--baseline BIN] [--reference]
#
# Two saved sets are built from committed fixtures: K copies (default 1000)
# of the kubeadm worker (tests/fixtures/kubeadm/worker-good.json) and K of
# the kubeadm control plane (cp-good.json). Each copy has its own host name
# and its own document texts (a leading YAML comment), so that no host reuses
# another's parse, as bench/fleet.sh's step 4 does with a lab host's facts.
# Each set is replayed R times (default 5) with `taskset -c 0 hardbench
# evaluate --json`; the median wall time (the shell's microsecond clock) and
# CPU time (GNU time's user+sys) give host-audits per second. With
# --baseline BIN, BIN replays the same sets in the same run, the two binaries
# alternating round by round, its reports must hold the same verdicts, and
# the ratio of the two wall times is printed. The binary measured is
# $HARDBENCH_BIN, else the release build (built when stale).
#
# With --reference, the build the 5,000/s target was set on (bench/lab.sh:
# commit 1e1c098 of 2026-11-22) is built once into target/bench-reference/
# and replays, in the same rounds, 1,000 copies of that commit's own worker
# and control-plane fixtures, made as its bench/fleet.sh made them. Its
# control-plane set is the very input it was timed on that day, so its rate
# today against that day's says how much faster or slower this machine is
# now, and this build's worker rate is given at that factor too.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lab.sh
source "$repo/bench/lab.sh"
hosts=1000
rounds=5
baseline=
reference=

while (($#)); do
    case $1 in
    --hosts) hosts=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --baseline) baseline=${2:?}; shift 2 ;;
    --reference) reference=1; shift ;;
    -h | --help) usage ;;
    *) printf 'eval.sh: unknown argument %s\n' "$1" >&2; usage ;;
    esac
done
for v in hosts rounds; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--$v must be a positive integer, got '${!v}'"
done
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is needed; tests/lab/install-deps.sh installs it"
command -v python3 >/dev/null || die "python3 is needed to build the saved sets"
[[ -z $baseline ]] || command -v jq >/dev/null || die "jq is needed to compare the two binaries' verdicts"
bench_binary
[[ -z $baseline || -x $baseline ]] || die "no baseline binary at $baseline"
((hosts == 1000)) || [[ -z $reference ]] || die "--reference compares with that day's 1,000-host sets: leave --hosts at 1000"

# No lab: bench_cleanup only removes the scratch directory.
work=$(mktemp -d /tmp/hardbench-eval.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# replicate FIXTURE DIR PREFIX: K copies of FIXTURE in DIR, named PREFIX-i,
# each document prefixed with "# replica i", and the _index.json
# `hardbench run --save-facts` writes beside them (every host saved, with its
# file's sha256): `hardbench evaluate` reads only complete sets. The text is
# edited, not re-serialised, so each copy keeps the fixture's layout.
replicate() {
    python3 - "$1" "$2" "$3" "$hosts" <<'PY'
import hashlib, json, pathlib, re, sys
fixture, out, prefix, count = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
text = fixture.read_text()
out.mkdir()
hosts = []
for i in range(1, count + 1):
    name = f"{prefix}-{i}"
    copy = re.sub(r'"host": "[^"]*"', f'"host": "{name}"', text, count=1)
    copy = copy.replace('"content": "', f'"content": "# replica {i}\\n')
    (out / f"{name}.json").write_text(copy)
    s = json.loads(copy)
    r = {k: s[k] for k in ["host", "address", "port", "user", "sudo", "roles"]}
    r.update(status="ok", file=f"{name}.json", sha256=hashlib.sha256(copy.encode()).hexdigest())
    hosts.append(r)
now = "2026-01-01T00:00:00+00:00"
index = {"schema": "hardbench.facts-index/v1", "run_id": "0" * 32, "hardbench_version": "bench",
         "started_at": now, "finished_at": now, "hosts": hosts}
(out / "_index.json").write_text(json.dumps(index))
PY
}

# replay BIN FACTS OUT: one `evaluate --json OUT.json` of FACTS on core 0;
# appends "wall user+sys" to OUT.
replay() {
    local bin=$1 facts=$2 out=$3 rc=0 t0 t1
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%U %S' -o "$out.time" taskset -c 0 \
        "$bin" evaluate --facts "$facts" --json "$out.json" >/dev/null 2>&1 || rc=$?
    t1=$EPOCHREALTIME
    # 0 compliant, 1 findings: anything else is a failed evaluation.
    ((rc <= 1)) || die "$bin evaluate $facts exited $rc"
    grep -q "\"hosts_ok\": $hosts\\b" "$out.json" || die "$bin did not report $hosts hosts ok for $facts"
    awk -v a="$t0" -v b="$t1" '{ t = $0 } END { split(t, u, " "); printf "%.4f %.3f\n", b - a, u[1] + u[2] }' \
        "$out.time" >>"$out"
}

# verdicts REPORT: every host's verdicts: its status and each check's id,
# status, expected, actual and sources. Not the rest, which differs between
# two runs of the same facts (times, the version of hardbench) or between
# two builds whose reports gained fields (schema v1 may gain fields).
verdicts() {
    jq -S '[.hosts[] | {name, status, results: [.results[] | {id, status, expected, actual, sources}]}]' "$1"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf 'eval.sh: building %d worker and %d control-plane hosts in %s\n' "$hosts" "$hosts" "$work" >&2
replicate "$repo/tests/fixtures/kubeadm/worker-good.json" "$work/worker" worker
replicate "$repo/tests/fixtures/kubeadm/cp-good.json" "$work/cp" cp

bins=(hardbench)
[[ -z $baseline ]] || bins+=(baseline)
if [[ -n $reference ]]; then
    bench_reference
    for set in worker cp; do reference_set "$set" "$work/ref-$set" "$hosts"; done
    bins+=(reference)
fi
bin_of() {
    case $1 in
    hardbench) echo "$hb" ;;
    baseline) echo "$baseline" ;;
    reference) echo "$ref_hb" ;;
    esac
}
facts_of() { if [[ $1 == reference ]]; then echo "$work/ref-$2"; else echo "$work/$2"; fi; }
for set in worker cp; do
    for ((r = 0; r < rounds; r++)); do
        # The order alternates, so that neither binary always runs first
        # after the other has warmed (or cooled) the caches.
        order=("${bins[@]}")
        ((r % 2 == 0)) || mapfile -t order < <(printf '%s\n' "${bins[@]}" | tac)
        for b in "${order[@]}"; do
            replay "$(bin_of "$b")" "$(facts_of "$b" "$set")" "$work/$set.$b"
            printf '  %-6s round %d %-9s %s\n' "$set" "$((r + 1))" "$b" "$(tail -n 1 "$work/$set.$b")" >&2
        done
    done
    if [[ -n $baseline ]]; then
        # Files, not process substitutions: a jq that fails stops the script.
        for b in hardbench baseline; do verdicts "$work/$set.$b.json" >"$work/$set.$b.verdicts"; done
        if ! cmp -s "$work/$set.hardbench.verdicts" "$work/$set.baseline.verdicts"; then
            diff "$work/$set.baseline.verdicts" "$work/$set.hardbench.verdicts" | head -n 20 >&2
            die "the two binaries' $set reports differ (above: baseline < > hardbench)"
        fi
    fi
done

# --- the table ---------------------------------------------------------------------------
wall() { awk '{ print $1 }' "$work/$1.$2" | median; }
cpu() { awk '{ print $2 }' "$work/$1.$2" | median; }
rate() { awk -v n="$hosts" -v t="$1" 'BEGIN { printf "%.0f", n / t }'; }
printf '\nOffline evaluation, %d hosts per set, %d rounds, one core (taskset -c 0), medians\n\n' "$hosts" "$rounds"
printf '| %-13s | %-9s | %8s | %8s | %8s | %11s |\n' set binary "wall s" "hosts/s" "CPU s" "hosts/s CPU"
printf '|%s|%s|%s|%s|%s|%s|\n' --------------- ----------- ---------- ---------- ---------- -------------
for set in worker cp; do
    label=$([[ $set == cp ]] && echo control-plane || echo worker)
    for b in "${bins[@]}"; do
        w=$(wall "$set" "$b") c=$(cpu "$set" "$b")
        printf '| %-13s | %-9s | %8.3f | %8s | %8.3f | %11s |\n' "$label" "$b" "$w" "$(rate "$w")" "$c" "$(rate "$c")"
    done
done
printf '\ntarget: worker >= 5000 host-audits/s (wall): %s\n' \
    "$(awk -v r="$(rate "$(wall worker hardbench)")" 'BEGIN { print (r >= 5000) ? "met" : "NOT met" }')"
if [[ -n $reference ]]; then
    reference_lines "$(rate "$(wall cp reference)")" "$(rate "$(wall worker hardbench)")"
    for set in worker cp; do
        printf 'reference/hardbench wall time, %s (each its own format of the same fixture): %s\n' "$set" \
            "$(awk -v a="$(wall "$set" reference)" -v b="$(wall "$set" hardbench)" 'BEGIN { printf "%.2f", a / b }')"
    done
fi
if [[ -n $baseline ]]; then
    for set in worker cp; do
        printf 'baseline/hardbench wall time, %s: %s (same verdicts)\n' "$set" \
            "$(awk -v a="$(wall "$set" baseline)" -v b="$(wall "$set" hardbench)" 'BEGIN { printf "%.2f", a / b }')"
    done
fi
