#!/usr/bin/env bash
# The fleet speed benchmark: hardbench against OpenSSH on N lab hosts, in one
# run, with the same key, known_hosts and concurrency. See bench/README.md.
#
#   bash bench/fleet.sh [N] [--concurrency C] [--rounds R] [--per-check-hosts M]
#                       [--dir DIR] [--net K] [--eval-hosts K] [--reference]
#
# N lab hosts (default 50) of the worker-min profile come up on
# 127.0.B.x (B default 60, so a default lab on 127.0.10.x can stay up).
# Each round runs, in a rotating order:
#   floor      OpenSSH's client running `true` on every host (xargs -P straight to ssh)
#   hardbench  `hardbench run` auditing every host with the full benchmark
#   per-check  one OpenSSH exec per check per host: the `sudo -n` stat/cat/ps a
#              per-check runner sends, for every check of `hardbench list-checks`
#              that applies to a worker; on M hosts (default min(N, 50)), scaled to N
# then prints the medians, ratios, hardbench's peak RSS and CPU per host, and
# per-host TCP connections, authentications and exec channels counted in the
# lab sshd logs. Last, K saved-fact files (default 1000) replayed through
# `hardbench evaluate` on one core: the lab hosts' own, then, for information,
# K copies of the kubeadm control-plane fixture. With --reference, the build the
# offline-evaluation target was set on (bench/lab.sh) replays its own
# control-plane copies in the same run, which says how much faster or slower
# this machine is than on that day. Everything this script started is stopped
# on exit, by PID. Needs root (the lab does); installs the lab's packages
# (tests/lab/install-deps.sh) when they are missing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lab.sh
source "$repo/bench/lab.sh"
count=50
concurrency=32
rounds=3
per_check_hosts=
dir=/tmp/hardbench-bench
net=60
eval_hosts=1000
reference=

# Its usage spans two header lines (bench/lab.sh's usage takes one).
usage() {
    sed -n '/^#   bash/,/^#  *\[--dir/p' "${BASH_SOURCE[0]}" | sed 's/^#   /usage: /; s/^# *//' >&2
    exit 2
}
while (($#)); do
    case $1 in
    --concurrency) concurrency=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --per-check-hosts) per_check_hosts=${2:?}; shift 2 ;;
    --dir) dir=${2:?}; shift 2 ;;
    --net) net=${2:?}; shift 2 ;;
    --eval-hosts) eval_hosts=${2:?}; shift 2 ;;
    --reference) reference=1; shift ;;
    -h | --help) usage ;;
    [0-9]*) count=$1; shift ;;
    *) printf 'fleet.sh: unknown argument %s\n' "$1" >&2; usage ;;
    esac
done
for v in count concurrency rounds eval_hosts; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
((rounds >= 3)) || die "--rounds must be at least 3"
per_check_hosts=${per_check_hosts:-$((count < 50 ? count : 50))}
((per_check_hosts >= 1 && per_check_hosts <= count)) || die "--per-check-hosts must be 1..$count"
((EUID == 0)) || die "must run as root (the lab needs namespaces)"
# The lab's packages and GNU time (for peak RSS); quiet when all are present.
bash "$repo/tests/lab/install-deps.sh" || die "tests/lab/install-deps.sh failed"
for tool in ssh xargs taskset awk; do
    command -v "$tool" >/dev/null || die "missing $tool"
done

# --- build ---------------------------------------------------------------------
bench_binary
[[ -z $reference ]] || bench_reference
((eval_hosts == 1000)) || [[ -z $reference ]] || die "--reference compares with that day's 1,000-host set: leave --eval-hosts at 1000"

# --- the lab, and teardown of everything we start -------------------------------
bench_lab hardbench-fleet worker-min
inv=$dir/inventory.toml
key=$dir/id_ed25519
mapfile -t addrs < <(sed -n 's/^address = "\(.*\)"$/\1/p' "$inv")
mapfile -t names < <(sed -n 's/^name = "\(.*\)"$/\1/p' "$inv")
logs=()
for n in "${names[@]}"; do
    logs+=("$dir/hosts/$n/sshd.log")
