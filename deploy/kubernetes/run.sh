#!/bin/sh
# One audit on Kubernetes: the shards' Indexed Job, then, once it completed,
# the merge Job (Kubernetes runs Jobs independently: nothing starts one
# after another, so this script does). Prints the merged console report and
# exits with the merge's status: hardbench's exit codes (0 compliant,
# 1 a check failed, 2 bad input or shards that do not merge, 3 a host not
# audited, 4 a report not written); 5 when a Job did not finish in time.
# Needs kubectl with access to the namespace; see deploy/README.md.
set -eu

ns=hardbench
dir=$(dirname "$0")

# The state (complete or failed) of a Job, or nothing while it runs.
state() {
    kubectl -n "$ns" get job "$1" \
        -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{"\n"}{end}' |
        grep -E '^(Complete|Failed)$' || true
}

wait_for() {
    waited=0
    while [ -z "$(state "$1")" ]; do
        if [ "$waited" -ge "$2" ]; then
            echo "run.sh: job/$1 did not finish within $2 s" >&2
            exit 5
        fi
        sleep 10
        waited=$((waited + 10))
    done
    state "$1"
}

# A Job's pod template cannot be changed: last run's Jobs go first.
kubectl -n "$ns" delete job hardbench-shards hardbench-merge --ignore-not-found --wait=true
kubectl apply -f "$dir/namespace.yaml" -f "$dir/inventory-configmap.yaml" -f "$dir/reports-pvc.yaml"
kubectl apply -f "$dir/shards-job.yaml"
# A shard that failed is a shard missing: the merge refuses it (exit 2) and says which.
shards=$(wait_for hardbench-shards 3700)
echo "run.sh: the shards' Job: $shards" >&2
kubectl apply -f "$dir/merge-job.yaml"
wait_for hardbench-merge 700 >/dev/null
kubectl -n "$ns" logs job/hardbench-merge -c merge-facts >&2 || true
kubectl -n "$ns" logs job/hardbench-merge -c merge
code=$(kubectl -n "$ns" get pods -l batch.kubernetes.io/job-name=hardbench-merge \
    -o jsonpath='{.items[0].status.containerStatuses[0].state.terminated.exitCode}')
init=$(kubectl -n "$ns" get pods -l batch.kubernetes.io/job-name=hardbench-merge \
    -o jsonpath='{.items[0].status.initContainerStatuses[0].state.terminated.exitCode}')
# The facts' merge failing stops the pod before the reports' merge runs.
exit "${code:-${init:-2}}"
