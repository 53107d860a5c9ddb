#!/usr/bin/env bash
# The HTML report of a fleet: its size, what writing it adds to `hardbench
# evaluate`, and how long headless chromium takes to load it, against
# baselines in the same run. No lab. See bench/README.md.
#
#   bash bench/html.sh [--hosts N] [--rounds R] [--pdf]
#
# A saved set of N hosts (default 200) is built from the committed kubeadm
# fixtures, a quarter each of cp-good, cp-bad, worker-good and worker-bad
# (tests/fixtures/kubeadm/), each copy with its own host name, and the
# _index.json `run --save-facts` writes. Each round (default 5), in an order
# that alternates:
#   - `hardbench evaluate --json` and `hardbench evaluate --json --html` of the
#     set (wall time; the difference is what the HTML report costs to write);
#   - headless chromium (the flags of tests/common/browser.rs, a fresh
#     profile each time) loading and taking a screenshot of, in turn, a
#     trivial HTML page (chromium's own start and first paint), the JSON
#     report, and the HTML report; the HTML page's load time is its time
#     less the trivial page's. Wall time, and CPU time (GNU time's user+sys
#     of chromium and the processes it reaped), which moves less when the
#     machine is busy.
# Medians are printed, with the sizes; with --pdf, chromium also prints the
# HTML report to PDF once (time, pages, size). The binary is $HARDBENCH_BIN,
# else the release build (built when stale).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lab.sh
source "$repo/bench/lab.sh"
hosts=200
rounds=5
pdf=0

while (($#)); do
    case $1 in
    --hosts) hosts=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --pdf) pdf=1; shift ;;
    -h | --help) usage ;;
    *) printf 'html.sh: unknown argument %s\n' "$1" >&2; usage ;;
    esac
done
for v in hosts rounds; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--$v must be a positive integer, got '${!v}'"
done
command -v python3 >/dev/null || die "python3 is needed to build the saved set"
command -v chromium >/dev/null || die "chromium is needed; tests/lab/install-deps.sh installs it"
[[ -x /usr/bin/time ]] || die "GNU time (/usr/bin/time) is needed; tests/lab/install-deps.sh installs it"
bench_binary

