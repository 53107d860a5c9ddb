#!/usr/bin/env bash
# The jump-host benchmark: N lab hosts audited through one jump host against
# the same N audited directly, in one run. See bench/README.md.
#
#   bash bench/jump.sh [N] [--concurrency C] [--rounds R] [--dir DIR] [--net K]
#
# N worker-min lab hosts (default 200) come up inside a network namespace of
# their own, on 127.0.K.x there (K default 64), where nothing outside the
# namespace reaches them. A jump host (an sshd allowing TCP forwarding, the
# lab's user and key) listens in the namespace on a veth address reachable
# from this machine. Each round runs, in an order that alternates:
#   direct  `hardbench run` from inside the namespace, straight to every host
#   jump    `hardbench run` from this machine, every host through the jump host
# then prints the median wall times, and the TCP connections and
# authentications counted in the jump host's and the lab hosts' sshd logs.
# Everything this script started is stopped on exit (by PID), and the
# namespace and veth are deleted. Needs root; installs the lab's packages
# (tests/lab/install-deps.sh) when they are missing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lab.sh
source "$repo/bench/lab.sh"
count=200
concurrency=32
rounds=3
dir=/tmp/hardbench-bench-jump
net=64
while (($#)); do
    case $1 in
    --concurrency) concurrency=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --dir) dir=${2:?}; shift 2 ;;
    --net) net=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    [0-9]*) count=$1; shift ;;
    *) printf 'jump.sh: unknown argument %s\n' "$1" >&2; usage ;;
    esac
done
for v in count concurrency rounds net; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
((rounds >= 3)) || die "--rounds must be at least 3"
((net <= 250)) || die "--net must be at most 250"
((EUID == 0)) || die "must run as root (the lab needs namespaces)"
bash "$repo/tests/lab/install-deps.sh" || die "tests/lab/install-deps.sh failed"
for tool in ip ssh-keygen awk; do
    command -v "$tool" >/dev/null || die "missing $tool"
done

bench_binary

# --- the namespace, the lab in it, the jump host, and teardown -------------------
ns=hbbench$net
outer=hbb${net}o inner=hbb${net}i
jump_ip=10.255.$net.2 local_ip=10.255.$net.1
work=$(mktemp -d /tmp/hardbench-jump.XXXXXX)
jump_pid=
cleanup() {
    local rc=$?
    [[ -z $jump_pid ]] || { kill "$jump_pid" 2>/dev/null || true; wait "$jump_pid" 2>/dev/null || true; }
    if ((${lab_started:-0})); then
        bash "$repo/tests/lab/down.sh" --dir "$dir" --quiet || rc=1
    fi
    ip netns del "$ns" 2>/dev/null || true
    ip link del "$outer" 2>/dev/null || true
    rm -rf -- "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns list | grep -qw "$ns" && die "network namespace $ns exists (another run?); delete it with: ip netns del $ns"
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip link add "$outer" type veth peer name "$inner"
ip link set "$inner" netns "$ns"
ip addr add "$local_ip/30" dev "$outer"
ip link set "$outer" up
ip netns exec "$ns" ip addr add "$jump_ip/30" dev "$inner"
ip netns exec "$ns" ip link set "$inner" up

lab_started=1
ip netns exec "$ns" bash "$repo/tests/lab/up.sh" --dir "$dir" --count "$count" --net "$net" --profile worker-min \
    >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; die "the lab did not come up"; }
