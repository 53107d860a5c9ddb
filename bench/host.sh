#!/usr/bin/env bash
# The host-cost benchmark: what one hardbench audit costs the audited host,
# against one OpenSSH `ssh host true` login to the same host, in programs
# executed, host CPU and wall time. See bench/README.md.
#
#   bash bench/host.sh [--rounds R] [--dir DIR] [--net K] [--baseline BIN]
#
# Three lab hosts come up in DIR (default /tmp/hardbench-hostbench) on
# 127.0.K.x (K default 62): cp-good (a control plane with etcd), worker-good
# and worker-min. For each host, with an inventory holding only that host:
#   execs  strace -f on the host's sshd listener (the sshd that accepts its
#          connections) during one `hardbench run` and during one `ssh host
#          true`: every program executed in the session is counted, from
#          sshd's own re-exec, the login shell, sudo, env and sh to what the
#          gathering script runs, with a breakdown by program
#   CPU    R rounds (default 10), each one audit and one login in an order
#          that rotates: the user+system CPU, own and of the children reaped
#          (/proc/PID/stat fields 14-17), of the sshd listener and of the
#          host's PID 1, before and after each operation, once every process
#          of the session is gone. A session's processes are reaped by the
#          listener, through their parents, or, orphaned (sshd's post-auth
#          child outlives its monitor), by PID 1, whose other children run
#          for the whole benchmark: the delta is the host CPU of that
#          session and nothing else
#   wall   in the same rounds, the wall time of the `hardbench run` command
#          and of the `ssh host true` command
# then prints the figures, the ratios audit/login and the targets. With
# --baseline BIN (another hardbench binary, e.g. an earlier build), BIN is
# measured the same way in the same rounds and the ratios new/baseline are
# printed too. The binary measured is $HARDBENCH_BIN or the release build.
# Everything this script started is stopped on exit, by PID
# (tests/lab/down.sh). Needs root; installs the lab's packages and strace
# (tests/lab/install-deps.sh) when they are missing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lab.sh
source "$repo/bench/lab.sh"
count=1
rounds=10
dir=/tmp/hardbench-hostbench
net=62
baseline=
hosts=(cp-good worker-good worker-min)

while (($#)); do
    case $1 in
    --rounds) rounds=${2:?}; shift 2 ;;
    --dir) dir=${2:?}; shift 2 ;;
    --net) net=${2:?}; shift 2 ;;
    --baseline) baseline=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) printf 'host.sh: unknown argument %s\n' "$1" >&2; usage ;;
    esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer, got '$rounds'"
((rounds >= 3)) || die "--rounds must be at least 3"
((EUID == 0)) || die "must run as root (the lab needs namespaces)"
# The lab's packages and strace; quiet when all are present.
bash "$repo/tests/lab/install-deps.sh" || die "tests/lab/install-deps.sh failed"
for tool in ssh strace ps awk getconf; do
    command -v "$tool" >/dev/null || die "missing $tool"
done
hz=$(getconf CLK_TCK)
[[ $hz =~ ^[1-9][0-9]*$ ]] || die "getconf CLK_TCK gave '$hz'"

bench_binary
if [[ -n $baseline ]]; then
    [[ -x $baseline ]] || die "no baseline binary at $baseline"
    baseline=$(realpath "$baseline")
fi

# strace runs in the background while a session is traced; it is stopped on
# every exit, before the lab goes down.
strace_pid=
host_cleanup() {
    local rc=$?
    set +e
    [[ -z $strace_pid ]] || kill "$strace_pid" 2>/dev/null
    # bench_cleanup exits with the status it finds in $?.
    (exit "$rc")
    bench_cleanup
}
bench_lab hardbench-hostbench "${hosts[@]}"
trap host_cleanup EXIT
key=$dir/id_ed25519
ssh_opts=(-o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$dir/known_hosts"
    -o IdentitiesOnly=yes -o "IdentityFile=$key" -o ConnectTimeout=10 -o LogLevel=ERROR -l hbaudit)

