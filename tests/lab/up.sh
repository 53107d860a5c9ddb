#!/usr/bin/env bash
# Brings up the lab: N fake Kubernetes hosts on this machine, each a mount+PID
# namespace with its own sshd on its own loopback address, its own files and
# processes. See tests/lab/README.md.
#
#   bash tests/lab/up.sh [--dir DIR] [--net NET] [--count N] [--script FILE] [--profile P]... [PROFILE...]
#
# Default DIR is /tmp/hardbench-lab; default profiles: cp-good cp-bad
# worker-good worker-bad. Each profile gets N hosts (default 1), named after
# the profile (N = 1) or PROFILE-1..PROFILE-N; host i (from 0) gets the
# address 127.0.(NET + i / 250).(i % 250 + 1), NET defaulting to 10 (labs
# that run at the same time need different NETs). A lab already up in DIR is
# torn down first. --script FILE is the gathering script (`hardbench
# print-script`) for the profiles that install it (files.txt source
# `@script`, under /usr/local/libexec). Needs root and the packages of
# tests/lab/install-deps.sh.
#
# Left on this machine after down.sh: the users hbaudit and etcd (created
# when missing), and any of /etc/kubernetes /var/lib/kubelet /var/lib/etcd
# /etc/systemd/system /etc/sudoers.d /run /var/lib/rancher /etc/rancher
# /etc/eks /usr/local/lib/systemd/system /usr/local/libexec that was missing, as an empty
# directory (each host mounts its own tmpfs over them; nothing is written
# into the machine's own).
set -euo pipefail

lab=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=/tmp/hardbench-lab
count=1
net=10
profiles=()
script=
wait_seconds=${HBLAB_WAIT:-}

die() {
    printf 'up.sh: error: %s\n' "$*" >&2
    exit 1
}
# The comment at the top of this file is the help: --help prints it to
# stdout and exits 0; a wrong option prints the usage line to stderr, exit 2.
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
    --count) count=${2:?--count needs a value}; shift 2 ;;
    --net) net=${2:?--net needs a value}; shift 2 ;;
    --profile) profiles+=("${2:?--profile needs a value}"); shift 2 ;;
    --script) script=${2:?--script needs a value}; shift 2 ;;
    -h | --help) help ;;
    -*) printf 'up.sh: unknown option %s\n' "$1" >&2; usage >&2; exit 2 ;;
    *) profiles+=("$1"); shift ;;
    esac