done
((${#addrs[@]} == count)) || die "the inventory lists ${#addrs[@]} hosts, expected $count"
ssh_opts=(-o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$dir/known_hosts"
    -o IdentitiesOnly=yes -o "IdentityFile=$key" -o ConnectTimeout=10 -o LogLevel=ERROR -l hbaudit)

# --- the per-check command list ----------------------------------------------------
# What a per-check runner execs for each worker check, modelled on kube-bench's
# audit commands: a stat for file checks, the kubelet config for config
# checks, the process list for flag checks. A check this table does not know
# gets the process list, the cheapest command a flag check can need.
per_check_command() {
    case $1 in
    4.1.1) echo 'sudo -n stat -c %a /etc/systemd/system/kubelet.service.d/10-kubeadm.conf' ;;
    4.1.2) echo 'sudo -n stat -c %U:%G /etc/systemd/system/kubelet.service.d/10-kubeadm.conf' ;;
    4.1.3 | 4.1.4) echo 'sudo -n stat -c %a:%U:%G /etc/kubernetes/proxy.conf' ;;
    4.1.5) echo 'sudo -n stat -c %a /etc/kubernetes/kubelet.conf' ;;
    4.1.6) echo 'sudo -n stat -c %U:%G /etc/kubernetes/kubelet.conf' ;;
    4.1.7 | 4.1.8) echo 'sudo -n stat -c %a:%U:%G /etc/kubernetes/pki/ca.crt' ;;
    4.1.9) echo 'sudo -n stat -c %a /var/lib/kubelet/config.yaml' ;;
    4.1.10) echo 'sudo -n stat -c %U:%G /var/lib/kubelet/config.yaml' ;;
    4.2.*) echo 'sudo -n cat /var/lib/kubelet/config.yaml' ;;
    *) echo 'sudo -n ps -fC kubelet' ;;
    esac
}
mapfile -t worker_checks < <("$hb" list-checks | awk '$2 == "worker" { print $1 }')
((${#worker_checks[@]})) || die "hardbench list-checks lists no worker check"
: >"$work/floor.list"
for a in "${addrs[@]}"; do
    printf '%s true\n' "$a" >>"$work/floor.list"
done
printf '%s\n' "${names[@]}" >"$work/all-hosts"
printf '%s\n' "${names[@]:0:per_check_hosts}" >"$work/per-check-hosts"
: >"$work/per-check.list"
for a in "${addrs[@]:0:per_check_hosts}"; do
    for c in "${worker_checks[@]}"; do
        printf '%s %s\n' "$a" "$(per_check_command "$c")" >>"$work/per-check.list"
    done
done

# --- measurements ------------------------------------------------------------------
now_ns() { date +%s%N; }
# Each method prints its wall time in seconds; a failed host aborts the run.
run_floor() {
    local t0 t1
    t0=$(now_ns)
    xargs -P "$concurrency" -L 1 ssh "${ssh_opts[@]}" <"$work/floor.list" ||
        die "the floor failed on some host"
    t1=$(now_ns)
    awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f\n", d / 1e9 }'
}
run_per_check() {
    local t0 t1
    t0=$(now_ns)
    # A check's command may fail on the host (stat of a missing file): that
    # is an answer (xargs 123). ssh's own failure (255) stops xargs (124).
    local rc=0
    xargs -P "$concurrency" -L 1 ssh "${ssh_opts[@]}" <"$work/per-check.list" >/dev/null 2>"$work/per-check.err" ||
        rc=$?
    ((rc == 0 || rc == 123)) || { tail -n 5 "$work/per-check.err" >&2; die "a per-check ssh failed (xargs $rc)"; }
    t1=$(now_ns)
    awk -v d=$((t1 - t0)) -v s="$count" -v m="$per_check_hosts" 'BEGIN { printf "%.3f\n", d / 1e9 * s / m }'
}
# run_hardbench CONCURRENCY TAG: wall seconds; GNU time's record in $work/time.TAG.
run_hardbench() {
    local rc=0 t0 t1
    t0=$(now_ns)
    /usr/bin/time -f '%e %U %S %M' -o "$work/time.$2" \
        "$hb" run --inventory "$inv" --concurrency "$1" --no-progress --json "$work/report.json" \
        >"$work/console.txt" 2>&1 || rc=$?
    t1=$(now_ns)
    ((rc <= 1)) || { cat "$work/console.txt" >&2; die "hardbench exited $rc"; }
    local ok
    ok=$(grep -o '"hosts_ok": [0-9]*' "$work/report.json" | awk '{ print $2 }')
    [[ $ok == "$count" ]] || die "hardbench audited $ok of $count hosts"
    awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f\n", d / 1e9 }'
}
# sshd log counts per host (one awk over every log): name, TCP connections,
# authentications ("Accepted publickey", one per successful auth) and exec
# channels ("Starting session: command", one per exec request).
log_counts() {
    awk '
        FNR == 1 { if (f != "") print f, c, a, x; f = FILENAME; sub(/\/sshd\.log$/, "", f); sub(/.*\//, "", f); c = a = x = 0 }
        /^Connection from / { c++ }
        /^Accepted publickey / { a++ }
        /^Starting session: command / { x++ }
        END { if (f != "") print f, c, a, x }
    ' "${logs[@]}" | sort
}
# per_host BEFORE AFTER SCOPE: "conn auth exec" per host in SCOPE (a file of
# host names), each as mean (min-max).
per_host() {
    join "$1" "$2" | awk -v scope="$3" '
        BEGIN { while ((getline n < scope) > 0) { want[n] = 1; h++ } }
        $1 in want { for (i = 0; i < 3; i++) { d = $(i + 5) - $(i + 2); s[i] += d; if (!(i in lo) || d < lo[i]) lo[i] = d; if (!(i in hi) || d > hi[i]) hi[i] = d } }
        END { for (i = 0; i < 3; i++) printf "%s%.2f (%d-%d)", (i ? " " : ""), s[i] / h, lo[i], hi[i]; print "" }'
}
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

methods=(floor hardbench per-check)
declare -A walls=()
counts_done=()
: >"$work/hb-cpu"
printf 'fleet: %d worker-min hosts on 127.0.%d.x, concurrency %d, %d rounds, %d checks per worker, per-check on %d host(s)\n' \
    "$count" "$net" "$concurrency" "$rounds" "${#worker_checks[@]}" "$per_check_hosts" >&2
for ((r = 0; r < rounds; r++)); do
    for ((k = 0; k < 3; k++)); do
        m=${methods[(r + k) % 3]}
        log_counts >"$work/before"
        ticks0=$(cpu_ticks)
        case $m in
        floor) w=$(run_floor) ;;
        hardbench) w=$(run_hardbench "$concurrency" "r$r") ;;
        per-check) w=$(run_per_check) ;;
        esac
        ticks1=$(cpu_ticks)
        walls[$m]="${walls[$m]:-} $w"
        log_counts >"$work/after"
        hosts=$count scope=$work/all-hosts
        [[ $m != per-check ]] || hosts=$per_check_hosts scope=$work/per-check-hosts
        printf '%s %s\n' "$m" "$(per_host "$work/before" "$work/after" "$scope")" >>"$work/counts.r$r"
        awk -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v h="$hosts" -v m="$m" \
            'BEGIN { printf "%s %.1f\n", m, t / hz / h * 1000 }' >>"$work/machine-cpu"
        printf '  round %d %-9s %8.3f s\n' "$((r + 1))" "$m" "$w" >&2
    done
done
# Peak RSS at concurrency 64 as well: the memory target is stated there.
w64=$(run_hardbench 64 c64)

# --- offline evaluation ------------------------------------------------------------------
# replay FACTS OUT WHAT [BIN]: FACTS through `BIN evaluate --json` (default:
# hardbench) on one core, $rounds times; a line "wall user sys" per round in
# OUT. Wall comes from the shell's microsecond clock: GNU time's %e moves in
# 10 ms steps, a twentieth of a run here.
replay() {
    local facts=$1 out=$2 what=$3 bin=${4:-$hb} r rc t0 t1
    : >"$out"
    for ((r = 0; r < rounds; r++)); do
        rc=0
        t0=$EPOCHREALTIME
        /usr/bin/time -f '%U %S' -o "$out.time" taskset -c 0 \
            "$bin" evaluate --facts "$facts" --json "$out.json" >/dev/null 2>&1 || rc=$?
        t1=$EPOCHREALTIME
        ((rc <= 1)) || die "$bin evaluate ($what facts) exited $rc"
        printf '%s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')" \
            "$(tail -n 1 "$out.time")" >>"$out"
    done
    grep -q "\"hosts_ok\": $eval_hosts" "$out.json" || die "evaluate did not report $eval_hosts $what hosts"
}
# index_set DIR: the _index.json `hardbench run --save-facts` writes beside
# the hosts' files (every host, saved, with its file's sha256), for a set
# made here by copying; `hardbench evaluate` reads only complete sets.
index_set() {
    python3 - "$1" <<'PY'
import hashlib, json, pathlib, sys
d = pathlib.Path(sys.argv[1])
hosts = []
for p in sorted(d.glob("*.json")):
    s = json.loads(p.read_bytes())
    r = {k: s[k] for k in ["host", "address", "port", "user", "sudo", "roles"]}
    r.update(status="ok", file=p.name, sha256=hashlib.sha256(p.read_bytes()).hexdigest())
    hosts.append(r)
now = "2026-01-01T00:00:00+00:00"
index = {"schema": "hardbench.facts-index/v1", "run_id": "0" * 32, "hardbench_version": "bench",
         "started_at": now, "finished_at": now, "hosts": hosts}
(d / "_index.json").write_text(json.dumps(index))
PY
}
# One host's saved facts, copied to K files with distinct names and a distinct
# kubelet config text each (a leading YAML comment), so that no host reuses
# another's parse.
"$hb" run --inventory "$inv" --limit "${names[0]}" --no-progress --save-facts "$work/facts1" >/dev/null 2>&1 || true
one=$work/facts1/${names[0]}.json
[[ -s $one ]] || die "no saved facts for ${names[0]}"
mkdir "$work/facts"
for ((i = 1; i <= eval_hosts; i++)); do
    sed -e "s/\"${names[0]}\"/\"replica-$i\"/" -e "s/\"content\": \"/\"content\": \"# replica $i\\\\n/" "$one" \
        >"$work/facts/replica-$i.json"
done
index_set "$work/facts"
replay "$work/facts" "$work/eval" lab
# The same for a control-plane host (the kubeadm fixture's cp-good): it has
# four static pod manifests, about three times the checks and flags, and a
# JSON report three times the size. Reported for information; the target is
# stated for the fleet above.
copies "$repo/tests/fixtures/kubeadm/cp-good.json" "$work/facts-cp" "$eval_hosts" cp
index_set "$work/facts-cp"
replay "$work/facts-cp" "$work/eval-cp" control-plane
if [[ -n $reference ]]; then
    reference_set cp "$work/ref-cp" "$eval_hosts"
    replay "$work/ref-cp" "$work/eval-ref" "reference control-plane" "$ref_hb"
fi

# --- the table ---------------------------------------------------------------------------
med() { tr ' ' '\n' <<<"${walls[$1]}" | grep . | median; }
floor=$(med floor) hbw=$(med hardbench) pc=$(med per-check)
# GNU time's record is its last line (a "Command exited with non-zero
# status" line may come first).
rss32=$(for f in "$work"/time.r*; do tail -n 1 "$f" | awk '{ print $4 }'; done | sort -g | tail -n 1)
rss64=$(tail -n 1 "$work/time.c64" | awk '{ print $4 }')
cpu_ms=$(for f in "$work"/time.r*; do tail -n 1 "$f" | awk -v n="$count" '{ print ($2 + $3) / n * 1000 }'; done | median)
mcpu() { awk -v m="$1" '$1 == m { print $2 }' "$work/machine-cpu" | median; }
eval_wall=$(awk '{ print $1 }' "$work/eval" | median)
eval_cpu=$(awk '{ print $2 + $3 }' "$work/eval" | median)
counts=$(cat "$work"/counts.r*)
cnt() { awk -v m="$1" '$1 == m { $1 = ""; print substr($0, 2); exit }' <<<"$counts"; }
rounds_of() { tr ' ' '\n' <<<"${walls[$1]}" | grep . | tr '\n' ' '; }

ok() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { print ((op == "<=" ? v <= t : v >= t) ? "met" : "NOT met") }'; }
ratio_hf=$(awk -v a="$hbw" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')
ratio_ph=$(awk -v a="$pc" -v b="$hbw" 'BEGIN { printf "%.1f", a / b }')
rate_wall=$(awk -v n="$eval_hosts" -v t="$eval_wall" 'BEGIN { printf "%.0f", n / t }')
rate_cpu=$(awk -v n="$eval_hosts" -v t="$eval_cpu" 'BEGIN { printf "%.0f", n / t }')
rate_cp=$(awk -v n="$eval_hosts" -v t="$(awk '{ print $1 }' "$work/eval-cp" | median)" 'BEGIN { printf "%.0f", n / t }')
rss32_mib=$(awk -v k="$rss32" 'BEGIN { printf "%.1f", k / 1024 }')
rss64_mib=$(awk -v k="$rss64" 'BEGIN { printf "%.1f", k / 1024 }')
cpu_ms=$(awk -v v="$cpu_ms" 'BEGIN { printf "%.2f", v }')
one_each=$(awk '$1 == "hardbench" { n++; if ($0 == "hardbench 1.00 (1-1) 1.00 (1-1) 1.00 (1-1)") good++ }
    END { print (n && good == n) ? "met, in every round" : "NOT met" }' <<<"$counts")

cat <<EOF

hardbench fleet benchmark: $count worker-min lab hosts, concurrency $concurrency, $rounds rounds, $(nproc) cores, $(date -u +%Y-%m-%d)
| method                                         | median wall | rounds (s)               | machine CPU/host |
|------------------------------------------------|-------------|--------------------------|------------------|
$(printf '| %-46s | %9.2f s | %-24s | %13s ms |' "floor: OpenSSH ssh true, xargs -P $concurrency" "$floor" "$(rounds_of floor)" "$(mcpu floor)")
$(printf '| %-46s | %9.2f s | %-24s | %13s ms |' "hardbench run, full benchmark ($(printf '%s' "$("$hb" list-checks | head -n 1 | sed 's/^[^(]*(\([0-9]* checks\)).*/\1/')"))" "$hbw" "$(rounds_of hardbench)" "$(mcpu hardbench)")
$(printf '| %-46s | %9.2f s | %-24s | %13s ms |' "per-check: ${#worker_checks[@]} ssh execs/host (x$count/$per_check_hosts)" "$pc" "$(rounds_of per-check)" "$(mcpu per-check)")

| measure                                              | value        | target    |         |
|------------------------------------------------------|--------------|-----------|---------|
$(printf '| %-52s | %12s | %-9s | %-7s |' "hardbench / floor" "$ratio_hf" "<= 0.6" "$(ok "$ratio_hf" '<=' 0.6)")
$(printf '| %-52s | %12s | %-9s | %-7s |' "per-check / hardbench" "$ratio_ph" ">= 20" "$(ok "$ratio_ph" '>=' 20)")
$(printf '| %-52s | %8s MiB | %-9s | %-7s |' "hardbench peak RSS, concurrency $concurrency" "$rss32_mib" "" "")
$(printf '| %-52s | %8s MiB | %-9s | %-7s |' "hardbench peak RSS, concurrency 64 (wall ${w64} s)" "$rss64_mib" "<= 64 MiB" "$(ok "$rss64_mib" '<=' 64)")
$(printf '| %-52s | %9s ms | %-9s | %-7s |' "hardbench client CPU (user+sys) per host" "$cpu_ms" "<= 5 ms" "$(ok "$cpu_ms" '<=' 5)")
$(printf '| %-52s | %12s | %-9s | %-7s |' "offline evaluate, host-audits/s (1 core, wall)" "$rate_wall" ">= 5000" "$(ok "$rate_wall" '>=' 5000)")
$(printf '| %-52s | %12s | %-9s | %-7s |' "offline evaluate, host-audits/s (1 core, CPU time)" "$rate_cpu" "" "")
$(printf '| %-52s | %12s | %-9s | %-7s |' "  the same, control-plane hosts (kubeadm fixture)" "$rate_cp" "" "")

sshd logs, per host, mean (min-max): TCP connections, authentications, exec channels
$(printf '  %-10s %s\n' floor "$(cnt floor)" hardbench "$(cnt hardbench)" per-check "$(cnt per-check)")
hardbench: exactly one connection, authentication and exec channel per host: $one_each
EOF
if [[ -n $reference ]]; then
    echo
    reference_lines "$(awk -v n="$eval_hosts" -v t="$(awk '{ print $1 }' "$work/eval-ref" | median)" 'BEGIN { printf "%.0f", n / t }')" "$rate_wall"
fi
