#!/usr/bin/env bash
# Tears the lab down: stops every host up.sh started in DIR and removes DIR.
#
#   bash tests/lab/down.sh [--dir DIR] [--keep-dir] [--quiet]
#
# Only the PIDs listed in DIR/pids are touched, and only while each still is
# an `unshare` running this lab's host-init.sh for DIR. Each host's PID 1 (the
# unshare's child) gets SIGTERM and exits; the kernel then kills everything
# else in its PID namespace, and the unshare exits with it. Whatever is still
# there after 5 s gets SIGKILL. Idempotent: a missing DIR is not an error.
# --keep-dir keeps DIR (keys, logs) after stopping the hosts; --quiet prints
# nothing unless something goes wrong.
set -euo pipefail


dir=/tmp/hardbench-lab
keep_dir=0
quiet=0

die() {
    printf 'down.sh: error: %s\n' "$*" >&2
    exit 1
}
# The comment at the top of this file is the help: --help prints it to
# stdout and exits 0; a wrong argument prints the usage line to stderr, exit 2.
usage() {
    sed -n '/^#   bash/p' "${BASH_SOURCE[0]}" | sed 's/^#   /usage: /'
}
help() {
    sed -n '2,/^set -euo pipefail/{s/^#   bash/usage: bash/p;t;/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
    exit 0
}
while (($#)); do
    case $1 in
    --dir) dir=${2:?--dir needs a value}; shift 2 ;;
    --keep-dir) keep_dir=1; shift ;;
    --quiet) quiet=1; shift ;;
    -h | --help) help ;;
    *) printf 'down.sh: unknown argument %s\n' "$1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ $dir == /* ]] || dir=$PWD/$dir
say() { ((quiet)) || printf 'down.sh: %s\n' "$*"; }

[[ -e $dir ]] || { say "nothing at $dir"; exit 0; }
[[ -d $dir && -e $dir/.hardbench-lab ]] ||
    die "$dir is not a lab directory (no .hardbench-lab mark); not touching it"

ours() { # is PID still an unshare running our host-init.sh for this DIR?
    local pid=$1 argv=()
    [[ -r /proc/$pid/cmdline ]] || return 1
    mapfile -d '' -t argv <"/proc/$pid/cmdline" 2>/dev/null || return 1
    ((${#argv[@]})) || return 1
    [[ ${argv[0]##*/} == unshare ]] || return 1
    local a seen_init=0 seen_dir=0
    for a in "${argv[@]}"; do
        [[ ${a##*/} == host-init.sh ]] && seen_init=1
        [[ $a == "$dir" ]] && seen_dir=1
    done
    ((seen_init && seen_dir))
}
alive() { # running, not a zombie
    local st=Z
    [[ -r /proc/$1/stat ]] && read -r _ _ st _ <"/proc/$1/stat" 2>/dev/null
    [[ $st != Z ]]
}

targets=()
if [[ -f $dir/pids ]]; then
    while read -r pid; do
        [[ $pid =~ ^[0-9]+$ ]] || continue
        ours "$pid" && targets+=("$pid")
    done <"$dir/pids"
fi

if ((${#targets[@]})); then
    for pid in "${targets[@]}"; do
        # The unshare itself blocks SIGTERM while it waits for its child,
        # so the signal goes to the child: the namespace's PID 1.
        for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
            kill -TERM "$child" 2>/dev/null || true
        done
    done
    for ((t = 0; t < 50; t++)); do
        left=()
        for pid in "${targets[@]}"; do alive "$pid" && left+=("$pid"); done
        ((${#left[@]})) || break
        sleep 0.1
    done
    if ((${#left[@]})); then
        say "${#left[@]} host(s) still up after 5 s: SIGKILL"
        for pid in "${left[@]}"; do
            # --kill-child: the unshare's death SIGKILLs its PID 1 as well.
            ours "$pid" && kill -KILL "$pid" 2>/dev/null || true
        done
    fi
    say "stopped ${#targets[@]} host(s)"
fi

if ((keep_dir)); then
    : >"$dir/pids"
else
    rm -rf -- "$dir"
    say "removed $dir"
fi
