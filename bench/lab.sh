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

# The build the offline-evaluation target (>= 5,000 host-audits/s) was set
# on: commit 1e1c098 of 2026-11-22, whose README measured 5,634 and 5,882
# worker host-audits/s and, over 1,000 copies of its control-plane fixture,
# 1,236 and 1,220/s. Timing it again on those very copies says how much
# faster or slower the machine is than on that day.
reference_rev=1e1c098
reference_cp_rate=1228

# bench_reference: sets ref_hb to the reference build, built once (it takes
# minutes) from the commit's own files into target/bench-reference/.
bench_reference() {
    local root=$repo/target/bench-reference/$reference_rev
    ref_hb=$root/target/release/hardbench
    [[ -x $ref_hb ]] && return
    printf '%s: building %s, the reference build, in %s (once)\n' "${0##*/}" "$reference_rev" "$root" >&2
    rm -rf "$root" && mkdir -p "$root/src"
    git -C "$repo" archive "$reference_rev" | tar -x -C "$root/src" ||
        die "commit $reference_rev is not in $repo (a shallow clone?)"
    (cd "$root/src" && CARGO_TARGET_DIR=$root/target cargo build --release --locked --quiet) ||
        die "the reference build $reference_rev failed"
}

# copies FIXTURE DIR K NAME: K copies of the saved facts FIXTURE in DIR,
# NAME-replica-1.json and on, each with its own host name and a leading YAML
# comment in every document, so that no copy reuses another's parse; no
# index (fleet.sh adds one for this build).
copies() {
    local fixture=$1 dir=$2 k=$3 name=$4 i
    mkdir "$dir"
    for ((i = 1; i <= k; i++)); do
        sed -e "0,/\"host\": \"[^\"]*\"/s//\"host\": \"$name-replica-$i\"/" \
            -e "s/\"content\": \"/\"content\": \"# replica $i\\\\n/" \
            "$fixture" >"$dir/$name-replica-$i.json"
    done
}

# reference_set SET DIR K: K copies of the reference commit's SET-good.json
# fixture (SET: worker or cp) in DIR, as its bench/fleet.sh made them (its
# saved-facts format has no index).
reference_set() {
    copies "$repo/target/bench-reference/$reference_rev/src/tests/fixtures/kubeadm/$1-good.json" "$2" "$3" "$1"
}

# reference_lines CP_RATE WORKER_RATE: the reference build's control-plane
# rate today (CP_RATE) against that day's, and WORKER_RATE (this build's)
# at that factor: on the machine the target was set on.
reference_lines() {
    local slower then_rate
    slower=$(awk -v then="$reference_cp_rate" -v now="$1" 'BEGIN { printf "%.2f", then / now }')
    then_rate=$(awk -v r="$2" -v f="$slower" 'BEGIN { printf "%.0f", r * f }')
    printf 'reference build %s, its 1,000 control-plane copies: %s/s today, %s/s on 2026-11-22: this machine is %s times slower\n' \
        "$reference_rev" "$1" "$reference_cp_rate" "$slower"
    printf 'hardbench workers at that factor, as on the machine the target was set on: %s/s (target >= 5000): %s\n' \
        "$then_rate" "$(awk -v r="$then_rate" 'BEGIN { print (r >= 5000) ? "met" : "NOT met" }')"
}