# No lab: bench_cleanup only removes the scratch directory.
work=$(mktemp -d /tmp/hardbench-html.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

printf 'html.sh: building %d hosts in %s\n' "$hosts" "$work" >&2
python3 - "$repo/tests/fixtures/kubeadm" "$work/facts" "$hosts" <<'PY'
import hashlib, json, pathlib, re, sys
fixtures, out, count = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
kinds = ["cp-good", "cp-bad", "worker-good", "worker-bad"]
texts = {kind: (fixtures / f"{kind}.json").read_text() for kind in kinds}
out.mkdir()
hosts = []
for i in range(1, count + 1):
    kind = kinds[(i - 1) % len(kinds)]
    name = f"{kind}-{i}"
    copy = re.sub(r'"host": "[^"]*"', f'"host": "{name}"', texts[kind], count=1)
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
printf '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>trivial</title></head><body><p>trivial</p></body></html>\n' \
    >"$work/trivial.html"

# seconds CMD...: runs CMD, prints its wall time (the shell's microsecond
# clock) and its CPU time (user+sys, with the children it waited for).
seconds() {
    local t0 t1 rc=0
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%U %S' -o "$work/time" "$@" >/dev/null 2>&1 || rc=$?
    t1=$EPOCHREALTIME
    # evaluate: 0 compliant, 1 findings; anything else failed.
    ((rc <= 1)) || die "$* exited $rc"
    awk -v a="$t0" -v b="$t1" '{ t = $0 } END { split(t, u, " "); printf "%.4f %.3f\n", b - a, u[1] + u[2] }' "$work/time"
}

evaluate_json=("$hb" evaluate --facts "$work/facts" --benchmark cis-1.12 --json "$work/report.json")
evaluate_html=("${evaluate_json[@]}" --html "$work/report.html")

# chromium_load FILE: headless chromium loads FILE and takes a screenshot (so
# that the page is laid out and painted), in a fresh profile, at most 120 s.
chromium_load() {
    local profile
    profile=$(mktemp -d "$work/profile.XXXXXX")
    seconds timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
        --user-data-dir="$profile" --window-size=1280,2000 --screenshot="$work/shot.png" "file://$1"
    rm -rf -- "$profile"
}

for ((r = 0; r < rounds; r++)); do
    if ((r % 2 == 0)); then order=(json html); else order=(html json); fi
    for m in "${order[@]}"; do
        if [[ $m == json ]]; then seconds "${evaluate_json[@]}"; else seconds "${evaluate_html[@]}"; fi >>"$work/evaluate.$m"
    done
    pages=(trivial.html report.json report.html)
    ((r % 2 == 0)) || pages=(report.html report.json trivial.html)
    for p in "${pages[@]}"; do chromium_load "$work/$p" >>"$work/load.$p"; done
    printf '  round %d (wall, CPU s): evaluate --json %s, --json --html %s; chromium trivial %s, json %s, html %s\n' \
        "$((r + 1))" "$(tail -n 1 "$work/evaluate.json")" "$(tail -n 1 "$work/evaluate.html")" \
        "$(tail -n 1 "$work/load.trivial.html")" "$(tail -n 1 "$work/load.report.json")" \
        "$(tail -n 1 "$work/load.report.html")" >&2
done
grep -q "\"hosts_ok\": $hosts\\b" "$work/report.json" || die "the report does not hold $hosts hosts"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# m FILE COLUMN: the median of a column (1 wall, 2 CPU) of a file of times.
m() { awk -v c="$2" '{ print $c }' "$work/$1" | median; }
size() { awk -v b="$(stat -c %s "$work/$1")" 'BEGIN { printf "%.2f MB (%d bytes)", b / 1e6, b }'; }
diff_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f", a - b }'; }
# row LABEL FILE [BASE]: wall and CPU medians of FILE, and their excess over BASE's.
row() {
    local w c
    w=$(m "$2" 1) c=$(m "$2" 2)
    if [[ -n ${3:-} ]]; then
        printf '| %s | %.3f (%s) | %.3f (%s) |\n' "$1" "$w" "$(diff_s "$w" "$(m "$3" 1)")" "$c" "$(diff_s "$c" "$(m "$3" 2)")"
    else
        printf '| %s | %.3f | %.3f |\n' "$1" "$w" "$c"
    fi
}

printf '\nHTML report, %d hosts (a quarter each of cp-good, cp-bad, worker-good, worker-bad), %d rounds, medians\n\n' \
    "$hosts" "$rounds"
printf 'report.html: %s; report.json of the same run: %s\n\n' "$(size report.html)" "$(size report.json)"
printf '| step | wall s (over the baseline) | CPU s (over the baseline) |\n|---|---|---|\n'
row "evaluate --json" evaluate.json
row "evaluate --json --html" evaluate.html evaluate.json
row "chromium, trivial page (start, load, screenshot)" load.trivial.html
row "chromium, report.json" load.report.json load.trivial.html
row "chromium, report.html" load.report.html load.trivial.html
if ((pdf)); then
    profile=$(mktemp -d "$work/profile.XXXXXX")
    read -r pdf_wall pdf_cpu < <(seconds timeout 900 chromium --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --no-pdf-header-footer --print-to-pdf="$work/report.pdf" "file://$work/report.html")
    pdf_pages=$(grep -a -c '/Type /Page$\|/Type /Page[^s]' "$work/report.pdf" || true)
    printf '\nprint to PDF (chromium, once): %.3f s wall, %.3f s CPU, %s pages, %s\n' \
        "$pdf_wall" "$pdf_cpu" "$pdf_pages" "$(size report.pdf)"
fi
