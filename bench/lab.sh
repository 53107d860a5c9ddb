# Sourced by the bench scripts: their error and usage messages, the hardbench
# binary they measure, and a lab that is torn down, with the script's scratch
# directory, on every exit. The script sets repo, dir, count and net.

# die MESSAGE: the script's error, exit 1.
die() {
    printf '%s: error: %s\n' "${0##*/}" "$*" >&2
    exit 1
}

# usage: the script's usage, its header's `#   bash ...` lines, exit 2.
usage() {
    sed -n '/^#   bash/p' "$0" | sed 's/^#   /usage: /' >&2
    exit 2
}

# bench_binary: sets hb to $HARDBENCH_BIN, or builds the release binary.
bench_binary() {
    if [[ -n ${HARDBENCH_BIN:-} ]]; then
        hb=$HARDBENCH_BIN
    else
        (cd "$repo" && cargo build --release --quiet) || die "cargo build --release failed"
        hb=$repo/target/release/hardbench
    fi
    [[ -x $hb ]] || die "no hardbench binary at $hb"
}

# bench_lab NAME PROFILE...: sets work to a new scratch directory
# /tmp/NAME.XXXXXX and brings up count hosts of each PROFILE on 127.0.net.x
# in dir; on exit, the lab goes down (every process it started, by PID) and the
# scratch directory is removed.
bench_lab() {
    work=$(mktemp -d "/tmp/$1.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    lab_started=1
    local p profiles=()
    for p in "${@:2}"; do
        profiles+=(--profile "$p")
    done
    bash "$repo/tests/lab/up.sh" --dir "$dir" --count "$count" --net "$net" "${profiles[@]}" >"$work/up.log" 2>&1 ||
        { cat "$work/up.log" >&2; die "the lab did not come up"; }
}

bench_cleanup() {
    local rc=$?
    if ((${lab_started:-0})); then
        bash "$repo/tests/lab/down.sh" --dir "$dir" --quiet || rc=1
    fi
    rm -rf -- "$work"
    exit "$rc"
}