# --- the lab's hosts ---------------------------------------------------------------
# address_of NAME: the host's address in the lab inventory.
address_of() {
    awk -v n="$1" '/^name = / { cur = $3 == "\"" n "\"" } cur && /^address = / { gsub(/"/, "", $3); print $3; exit }' \
        "$dir/inventory.toml"
}
# inventory_of NAME FILE: the lab inventory with its [defaults] and that host only.
inventory_of() {
    awk -v n="$1" '
        /^\[\[hosts\]\]/ { inhosts = 1; if (block != "" && keep) printf "%s", block; block = ""; keep = 0 }
        !inhosts { print; next }
        { block = block $0 "\n" }
        /^name = / && $3 == "\"" n "\"" { keep = 1 }
        END { if (block != "" && keep) printf "%s", block }' "$dir/inventory.toml" >"$2"
    [[ $(grep -c '^\[\[hosts\]\]' "$2") == 1 ]] || die "no single host $1 in $dir/inventory.toml"
}
# listener_of NAME: the PID of the host's sshd listener, the one sshd among
# the descendants of the host's unshare (DIR/pids) whose parent is no sshd.
listener_of() {
    local u found=
    while read -r u; do
        [[ $u =~ ^[0-9]+$ && -r /proc/$u/cmdline ]] || continue
        # unshare ... bash host-init.sh DIR NAME ADDR PROFILE
        if tr '\0' '\n' <"/proc/$u/cmdline" | grep -qxF -- "$1"; then
            found=$u
            break
        fi
    done <"$dir/pids"
    [[ -n $found ]] || die "no unshare for host $1 in $dir/pids"
    ps -eo pid=,ppid=,comm= | awk -v root="$found" '
        { parent[$1] = $2; comm[$1] = $3 }
        END {
            for (p in parent) {
                if (comm[p] != "sshd" || comm[parent[p]] == "sshd") continue
                for (q = parent[p]; q in parent && q != root; q = parent[q]) {}
                if (q == root) print p
            }
        }'
}
# ticks PID...: the sum of utime + stime + cutime + cstime of each PID, in
# clock ticks. The fields are counted after the command name, which may hold
# spaces.
ticks() {
    local line f p t=0
    for p; do
        read -r line <"/proc/$p/stat" || die "process $p of the host is gone"
        line=${line##*) }
        read -r -a f <<<"$line"
        # Fields 14-17 of the whole line are 11-14 here (field 3 is index 0).
        [[ "${f[*]:11:4}" =~ ^[0-9]+\ [0-9]+\ [0-9]+\ [0-9]+$ ]] || die "bad CPU times in /proc/$p/stat"
        t=$((t + f[11] + f[12] + f[13] + f[14]))
    done
    echo "$t"
}
# children PID: PID's children, zombies too, into the array kids (builtins
# only: wait_idle polls it).
children() {
    local c
    # The file has no line break: read fails at its end, yet sets c.
    read -r c <"/proc/$1/task/$1/children" || true
    read -r -a kids <<<"$c"
}
# wait_idle: waits until the listener has no child left, not even a zombie,
# and PID 1 only the children it had at the start (the lab's components and
# the listener, which run for the whole benchmark, so a count tells): every
# process of the session has been reaped, and its CPU is in the cutime and
# cstime of one of them. At most 10 s.
wait_idle() {
    local deadline n1
    # EPOCHREALTIME without its decimal point: microseconds.
    deadline=$((${EPOCHREALTIME//[.,]/} + 10000000))
    while :; do
        children "$init"
        n1=${#kids[@]}
        children "$listener"
        ((${#kids[@]} || n1 != init_children)) || return 0
        ((${EPOCHREALTIME//[.,]/} < deadline)) || break
        sleep 0.01
    done
    # A process the session left running keeps the benchmark from measuring it.
    children "$init"
    local left=("${kids[@]:init_children}")
    children "$listener"
    left+=("${kids[@]}")
    die "the session has not ended 10 s after the operation; still there: $(ps -o pid=,args= -p "$(IFS=,; echo "${left[*]}")" 2>&1 | tr -s ' \n' ' ')"
}
[[ -r /proc/$$/task/$$/children ]] ||
    die "this kernel has no /proc/PID/task/PID/children (CONFIG_PROC_CHILDREN)"

# --- the operations ------------------------------------------------------------------
# timed CMD...: runs CMD and sets rc, wall (its wall time in s, from the
# shell's microsecond clock) and client (its user+system CPU on this
# machine in ms, from the shell's times for its reaped children).
timed() {
    local t0 t1
    times >"$work/times.0"
    t0=$EPOCHREALTIME
    rc=0
    "$@" || rc=$?
    t1=$EPOCHREALTIME
    times >"$work/times.1"
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
    # times prints "0m0.004s 0m0.001s" for the shell, then for its children.
    client=$(awk 'FNR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += (FILENAME ~ /1$/ ? 1 : -1) * (t[1] * 60 + t[2]) } }
        END { printf "%.0f", s * 1000 }' "$work/times.0" "$work/times.1")
}
# The operations print nothing and leave wall and client set. An audit must
# audit its one host (exit 0 or 1, hosts_ok 1); a login must succeed.
# op_run BIN TAG: one `BIN run` against the host's inventory.
op_run() {
    timed "$1" run --inventory "$inv" --no-progress --json "$work/$2.json" >"$work/$2.console" 2>&1
    ((rc <= 1)) || { tail -n 20 "$work/$2.console" >&2; die "$2: hardbench exited $rc"; }
    grep -q '"hosts_ok": 1,' "$work/$2.json" || die "$2: the host was not audited"
}
# op_login: one `ssh host true` with the lab's key and known_hosts.
op_login() {
    timed ssh "${ssh_opts[@]}" "$addr" true </dev/null
    ((rc == 0)) || die "ssh $addr true failed (exit $rc)"
}
# op NAME: runs the operation named new, base or ssh.
op() {
    case $1 in
    new) op_run "$hb" "$host.new" ;;
    base) op_run "$baseline" "$host.base" ;;
    ssh) op_login ;;
    esac
}

# trace NAME: the programs one operation executes on the host, by strace on
# the sshd listener (-f follows a process that PID 1 adopts, too). Sets
# total and failed (successful and failed execve calls) and writes them to
# $work/trace.HOST.NAME.sum, and the successful ones by program, "count
# name" lines, most first, to $work/trace.HOST.NAME.progs.
trace() {
    local out=$work/trace.$host.$1 i tracer
    wait_idle
    strace -f -qq -e trace=execve -e signal=none -o "$out" -p "$listener" &
    strace_pid=$!
    for ((i = 0; i < 1000; i++)); do
        tracer=$(awk '/^TracerPid:/ { print $2 }' "/proc/$listener/status")
        [[ $tracer != "$strace_pid" ]] || break
        kill -0 "$strace_pid" 2>/dev/null || die "strace could not attach to sshd $listener"
        sleep 0.01
    done
    [[ $tracer == "$strace_pid" ]] || die "strace did not attach to sshd $listener in 10 s"
    op "$1"
    wait_idle
    kill "$strace_pid"
    wait "$strace_pid" || true
    strace_pid=
    # A line per execve; under -f, a call another process interrupts is split
    # into "<unfinished ...>" and "<... execve resumed>" lines of its PID.
    awk -v sum="$out.sum" '
        function done(path, line) {
            # A binary run by its descriptor (/proc/PID/fd/N, /dev/fd/N) has no name.
            if (path ~ /^\/(proc\/[0-9]+|dev)\/fd\/[0-9]+$/) path = "(by-fd)"
            if (line ~ /= 0$/) { sub(/.*\//, "", path); n[path]++; ok++ } else bad++
        }
        /<\.\.\. execve resumed>/ { done(pending[$1], $0); next }
        /execve\("/ {
            match($0, /execve\("[^"]*"/); path = substr($0, RSTART + 8, RLENGTH - 9)
            if ($0 ~ /<unfinished \.\.\.>$/) pending[$1] = path; else done(path, $0)
        }
        END {
            print ok + 0, bad + 0 >sum
            for (p in n) print n[p], p
        }' "$out" | sort -k1,1nr -k2,2 >"$out.progs"
    read -r total failed <"$out.sum"
    [[ $total =~ ^[0-9]+$ && $failed =~ ^[0-9]+$ ]] || die "$host $1: cannot read $out"
    ((total >= 1)) || die "$host $1: strace saw no program executed"
}

# --- measurements ------------------------------------------------------------------
ops=(new ssh)
[[ -z $baseline ]] || ops=(new base ssh)
declare -A label=([new]="hardbench run" [base]="baseline run" [ssh]="ssh host true")
printf 'host cost: %s on 127.0.%d.x, %d rounds, CPU from /proc/PID/stat in ticks of %s ms\n' \
    "${hosts[*]}" "$net" "$rounds" "$(awk -v hz="$hz" 'BEGIN { printf "%g", 1000 / hz }')" >&2
: >"$work/samples"
for host in "${hosts[@]}"; do
    addr=$(address_of "$host")
    [[ -n $addr ]] || die "no address for $host in $dir/inventory.toml"
    inv=$work/$host.toml
    inventory_of "$host" "$inv"
    mapfile -t listeners < <(listener_of "$host")
    ((${#listeners[@]} == 1)) || die "host $host: expected one sshd listener, found ${#listeners[@]} (${listeners[*]})"
    listener=${listeners[0]}
    # The listener's parent is the host's PID 1 (host-init.sh), which reaps
    # the orphans of its PID namespace.
    init=$(awk '{ print $4 }' "/proc/$listener/stat")
    [[ $(awk '/^NSpid:/ { print $NF }' "/proc/$init/status") == 1 ]] ||
        die "host $host: the parent $init of sshd $listener is not its PID 1"
    children "$init"
    init_children=${#kids[@]}
    # One untimed pass of each operation: a check that each works, and warm
    # caches on both sides.
    for o in "${ops[@]}"; do
        op "$o"
    done
    for o in "${ops[@]}"; do
        trace "$o"
        printf '  %-11s %-13s %4d execs\n' "$host" "${label[$o]}" "$total" >&2
    done
    for ((r = 0; r < rounds; r++)); do
        for ((k = 0; k < ${#ops[@]}; k++)); do
            o=${ops[(r + k) % ${#ops[@]}]}
            wait_idle
            c0=$(ticks "$listener" "$init")
            op "$o"
            wait_idle
            c1=$(ticks "$listener" "$init")
            ((c1 >= c0)) || die "the CPU times of sshd $listener and PID $init went down"
            [[ $wall =~ ^[0-9]+\.[0-9]+$ && $client =~ ^-?[0-9]+$ ]] || die "bad figures: wall '$wall', client CPU '$client'"
            ((client >= 0)) || die "the client CPU of $o went down"
            printf '%s %s %s %s %s\n' "$host" "$o" "$wall" "$(awk -v t=$((c1 - c0)) -v hz="$hz" 'BEGIN { printf "%.0f", t * 1000 / hz }')" \
                "$client" >>"$work/samples"
        done
        printf '  %-11s round %2d done\n' "$host" "$((r + 1))" >&2
    done
done

# --- the figures -------------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
mean() { awk '{ s += $1 } END { printf "%.1f", s / NR }'; }
# col HOST OP FIELD: the samples' field 3 (wall s), 4 (host CPU ms) or 5
# (client CPU ms).
col() { awk -v h="$1" -v o="$2" -v f="$3" '$1 == h && $2 == o { print $f }' "$work/samples"; }
div() { awk -v a="$1" -v b="$2" -v p="${3:-2}" 'BEGIN { if (b > 0) printf "%.*f", p, a / b; else print "inf" }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "inf" && v <= t) ? "PASS" : "FAIL" }'; }
execs() { read -r t _ <"$work/trace.$1.$2.sum" && echo "$t"; }
for host in "${hosts[@]}"; do
    for o in "${ops[@]}"; do
        n=$(col "$host" "$o" 3 | wc -l)
        ((n == rounds)) || die "$host $o: $n samples, expected $rounds"
    done
done

echo
echo "Programs executed on the host per session: strace -f on the host's sshd listener, every successful"
echo "execve of the session: sshd's re-exec, the login shell, sudo, env, sh and every program the script runs."
echo "A failed execve (execvp in env or xargs trying a PATH directory without the program) executes"
echo "nothing: it is counted apart. (by-fd): a binary executed through an open descriptor (/proc/PID/fd/N)."
for host in "${hosts[@]}"; do
    for o in "${ops[@]}"; do
        read -r total failed <"$work/trace.$host.$o.sum"
        printf '  %-11s %-13s %4d execs' "$host" "${label[$o]}" "$total"
        ((failed == 0)) || printf ' (and %d failed execve)' "$failed"
        printf ': %s\n' "$(awk '{ printf "%s%s %d", (NR > 1 ? ", " : ""), $2, $1 }' "$work/trace.$host.$o.progs")"
    done
done

cat <<EOF

hardbench host cost: ${hosts[*]}, $rounds rounds, $(nproc) cores, $(date -u +%Y-%m-%d)
hardbench: $hb${baseline:+
baseline:  $baseline}
Host CPU: the host's sshd listener and PID 1, utime+stime+cutime+cstime before and after each operation, in
ticks of $(awk -v hz="$hz" 'BEGIN { printf "%g", 1000 / hz }') ms (a median moves in those steps; a mean of $rounds rounds resolves finer). Client CPU: the
command's user+system CPU on this machine. Wall: the command's, from bash's EPOCHREALTIME.
| host        | operation     | execs | failed execve | host CPU median | host CPU mean | client CPU mean | wall median |
|-------------|---------------|-------|---------------|-----------------|---------------|-----------------|-------------|
EOF
for host in "${hosts[@]}"; do
    for o in "${ops[@]}"; do
        read -r total failed <"$work/trace.$host.$o.sum"
        printf '| %-11s | %-13s | %5d | %13d | %12s ms | %10s ms | %12s ms | %8.1f ms |\n' "$host" "${label[$o]}" "$total" "$failed" \
            "$(col "$host" "$o" 4 | median)" "$(col "$host" "$o" 4 | mean)" "$(col "$host" "$o" 5 | mean)" \
            "$(awk -v s="$(col "$host" "$o" 3 | median)" 'BEGIN { print s * 1000 }')"
    done
done

cat <<EOF

| measure                                                   | value  | target |      |
|-----------------------------------------------------------|--------|--------|------|
EOF
row() { printf '| %-57s | %6s | %-6s | %-4s |\n' "$1" "$2" "${3:+<= $3}" "${3:+$(verdict "$2" "$3")}"; }
# both HOST OP: the mean CPU of OP on the host and on this machine together.
both() { awk -v a="$(col "$1" "$2" 4 | mean)" -v b="$(col "$1" "$2" 5 | mean)" 'BEGIN { print a + b }'; }
for host in "${hosts[@]}"; do
    if [[ $host == cp-* ]]; then
        t_exec=25 t_cpu=1.0 t_wall=1.5
    else
        t_exec=15 t_cpu=0.7 t_wall=
    fi
    row "$host: programs executed per audit" "$(execs "$host" new)" "$t_exec"
    # The CPU target is judged as issue 10 first measured it: all of the
    # machine's CPU, the audited host's and the client's. On the host alone
    # an audit cannot cost less than the login and the sudo it contains.
    row "$host: host+client CPU, audit / ssh true (means)" "$(div "$(both "$host" new)" "$(both "$host" ssh)")" "$t_cpu"
    row "$host: host CPU alone, audit / ssh true (means)" \
        "$(div "$(col "$host" new 4 | mean)" "$(col "$host" ssh 4 | mean)")" ""
    row "$host: wall, audit / ssh true (medians)" \
        "$(div "$(col "$host" new 3 | median)" "$(col "$host" ssh 3 | median)")" "$t_wall"
    if [[ -n $baseline ]]; then
        row "$host: programs executed, new / baseline" "$(div "$(execs "$host" new)" "$(execs "$host" base)")" ""
        row "$host: host CPU, new / baseline (means)" \
            "$(div "$(col "$host" new 4 | mean)" "$(col "$host" base 4 | mean)")" ""
        row "$host: baseline host CPU, audit / ssh true (means)" \
            "$(div "$(col "$host" base 4 | mean)" "$(col "$host" ssh 4 | mean)")" ""
    fi
done