inv=$dir/inventory.toml
mapfile -t names < <(sed -n 's/^name = "\(.*\)"$/\1/p' "$inv")
((${#names[@]} == count)) || die "the inventory lists ${#names[@]} hosts, expected $count"

ssh-keygen -q -t ed25519 -N "" -C "" -f "$work/jump_host_key"
cat >"$work/jump_sshd_config" <<CFG
ListenAddress $jump_ip:22
HostKey $work/jump_host_key
AuthorizedKeysFile $dir/authorized_keys
AllowUsers hbaudit
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PidFile none
LogLevel VERBOSE
AllowTcpForwarding yes
PermitTTY no
X11Forwarding no
CFG
ip netns exec "$ns" /usr/sbin/sshd -D -f "$work/jump_sshd_config" -E "$work/jump.log" </dev/null &
jump_pid=$!
for _ in $(seq 100); do
    grep -q 'Server listening' "$work/jump.log" 2>/dev/null && break
    sleep 0.1
done
grep -q 'Server listening' "$work/jump.log" || { cat "$work/jump.log" >&2; die "the jump host's sshd did not start"; }

# The lab's inventory through the jump host: its known_hosts plus the jump host's key.
cp "$dir/known_hosts" "$work/known_hosts"
printf '%s %s\n' "$jump_ip" "$(cut -d' ' -f1-2 "$work/jump_host_key.pub")" >>"$work/known_hosts"
sed -e "s|^known_hosts = .*|known_hosts = \"$work/known_hosts\"\nproxy_jump = \"hbaudit@$jump_ip:22\"|" "$inv" >"$work/jump.toml"
grep -q '^proxy_jump' "$work/jump.toml" || die "cannot write the jump inventory"

# --- measurements ----------------------------------------------------------------
now_ns() { date +%s%N; }
# run_method METHOD: wall seconds; every host must be audited.
run_method() {
    local rc=0 t0 t1
    t0=$(now_ns)
    case $1 in
    direct) ip netns exec "$ns" "$hb" run --inventory "$inv" --concurrency "$concurrency" --no-progress \
        --json "$work/report.json" >"$work/console.txt" 2>&1 || rc=$? ;;
    jump) "$hb" run --inventory "$work/jump.toml" --concurrency "$concurrency" --no-progress \
        --json "$work/report.json" >"$work/console.txt" 2>&1 || rc=$? ;;
    esac
    t1=$(now_ns)
    ((rc <= 1)) || { tail -n 20 "$work/console.txt" >&2; die "hardbench ($1) exited $rc"; }
    local ok
    ok=$(grep -o '"hosts_ok": [0-9]*' "$work/report.json" | awk '{ print $2 }')
    [[ $ok == "$count" ]] || { tail -n 20 "$work/console.txt" >&2; die "hardbench ($1) audited $ok of $count hosts"; }
    awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f\n", d / 1e9 }'
}
# count_log FILE...: TCP connections and authentications in sshd logs.
count_log() {
    cat "$@" | awk '/^Connection from / { c++ } /^Accepted publickey / { a++ } END { printf "%d %d\n", c, a }'
}
target_logs=()
for n in "${names[@]}"; do
    target_logs+=("$dir/hosts/$n/sshd.log")
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

declare -A walls=() jump_counts=() target_counts=()
printf 'jump: %d worker-min hosts in netns %s on 127.0.%d.x, jump host %s, concurrency %d, %d rounds\n' \
    "$count" "$ns" "$net" "$jump_ip" "$concurrency" "$rounds" >&2
for ((r = 0; r < rounds; r++)); do
    if ((r % 2)); then order=(jump direct); else order=(direct jump); fi
    for m in "${order[@]}"; do
        read -r jc0 ja0 < <(count_log "$work/jump.log")
        read -r tc0 ta0 < <(count_log "${target_logs[@]}")
        w=$(run_method "$m")
        read -r jc1 ja1 < <(count_log "$work/jump.log")
        read -r tc1 ta1 < <(count_log "${target_logs[@]}")
        walls[$m]="${walls[$m]:-} $w"
        jump_counts[$m]="$((jc1 - jc0)) $((ja1 - ja0))"
        target_counts[$m]="$((tc1 - tc0)) $((ta1 - ta0))"
        printf '  round %d %-6s %8.3f s  jump host: %s conn/auth, lab hosts: %s conn/auth\n' \
            "$((r + 1))" "$m" "$w" "${jump_counts[$m]}" "${target_counts[$m]}" >&2
    done
done

med() { tr ' ' '\n' <<<"${walls[$1]}" | grep . | median; }
rounds_of() { tr ' ' '\n' <<<"${walls[$1]}" | grep . | tr '\n' ' '; }
direct=$(med direct) through=$(med jump)
ratio=$(awk -v a="$through" -v b="$direct" 'BEGIN { printf "%.2f", a / b }')
cat <<EOF

hardbench jump-host benchmark: $count worker-min lab hosts, concurrency $concurrency, $rounds rounds, $(nproc) cores, $(date -u +%Y-%m-%d)
| method                          | median wall | rounds (s)               | jump host conn/auth (last round) | lab hosts conn/auth (last round) |
|---------------------------------|-------------|--------------------------|----------------------------------|----------------------------------|
$(printf '| %-31s | %9.2f s | %-24s | %32s | %32s |' "direct, from inside the netns" "$direct" "$(rounds_of direct)" "${jump_counts[direct]}" "${target_counts[direct]}")
$(printf '| %-31s | %9.2f s | %-24s | %32s | %32s |' "through one jump host" "$through" "$(rounds_of jump)" "${jump_counts[jump]}" "${target_counts[jump]}")
through the jump host / direct: $ratio
EOF
