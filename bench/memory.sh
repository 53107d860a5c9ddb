#!/usr/bin/env bash
# The memory benchmark: hardbench's peak RSS when every host sends a valid
# stream of about 7 MB. See bench/README.md.
#
#   bash bench/memory.sh [N] [--concurrency C] [--dir DIR] [--net K] [--baseline BIN]
#
# N lab hosts (default 60) of the worker-big profile (worker-min plus 28
# kubelet drop-ins of 250 KB: 7.0 MB of documents and of stream) come up
# on 127.0.K.x (K default 70). hardbench audits them with --save-facts at
# concurrency C (default 32): over all N hosts, and, as the baseline of the
# same run, over the first C hosts only (--limit). Memory bounded by the
# concurrency gives a ratio near 1; memory that grows with the fleet gives
# about N/C. With --baseline BIN (another hardbench binary, e.g. an earlier
# build), BIN is measured the same way and the ratio of the two peaks at N
# hosts is printed too. Peak RSS is GNU time's %M. Everything this script
# started is stopped on exit, by PID (tests/lab/down.sh). Needs root.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lab.sh
source "$repo/bench/lab.sh"
count=60
concurrency=32
dir=/tmp/hardbench-bench-memory
net=70
baseline=

while (($#)); do
    case $1 in
    --concurrency) concurrency=${2:?}; shift 2 ;;
    --dir) dir=${2:?}; shift 2 ;;
    --net) net=${2:?}; shift 2 ;;
    --baseline) baseline=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    [0-9]*) count=$1; shift ;;
    *) printf 'memory.sh: unknown argument %s\n' "$1" >&2; usage ;;
    esac
done
for v in count concurrency; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
((concurrency < count)) || die "--concurrency must be below N, or the baseline is the whole fleet"
((EUID == 0)) || die "must run as root (the lab needs namespaces)"
# The lab's packages and GNU time; quiet when all are present.
bash "$repo/tests/lab/install-deps.sh" || die "tests/lab/install-deps.sh failed"

bench_binary
[[ -z $baseline || -x $baseline ]] || die "no baseline binary at $baseline"

bench_lab hardbench-memory worker-big
# The lab's inventory, with deadlines that 200 hosts sharing two cores
# cannot reach: a host that times out would leave the measure.
inv=$work/inventory.toml
sed -e 's/^command_timeout = .*/command_timeout = "900s"/' -e 's/^connect_timeout = .*/connect_timeout = "120s"/' \
    "$dir/inventory.toml" >"$inv"
grep -q '^command_timeout = "900s"' "$inv" && grep -q '^connect_timeout = "120s"' "$inv" ||
    die "no command_timeout or connect_timeout in $dir/inventory.toml"
mapfile -t names < <(sed -n 's/^name = "\(.*\)"$/\1/p' "$inv")
((${#names[@]} == count)) || die "the inventory lists ${#names[@]} hosts, expected $count"
first=$(IFS=,; echo "${names[*]:0:concurrency}")

# measure BIN TAG [--limit NAMES]: peak RSS in KiB of one audit with saved
# facts; every host must be audited.
measure() {
    local bin=$1 tag=$2 rc=0 want=$count
    shift 2
    (($#)) && want=$concurrency
    /usr/bin/time -f '%M' -o "$work/time.$tag" \
        "$bin" run --inventory "$inv" --concurrency "$concurrency" --no-progress \
        --json "$work/$tag.json" --save-facts "$work/facts.$tag" "$@" >"$work/$tag.console" 2>&1 || rc=$?
    ((rc <= 1)) || { grep -A1 ERROR "$work/$tag.console" | head -n 20 >&2; die "$tag: hardbench exited $rc"; }
    grep -q "\"hosts_ok\": $want," "$work/$tag.json" || die "$tag: not every host was audited"
    rm -rf -- "$work/facts.$tag"
    tail -n 1 "$work/time.$tag"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

printf 'memory: %d worker-big hosts on 127.0.%d.x, concurrency %d\n' "$count" "$net" "$concurrency" >&2
# row LABEL BIN TAG: both runs of BIN, as a table row in $work/rows; the
# peak over all hosts in $work/peak.TAG.
row() {
    local all few
    all=$(measure "$2" "$3-all")
    few=$(measure "$2" "$3-few" --limit "$first")
    printf '| %-26s | %10s MiB | %10s MiB | %8s |\n' "$1" "$(mib "$few")" "$(mib "$all")" "$(ratio "$all" "$few")" \
        | tee -a "$work/rows" >&2
    printf '%s\n' "$all" >"$work/peak.$3"
}
: >"$work/rows"
row hardbench "$hb" hb
[[ -z $baseline ]] || row "baseline ($(basename "$baseline"))" "$baseline" base

cat <<EOT

hardbench memory benchmark: worker-big lab hosts (a valid 7.0 MB stream each), concurrency $concurrency, $(nproc) cores, $(date -u +%Y-%m-%d)
| binary                     | peak, $(printf '%3d' "$concurrency") hosts | peak, $(printf '%3d' "$count") hosts | all / C  |
|----------------------------|----------------|----------------|----------|
$(cat "$work/rows")
EOT
if [[ -n $baseline ]]; then
    printf 'hardbench / baseline, peak at %d hosts: %s\n' "$count" "$(ratio "$(cat "$work/peak.hb")" "$(cat "$work/peak.base")")"
fi