done
((${#profiles[@]})) || profiles=(cp-good cp-bad worker-good worker-bad)
[[ $count =~ ^[1-9][0-9]*$ ]] || die "--count must be a positive integer, got '$count'"
[[ $net =~ ^[1-9][0-9]{0,2}$ ]] && ((net <= 245)) || die "--net must be 1..245, got '$net'"
[[ $dir == /* ]] || dir=$PWD/$dir
[[ $dir != / ]] || die "--dir / is not a lab directory"
for p in "${profiles[@]}"; do
    [[ $p =~ ^[a-z0-9-]+$ && -f $lab/profiles/$p/files.txt && -f $lab/profiles/$p/procs.txt ]] ||
        die "no profile '$p' (expected $lab/profiles/$p/{files,procs}.txt)"
done
total=$((${#profiles[@]} * count))
# Bounded wait for readiness: 20 s, plus 1 s per 10 hosts beyond the first 10.
wait_seconds=${wait_seconds:-$((20 + (total > 10 ? (total - 10) / 10 : 0)))}
((total <= 250 * 10)) || die "at most 2500 hosts"
((net + (total - 1) / 250 <= 255)) || die "--net $net leaves no room for $total hosts"
((EUID == 0)) || die "must run as root (namespaces, mounts, users)"
for tool in unshare setsid setpriv sshd ssh-keygen openssl gcc ss useradd; do
    command -v "$tool" >/dev/null || die "missing $tool: run tests/lab/install-deps.sh"
done
[[ -x /usr/bin/etcd ]] || die "missing /usr/bin/etcd: run tests/lab/install-deps.sh"

start_ns=$(date +%s%N)
elapsed() { printf '%d.%03ds' $((($(date +%s%N) - start_ns) / 1000000000)) $((($(date +%s%N) - start_ns) / 1000000 % 1000)); }

# --- a clean state directory ---------------------------------------------------
bash "$lab/down.sh" --dir "$dir" --quiet
mkdir -p "$dir"/{bin,pki/etcd,hosts}
chmod 0755 "$dir"
: >"$dir/.hardbench-lab" # down.sh removes only a directory that carries this mark
: >"$dir/pids"
if [[ -n $script ]]; then
    [[ -f $script ]] || die "--script $script is not a file"
    install -m 0644 "$script" "$dir/gather-script"
fi

# --- users ---------------------------------------------------------------------
if ! id hbaudit >/dev/null 2>&1; then
    useradd -m -s /bin/sh hbaudit
fi
# A '!' (locked) password makes sshd refuse even a key when UsePAM is off;
# '*' means "no password can match" without locking the account.
if [[ $(getent shadow hbaudit | cut -d: -f2) == '!'* ]]; then
    usermod -p '*' hbaudit
fi
if ! id etcd >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /var/lib/etcd --shell /usr/sbin/nologin etcd
fi

# --- mountpoints -----------------------------------------------------------------
# host-init.sh mounts a tmpfs on each of these inside its namespace. A mount
# needs an existing directory, so a missing one is created here, empty, on
# the machine itself (and left there).
for m in /etc/kubernetes /var/lib/kubelet /var/lib/etcd /etc/systemd/system /etc/sudoers.d /run \
    /var/lib/rancher /etc/rancher /etc/eks /usr/local/lib/systemd/system /usr/local/libexec; do
    [[ -d $m ]] || { mkdir -p "$m" && echo "up.sh: created empty mountpoint $m on this machine"; }
done

# --- binaries ----------------------------------------------------------------------
gcc -O2 -Wall -Wextra -o "$dir/bin/fake-component" "$lab/fake-component.c"
# What a local user plants (procs.txt `user`): run for its version, it
# appends a line to DIR/planted-ran, which must never exist.
gcc -O2 -Wall -Wextra -DVERSION_MARKER="\"$dir/planted-ran\"" -o "$dir/bin/planted" "$lab/fake-component.c"
for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
    ln "$dir/bin/fake-component" "$dir/bin/$c"
done
# A profile's `versions` file (`NAME TEXT`, `\n` for a line break) gives its
# components' `--version` text: that profile gets a copy of the fake built
# with it, bin/fake-component.PROFILE (host-init.sh uses it).
for profile in $(printf '%s\n' "${profiles[@]}" | sort -u); do
    vf=$lab/profiles/$profile/versions
    [[ -f $vf ]] || continue
    while read -r vname vtext; do
        [[ -n $vname && $vname != \#* ]] || continue
        [[ $vname =~ ^[a-z0-9-]+$ && $vtext =~ ^[][A-Za-z0-9\ .:+()/_\\-]+$ ]] ||
            die "$vf: '$vname $vtext' is not NAME TEXT (letters, digits, spaces and .:+()/_-\\n)"
        printf '{"%s", "%s"},\n' "$vname" "$vtext"
    done <"$vf" | { printf '#define HB_PROFILE_VERSIONS \\\n'; sed 's/$/ \\/'; echo; } >"$dir/bin/versions-$profile.h"
    gcc -O2 -Wall -Wextra -include "$dir/bin/versions-$profile.h" -o "$dir/bin/fake-component.$profile" "$lab/fake-component.c"
done

# --- keys ------------------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C hbaudit@hardbench-lab -f "$dir/id_ed25519"
cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
chmod 0644 "$dir/authorized_keys" # sshd reads it as hbaudit

# --- PKI (ECDSA P-256: as valid as kubeadm's RSA, much faster to make) -----------
cat >"$dir/pki/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = ${ENV::HB_SAN}
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
EOF
export HB_SAN=DNS:localhost
ca() { # ca OUT_BASENAME CN
    openssl req -x509 -new -config "$dir/pki/openssl.cnf" -extensions ca -days 3650 \
        -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
        -keyout "$1.key" -out "$1.crt" 2>/dev/null || die "openssl: cannot make CA $1"
}
leaf() { # leaf CA_BASENAME OUT_BASENAME EXTENSIONS SUBJECT [SAN]
    HB_SAN=${5:-DNS:localhost} openssl req -x509 -new -config "$dir/pki/openssl.cnf" -extensions "$3" \
        -days 365 -CA "$1.crt" -CAkey "$1.key" \
        -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$4" \
        -keyout "$2.key" -out "$2.crt" 2>/dev/null || die "openssl: cannot make certificate $2"
}
p=$dir/pki
ca "$p/ca" kubernetes
ca "$p/front-proxy-ca" front-proxy-ca
ca "$p/etcd/ca" etcd-ca
leaf "$p/ca" "$p/apiserver-kubelet-client" client "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client"
leaf "$p/etcd/ca" "$p/apiserver-etcd-client" client "/CN=kube-apiserver-etcd-client"
leaf "$p/etcd/ca" "$p/etcd/healthcheck-client" client "/CN=kube-etcd-healthcheck-client"
leaf "$p/front-proxy-ca" "$p/front-proxy-client" client "/CN=front-proxy-client"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$p/sa.key" 2>/dev/null
openssl pkey -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
chmod -R go-rwx "$p" # the CA keys stay root's

# --- hosts -------------------------------------------------------------------------
names=() addrs=() hprofiles=()
for profile in "${profiles[@]}"; do
    for ((k = 1; k <= count; k++)); do
        i=${#names[@]}
        if ((count == 1)); then names+=("$profile"); else names+=("$profile-$k"); fi
        addrs+=("127.0.$((net + i / 250)).$((i % 250 + 1))")
        hprofiles+=("$profile")
    done
done
dups=$(printf '%s\n' "${names[@]}" | sort | uniq -d)
[[ -z $dups ]] || die "duplicate host names: $dups (list a profile once and use --count)"

inv=$dir/inventory.toml
cat >"$inv" <<EOF
# The hardbench lab, written by tests/lab/up.sh: ${#names[@]} fake hosts on loopback.
[defaults]
user = "hbaudit"
port = 22
identity_file = "$dir/id_ed25519"
known_hosts = "$dir/known_hosts"
host_key_policy = "strict"
become = "sudo"
connect_timeout = "5s"
command_timeout = "30s"
EOF
: >"$dir/known_hosts"
for i in "${!names[@]}"; do
    name=${names[i]} addr=${addrs[i]} profile=${hprofiles[i]}
    h=$dir/hosts/$name
    mkdir -p "$h/pki/etcd"
    ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$h/ssh_host_ed25519_key"
    read -r kt key _ <"$h/ssh_host_ed25519_key.pub"
    printf '%s %s %s\n' "$addr" "$kt" "$key" >>"$dir/known_hosts"
    if grep -q '@hostpki/' "$lab/profiles/$profile/files.txt"; then
        san="DNS:$name,DNS:localhost,IP:$addr,IP:127.0.0.1"
        leaf "$p/ca" "$h/pki/apiserver" server "/CN=kube-apiserver" \
            "DNS:$name,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1,IP:$addr"
        leaf "$p/etcd/ca" "$h/pki/etcd/server" server "/CN=$name" "$san"
        leaf "$p/etcd/ca" "$h/pki/etcd/peer" server "/CN=$name" "$san"
    fi
    chmod -R go-rwx "$h/pki"
    {
        printf '\n[[hosts]]\nname = "%s"\naddress = "%s"\n' "$name" "$addr"
        if [[ -s $lab/profiles/$profile/roles ]]; then
            read -r -a roles <"$lab/profiles/$profile/roles"
            printf 'roles = [%s]\n' "$(printf '"%s", ' "${roles[@]}" | sed 's/, $//')"
        fi
    } >>"$inv"
done
chmod 0644 "$dir/known_hosts" "$inv"

# --- start ---------------------------------------------------------------------------
# From here on, any exit before the lab is ready stops the hosts started so
# far (their logs stay in DIR).
ready=0
on_exit() {
    ((ready)) && return
    echo "up.sh: failed; stopping the hosts started so far (logs kept in $dir/hosts)" >&2
    bash "$lab/down.sh" --dir "$dir" --keep-dir --quiet || true
}
trap on_exit EXIT
trap 'exit 130' INT TERM

for i in "${!names[@]}"; do
    name=${names[i]}
    # setsid: the hosts outlive the shell that ran up.sh. env -i: PID 1 and
    # everything it starts begin with an empty environment.
    setsid unshare --mount --pid --fork --mount-proc --propagation private --kill-child \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        bash "$lab/host-init.sh" "$dir" "$name" "${addrs[i]}" "${hprofiles[i]}" \
        </dev/null >"$dir/hosts/$name/init.log" 2>&1 &
    echo $! >>"$dir/pids"
done
mapfile -t pids <"$dir/pids"

# --- wait --------------------------------------------------------------------------
# Ready = sshd listens on ADDR:22 and, for a host that runs etcd, etcd listens
# on ADDR:2379 (it opens its client port once it is serving).
need_etcd=()
for i in "${!names[@]}"; do
    if grep -q '^manifest .*etcd\.yaml$\|^exec etcd \|^envexec etcd ' "$lab/profiles/${hprofiles[i]}/procs.txt"; then
        need_etcd+=(1)
    else
        need_etcd+=(0)
    fi
done
fail_host() { # fail_host INDEX REASON
    local h=$dir/hosts/${names[$1]}
    {
        printf 'up.sh: host %s (%s): %s\n' "${names[$1]}" "${addrs[$1]}" "$2"
        for f in "$h"/init.log "$h"/sshd.log "$h"/etcd.log; do
            [[ -s $f ]] && { printf -- '--- %s (last 20 lines)\n' "$f"; tail -n 20 "$f"; }
        done
    } >&2
    false
}
deadline=$(($(date +%s) + wait_seconds))
pending=("${!names[@]}")
while ((${#pending[@]})); do
    declare -A listening=()
    while read -r _ _ _ local _; do
        listening[$local]=1
    done < <(ss -Hltn)
    still=()
    for i in "${pending[@]}"; do
        # Our own child: once it exits it stays a zombie until we reap it.
        st=Z
        [[ -r /proc/${pids[i]}/stat ]] && read -r _ _ st _ <"/proc/${pids[i]}/stat"
        [[ $st != Z ]] || fail_host "$i" "exited during start-up"
        if [[ -n ${listening[${addrs[i]}:22]:-} ]] &&
            { ((need_etcd[i] == 0)) || [[ -n ${listening[${addrs[i]}:2379]:-} ]]; }; then
            continue
        fi
        still+=("$i")
    done
    unset listening
    pending=("${still[@]}")
    ((${#pending[@]})) || break
    if (($(date +%s) >= deadline)); then
        fail_host "${pending[0]}" "not ready after ${wait_seconds}s (${#pending[@]} host(s) pending)"
    fi
    sleep 0.1
done
ready=1

printf 'lab up: %d host(s) (%s) in %s, ssh as hbaudit with %s; inventory %s\n' \
    "${#names[@]}" "$(printf '%s\n' "${hprofiles[@]}" | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')" \
    "$(elapsed)" "$dir/id_ed25519" "$inv"
