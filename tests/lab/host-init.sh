#!/usr/bin/env bash
# PID 1 of one lab host: a mount+PID namespace made by up.sh with
#   unshare --mount --pid --fork --mount-proc --propagation private
# Usage (up.sh runs it; not meant for hand use):
#   host-init.sh STATE_DIR NAME ADDRESS PROFILE
# It mounts a tmpfs over every directory the host owns, installs the
# profile's files (files.txt) with exact modes and owners, starts the
# profile's processes (procs.txt), then runs sshd on ADDRESS:22 and waits.
# On SIGTERM it exits; the kernel then kills every process of the namespace.
set -euo pipefail
set -f # procs.txt lines are split into argv words; never glob them

state=$1 name=$2 addr=$3 profile=$4
lab=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
profiles=$lab/profiles
hostdir=$state/hosts/$name
bin=$state/bin

log() { printf '%s host-init[%s]: %s\n' "$(date +%T.%3N)" "$name" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# PID 1 ignores every signal it has no handler for: install one first.
trap 'log "SIGTERM: stopping"; exit 0' TERM INT

(($$ == 1)) || die "must be PID 1 of its own PID namespace (started by up.sh)"
[[ -f $profiles/$profile/files.txt ]] || die "no profile $profile in $profiles"

# The directories this host owns. Everything the profile installs must lie
# under one of them, so nothing is ever written to the machine's own files.
# up.sh creates a missing mountpoint (an empty directory) beforehand.
# /etc/systemd/system is the host's own (kubelet.service.d and the k3s,
# RKE2 and EKS units live there), hidden from no one but this namespace.
# /usr/local/libexec holds the gathering script a profile installs (`@script`).
mounts=(/etc/kubernetes /var/lib/kubelet /var/lib/etcd /etc/systemd/system /etc/sudoers.d /run
    /var/lib/rancher /etc/rancher /etc/eks /usr/local/lib/systemd/system /usr/local/libexec)
for m in "${mounts[@]}"; do
    [[ -d $m ]] || die "mountpoint $m is missing on the machine (up.sh creates it)"
    # etcd preallocates a 64 MiB write-ahead log: its tmpfs needs room
    # (RKE2's etcd data lives under /var/lib/rancher).
    size=16m
    [[ $m == /var/lib/etcd || $m == /var/lib/rancher ]] && size=256m
    mount -t tmpfs -o "mode=0755,size=$size,nosuid,nodev" "hblab-$name" "$m" ||
        die "cannot mount tmpfs on $m"
done

owned() {
    local p=$1 m
    [[ $p == /* && $p != *..* ]] || return 1
    for m in "${mounts[@]}"; do
        [[ $p == "$m" || $p == "$m"/* ]] && return 0
    done
    return 1
}

subst() { # text with the host's placeholders replaced
    local s=$1
    s=${s//@HOST_NAME@/$name}
    s=${s//@HOST_ADDR@/$addr}
    s=${s//@BIN@/$bin}
    s=${s//@ETCD_UID@/$etcd_uid}
    s=${s//@ETCD_GID@/$etcd_gid}
    printf '%s' "$s"
}
# RKE2's `profile: cis` runs etcd as the etcd user: its manifest names the ids.
etcd_uid=$(id -u etcd) etcd_gid=$(id -g etcd)

# --- files -----------------------------------------------------------------
# chmod and chown are batched per mode and per owner: one fork each, not one
# per file, which matters with 200 hosts starting at once.
# `include PROFILE` installs that profile's files.txt there (one level).
declare -A by_mode=() by_owner=()
links=()
install_files() { # install_files PROFILE [INCLUDED]
    local lineno=0 line mode owner path src extra where from content
    while IFS= read -r line || [[ -n $line ]]; do
        lineno=$((lineno + 1))
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        read -r mode owner path src extra <<<"$line"
        where="$1/files.txt:$lineno"
        if [[ $mode == include ]]; then
            [[ -z ${2:-} && -n $owner && -z ${path:-} && -f $profiles/$owner/files.txt ]] ||
                die "$where: include takes one profile, at the top level only"
            install_files "$owner" included
            continue
        fi
        [[ -z ${extra:-} ]] || die "$where: too many fields"
        [[ $owner == ?*:?* ]] || die "$where: owner must be user:group, got '$owner'"
        owned "$path" || die "$where: $path is not under a lab mount (${mounts[*]})"
        if [[ $mode == symlink ]]; then
            [[ -n ${src:-} ]] || die "$where: symlink needs a target"
            ln -sfn "$src" "$path"
            links+=("$owner" "$path")
            continue
        fi
        [[ $mode =~ ^0[0-7]{3}$ ]] || die "$where: mode must be 4 octal digits, got '$mode'"
        if [[ -z ${src:-} ]]; then
            mkdir -p "$path"
        else
            case $src in
            @script) from=$state/gather-script ;; # up.sh --script: byte for byte
            @pki/*) from=$state/pki/${src#@pki/} ;;
            @hostpki/*) from=$hostdir/pki/${src#@hostpki/} ;;
            @raw/*) from=$profiles/${src#@raw/} ;; # bytes as they are (a sqlite file)
            *) from=$profiles/$src ;;
            esac
            [[ -f $from ]] || die "$where: source $from does not exist (@script: up.sh --script FILE)"
            if [[ $src == @* ]]; then
                cp "$from" "$path"
            else
                content=
                IFS= read -r -d '' content <"$from" || true
                subst "$content" >"$path"
            fi
        fi
        by_mode[$mode]+=" $path"
        by_owner[$owner]+=" $path"
    done <"$profiles/$1/files.txt"
}
install_files "$profile"
for o in "${!by_owner[@]}"; do
    # shellcheck disable=SC2086 # paths have no spaces (checked: read splits on them)
    chown "$o" ${by_owner[$o]}
done
for m in "${!by_mode[@]}"; do
    # shellcheck disable=SC2086
    chmod "$m" ${by_mode[$m]}
done
for ((i = 0; i < ${#links[@]}; i += 2)); do
    chown -h "${links[i]}" "${links[i + 1]}"
done

# The audit user may become root without a password, as on a real fleet,
# unless the profile brings its own rules (a fault: password, requiretty).
if [[ -f $profiles/$profile/sudoers ]]; then
    cp "$profiles/$profile/sudoers" /etc/sudoers.d/hbaudit
else
    printf 'hbaudit ALL=(ALL) NOPASSWD: ALL\n' >/etc/sudoers.d/hbaudit
fi
chmod 0440 /etc/sudoers.d/hbaudit
mkdir -m 0755 /run/sshd

# A profile's `hide` file lists tools this host lacks: an empty, non-executable
# file is bind-mounted over each (in this namespace only), so `command -v`
# no longer finds it.
if [[ -f $profiles/$profile/hide ]]; then
    : >"$hostdir/hidden-tool"
    chmod 0644 "$hostdir/hidden-tool"
    while read -r tool _; do
        [[ -n $tool && $tool != \#* ]] || continue
        exe=$(command -v "$tool") || die "hide: no $tool on this machine"
        mount --bind "$hostdir/hidden-tool" "$(readlink -f "$exe")" || die "cannot hide $tool"
        log "hid $tool"
    done <"$profiles/$profile/hide"
fi

# A profile's `replace` file lists tools this host has in another version:
# `TOOL SOURCE` bind-mounts profiles/SOURCE (made executable) over TOOL, in
# this namespace only (a `stat` that never ends, for fault-flood).
if [[ -f $profiles/$profile/replace ]]; then
    while read -r tool source _; do
        [[ -n $tool && $tool != \#* ]] || continue
        exe=$(command -v "$tool") || die "replace: no $tool on this machine"
        install -m 0755 "$profiles/$source" "$hostdir/replaced-$tool"
        mount --bind "$hostdir/replaced-$tool" "$(readlink -f "$exe")" || die "cannot replace $tool"
        log "replaced $tool with $source"
    done <"$profiles/$profile/replace"
fi

# --- processes ---------------------------------------------------------------
# The component binaries, as the platform installs them: root's, in
# directories of root's that no one else may write. Each fake component runs
# in a mount namespace of its own (a container, for the static pods and
# kube-proxy) where this tmpfs is bind-mounted over the directory of its
# argv[0]: /usr/bin for the kubelet (kubeadm's package), /usr/local/bin for
# the images' components.
rootbin=$hostdir/rootbin
mkdir -p "$rootbin"
mount -t tmpfs -o mode=0755,size=16m,nodev "hblab-$name-bin" "$rootbin" || die "cannot mount tmpfs on $rootbin"
fake=$bin/fake-component
[[ -f $bin/fake-component.$profile ]] && fake=$bin/fake-component.$profile # its `versions`
for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy k3s rke2; do
    cp "$fake" "$rootbin/$c"
    chmod 0755 "$rootbin/$c"
done

# The spec.containers[0] command list, then its args list, of a static pod
# manifest: what the container runs. kubeadm writes everything into
# `command`; RKE2 (sigs.k8s.io/yaml, keys sorted) writes `args` before
# `command: [NAME]`.
manifest_command() {
    awk '
        /^  - [a-zA-Z]/ { n++ }
        n == 1 && (/^  - command:$/ || /^    command:$/) { key = "c"; next }
        n == 1 && (/^  - args:$/ || /^    args:$/) { key = "a"; next }
        key != "" && /^    - / {
            v = substr($0, 7)
            if (v ~ /^".*"$/) v = substr(v, 2, length(v) - 2)
            if (key == "c") c[nc++] = v; else a[na++] = v
            next
        }
        { key = "" }
        END { for (i = 0; i < nc; i++) print c[i]; for (i = 0; i < na; i++) print a[i] }
    ' "$1"
}

# A process started by `configmap` runs in a mount namespace of its own, as
# in a container: a tmpfs over the nearest existing ancestor of DIR (so the
# machine's own directories are only hidden, never written), and in DIR the
# files laid out the way the kubelet lays out a ConfigMap volume
# (FILE -> ..data/FILE, ..data -> ..<timestamp>/). Only that process sees
# them; the rest of the host sees an empty or absent DIR.
# shellcheck disable=SC2016 # expanded by the bash that sets up the namespace
CONFIGMAP_SETUP='
set -euo pipefail
rootbin=$1 bindto=$2 dir=$3 mnt=$4
shift 4
files=()
while [[ $1 != -- ]]; do
    files+=("$1")
    shift
done
shift
mount --bind "$rootbin" "$bindto"
mount -t tmpfs -o mode=0755,size=1m,nosuid,nodev hblab-configmap "$mnt"
ts=..2025_08_20_10_00_00.000000001
mkdir -p "$dir/$ts"
for f in "${files[@]}"; do
    cp "${f#*=}" "$dir/$ts/${f%%=*}"
    ln -s "..data/${f%%=*}" "$dir/${f%%=*}"
done
ln -s "$ts" "$dir/..data"
cd /
exec -a "$2" "$1" "${@:3}"
'
start_configmap=() # DIR MOUNTPOINT FILE=SOURCE... of the next start() (configmap)
start_env=() # VAR=VALUE words the next start() exports (envexec)
start_as=()  # the setpriv words the next start() runs under (user)
start() { # start NAME ARGV... : run the binary for NAME with exactly ARGV
    local comp=$1 exe
    shift
    case $comp in
    etcd)
        exe=/usr/bin/etcd
        [[ -x $exe ]] || die "no binary $exe for $comp"
        ;;
    planted) exe=$planted ;;
    *=/*)
        # NAME=PATH: the binary is PATH, whatever argv[0] says (RKE2 runs
        # `kubelet` found on its PATH in its data directory).
        exe=${comp#*=} comp=${comp%%=*}
        [[ ${exe##*/} == "$comp" && -d ${exe%/*} ]] ||
            die "binary $exe of $comp: its directory must exist and its name be $comp"
        ;;
    *)
        # The path argv[0] names (/usr/local/bin/NAME for a bare name, as
        # in the images), in the component's own mount namespace.
        exe=$1
        [[ $exe == /* ]] || exe=/usr/local/bin/$comp
        [[ ${exe##*/} == "$comp" && -d ${exe%/*} ]] ||
            die "argv[0] $1 of $comp: its directory must exist on this machine and its name be $comp"
        ;;
    esac
    # A component starts with a clean environment, as in a container or a
    # systemd unit: no variable of the shell that ran up.sh leaks into
    # /proc/PID/environ (the gatherer reads ETCD_* from there).
    (
        for v in $(compgen -e); do unset "$v" 2>/dev/null || true; done
        export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        for v in "${start_env[@]}"; do export "${v?}"; done
        case $comp in
        etcd) exec -a "$1" "$exe" "${@:2}" ;;
        # shellcheck disable=SC2016 # expanded by the inner bash
        planted) exec "${start_as[@]}" bash -c 'exec -a "$0" "$@"' "$1" "$exe" "${@:2}" ;;
        *)
            if ((${#start_configmap[@]} > 0)); then
                exec unshare --mount --propagation private -- bash -c "$CONFIGMAP_SETUP" bash \
                    "$rootbin" "${exe%/*}" "${start_configmap[@]}" -- "$exe" "$@"
            fi
            # shellcheck disable=SC2016 # expanded by the inner bash
            exec unshare --mount --propagation private -- bash -c \
                'mount --bind "$0" "$1" && exec -a "$2" "$3" "${@:4}"' \
                "$rootbin" "${exe%/*}" "$1" "$exe" "${@:2}"
            ;;
        esac
    ) </dev/null >>"$hostdir/$comp.log" 2>&1 &
    log "started $comp (pid $!)"
}

lineno=0
while IFS= read -r line || [[ -n $line ]]; do
    lineno=$((lineno + 1))
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    where="$profile/procs.txt:$lineno"
    read -r -a words <<<"$(subst "$line")"
    case ${words[0]} in
    manifest)
        [[ ${#words[@]} == 2 ]] || die "$where: manifest takes one path"
        mapfile -t argv < <(manifest_command "${words[1]}")
        ((${#argv[@]} > 0)) || die "$where: no spec.containers[0].command in ${words[1]}"
        start "${argv[0]##*/}" "${argv[@]}"
        ;;
    exec)
        ((${#words[@]} >= 3)) || die "$where: exec takes a name and an argv"
        start "${words[@]:1}"
        ;;
    envexec)
        # envexec NAME VAR=VALUE... -- ARGV...
        start_env=()
        k=2
        while ((k < ${#words[@]})) && [[ ${words[k]} != -- ]]; do
            [[ ${words[k]} =~ ^[A-Z_][A-Z0-9_]*= ]] || die "$where: '${words[k]}' is not VAR=VALUE"
            start_env+=("${words[k]}")
            k=$((k + 1))
        done
        ((k + 1 < ${#words[@]})) || die "$where: envexec needs -- and an argv"
        start "${words[1]}" "${words[@]:k+1}"
        start_env=()
        ;;
    configmap)
        # configmap NAME DIR FILE=SOURCE... -- ARGV...
        ((${#words[@]} >= 6)) || die "$where: configmap takes a name, a directory, files, -- and an argv"
        dir=${words[2]}
        [[ $dir == /* && $dir != *..* ]] || die "$where: '$dir' is not an absolute path"
        mnt=$dir
        while [[ ! -d $mnt ]]; do mnt=${mnt%/*}; done
        [[ -n $mnt && $mnt != / ]] || die "$where: no directory to mount over for $dir"
        start_configmap=("$dir" "$mnt")
        mkdir -p "$hostdir/configmap"
        k=3
        while ((k < ${#words[@]})) && [[ ${words[k]} != -- ]]; do
            [[ ${words[k]} =~ ^[A-Za-z0-9._-]+=[^=]+$ ]] || die "$where: '${words[k]}' is not FILE=SOURCE"
            file=${words[k]%%=*} from=$profiles/${words[k]#*=}
            [[ -f $from ]] || die "$where: source $from does not exist"
            content=
            IFS= read -r -d '' content <"$from" || true
            subst "$content" >"$hostdir/configmap/$file"
            start_configmap+=("$file=$hostdir/configmap/$file")
            k=$((k + 1))
        done
        ((k + 1 < ${#words[@]})) || die "$where: configmap needs -- and an argv"
        start "${words[1]}" "${words[@]:k+1}"
        start_configmap=()
        ;;
    user)
        # user USER ARGV... : what a local user can do: run, as USER, the
        # planted program (tests/lab/fake-component.c with VERSION_MARKER),
        # copied by USER to their runtime directory under the name of
        # argv[0], with exactly ARGV, from their own session (not a system
        # service, not a pod).
        ((${#words[@]} >= 3)) || die "$where: user takes a user and an argv"
        u=${words[1]}
        uid=$(id -u "$u") && gid=$(id -g "$u") || die "$where: no user $u on this machine"
        mkdir -p "/run/user/$uid"
        planted=/run/user/$uid/${words[2]##*/}
        cp "$bin/planted" "$planted"
        chown -R "$uid:$gid" "/run/user/$uid"
        chmod 0700 "/run/user/$uid"
        start_as=(setpriv "--reuid=$uid" "--regid=$gid" --clear-groups)
        start planted "${words[@]:2}"
        start_as=()
        ;;
    *) die "$where: unknown directive '${words[0]}'" ;;
    esac
done <"$profiles/$profile/procs.txt"

# --- sshd --------------------------------------------------------------------
cat >"$hostdir/sshd_config" <<CFG
ListenAddress $addr:22
HostKey $hostdir/ssh_host_ed25519_key
AuthorizedKeysFile $state/authorized_keys
AllowUsers hbaudit
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
MaxStartups 200:30:400
PidFile /run/sshd.pid
LogLevel VERBOSE
PrintMotd no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
CFG
# A profile's `sshd.conf` adds settings (a fault: ForceCommand, ...).
if [[ -f $profiles/$profile/sshd.conf ]]; then
    subst "$(<"$profiles/$profile/sshd.conf")" >>"$hostdir/sshd_config"
    echo >>"$hostdir/sshd_config"
fi
/usr/sbin/sshd -t -f "$hostdir/sshd_config" || die "sshd rejects $hostdir/sshd_config"
/usr/sbin/sshd -D -f "$hostdir/sshd_config" -E "$hostdir/sshd.log" </dev/null &
sshd_pid=$!
log "sshd (pid $sshd_pid) on $addr:22"

# Bash reaps every child, adopted orphans included, while it waits here.
status=0
wait "$sshd_pid" || status=$?
die "sshd exited (status $status); see $hostdir/sshd.log"
