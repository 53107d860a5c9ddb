#!/bin/sh
# hardbench gathering script: fed on stdin to `sh -s -- ARG...` on an audited
# host. Strictly read-only: it never writes, creates or changes anything on
# the host (no temporary files; no here-documents, which some shells back with
# temporary files). It prints a framed record stream that src/facts/parse.rs
# turns into typed facts.
#
# Portable POSIX sh: dash and busybox ash, with GNU or busybox tools.
#
# The script knows no platform and no benchmark: what to look for arrives as
# arguments (see src/facts/plan.rs), made from the platform and benchmark
# definitions. `p:NAME` report the processes whose argv[0] has the basename
# NAME; `f:NAME:FLAG:A` a process NAME's flag (or environment variable) FLAG
# names a file to treat with action A (r read, d read the directory's
# config files, p read through the process's root, x fingerprint; any other
# path-like value is stat'ed); `e:NAME:PREFIX` report process NAME's
# environment variables that start with PREFIX; `i:NAME:MANIFEST` NAME's
# version is the image tag of the static pod MANIFEST; `v:NAME` else ask
# the binary of process NAME for its version. `s:PATH` stat PATH; `t:DIR`
# list every entry below DIR recursively and stat each; `r:PATH` read PATH
# (a directory: every regular file directly inside it); `x:PATH`
# fingerprint the certificate PATH. Before them, the transport's own
# (src/transport/ssh.rs): `m:BYTES` caps the stream (the script stops with
# status 3 rather than write past it), and `w:stdin` says that stdin stays
# open until the script ends, so EOF there means that hardbench hung up.
#
# Stream format, version 1. One record per line, fields separated by one
# space; every variable field is base64 (`.` is the empty string, `-` is
# absent), or, when the value is only letters, digits and `/._:=,+@-`, that
# value verbatim behind a `~` (`~/etc/kubernetes`): such a value holds no
# space or newline, and it costs no process to encode. So no byte of a file
# name, argv or file content can forge a record:
#   HARDBENCH-FACTS 1                                 header, first line
#   IDENTITY <hostname|-> <machine-id|-> <user|->
#   PROBLEM <text>                                    not tied to one fact
#   PROC <pid> <name> <raw cmdline> <cwd|-> <uid> <euid> <cgroup|->
#   ENV <pid> <name> <value>                 variables with the plan's prefixes
#   STAT <path> present <f|d|l|o> <octal mode> <uid> <gid> <user|-> <group|->
#   STAT <path> missing
#   STAT <path> error <reason>
#   LIST <dir> entries          then one ENTRY <dir> <path> per entry
#   LIST <dir> missing | LIST <dir> error <reason>
#   DOC <path> text <0|1 truncated> <redacted content>
#   DOC <path> missing | DOC <path> error <reason>
#   VERSION <name> image <image> <manifest>    a static pod's image
#   VERSION <name> executed <text> <binary>     `<binary> --version`
#   VERSION <name> error <reason>
#   CERT <path> x509-sha256 <hex>     sha256 of the certificate's DER (openssl)
#   CERT <path> file-sha256 <hex>     sha256 of the file's bytes (no openssl)
#   CERT <path> missing | CERT <path> error <reason>
#   END <number of records between the header and END>
#
# Speed: the host's CPU is most of an audit's cost, and most of a shell
# script's CPU is fork and exec. So values are encoded in the shell where
# they can be (`~` literals), every STAT is queued and answered by one
# `stat` invocation at the end, absent paths are told apart with `test`,
# and a tool runs once per document or process, never once per field.

# Everything lives in main(), called on the last line with stdin from
# /dev/null: the shell must read the whole script before running any of it,
# and no command run here (a component's `--version` included) can swallow
# the rest of the script from our stdin. The original stdin is fd 3 while
# the options are read, for watch_hangup only.
main() {
LC_ALL=C
export LC_ALL
DEFAULT_IFS=' 	
'
IFS=$DEFAULT_IFS

CAP=0
OUT=0
HB_PID=$$
while [ "$#" -gt 0 ]; do
    case $1 in
        m:*[!0-9]* | m:) ;;
        m:*) CAP=${1#m:} ;;
        w:stdin) watch_hangup ;;
        *) break ;;
    esac
    shift
done
exec 3<&-

for hb_tool in base64 tr; do
    if ! command -v "$hb_tool" >/dev/null 2>&1; then
        printf 'hardbench: %s: not found\n' "$hb_tool" >&2
        exit 127
    fi
done

DOC_CAP=262144
VERSION_CAP=4096
PATHS_PER_DOC=200
N=0
SEEN_STAT=' '
SEEN_DOC=' '
SQ_N=0
NL='
'
# The argv scanner sees each newline of an argv element as this byte.
SOH=$(printf '\001')

fits 18
printf 'HARDBENCH-FACTS 1\n'

# Every tool is looked up once; a missing one is one PROBLEM, and each fact
# that needed it reports "<tool>: not found" as its error.
for hb_tool in stat find grep sed head wc readlink xargs id uname timeout; do
    if command -v "$hb_tool" >/dev/null 2>&1; then
        eval "HAVE_$hb_tool=1"
    else
        eval "HAVE_$hb_tool="
        b64v "$hb_tool: not found"
        emit PROBLEM "$B"
    fi
done

# `base64 -w 0` (GNU, newer busybox) saves a `tr` per encoded stream.
if base64 -w 0 </dev/null >/dev/null 2>&1; then
    B64='base64 -w 0'
else
    B64=base64
fi

redact_program

# What to look for: process names, their flag and environment tables, and
# where versions come from. Names are checked here, as the argument
# scanner's `case` and the prefilter's regex use them.
NAMES=' '
FLAGS=$NL
EPFX=$NL
IMAGES=
VERSIONS=
for hb_arg in "$@"; do
    case $hb_arg in
        p:*) plan_name "${hb_arg#p:}" && NAMES="$NAMES${hb_arg#p:} " ;;
        f:*:*:[rdpx]) plan_name "${hb_arg#f:}" && FLAGS="$FLAGS${hb_arg#f:}$NL" ;;
        e:*:*) plan_name "${hb_arg#e:}" && EPFX="$EPFX${hb_arg#e:}$NL" ;;
        i:*:/*) plan_name "${hb_arg#i:}" && IMAGES="$IMAGES${hb_arg#i:}$NL" ;;
        v:*) plan_name "${hb_arg#v:}" && VERSIONS="$VERSIONS${hb_arg#v:} " ;;
    esac
done

gather_identity
gather_processes
gather_versions

for hb_arg in "$@"; do
    hb_path=${hb_arg#??}
    b64v "$hb_path"
    case $hb_arg in
        s:?*) stat_path "$hb_path" "$B" ;;
        t:?*) list_tree "$hb_path" "$B" ;;
        r:?*) read_arg "$hb_path" "$B" ;;
        x:/*) stat_path "$hb_path" "$B"; cert_fingerprint "$hb_path" "$B" ;;
        [pfeiv]:*) ;;
        *)
            b64v "unknown argument: $hb_arg"
            emit PROBLEM "$B"
            ;;
    esac
done

flush_stats

fits $((5 + ${#N}))
printf 'END %s\n' "$N"
exit 0
}

# watch_hangup: a background reader of the original stdin (fd 3). EOF there
# means hardbench hung up (its deadline passed, the output went over the
# cap, the run was interrupted): it stops this script and everything it
# started, which would otherwise run on (a child blocked writing into a
# command substitution never gets SIGPIPE). The whole process group when the
# script leads one (sudo's use_pty gives the command its own); else the
# script and its children (a command substitution runs its command as one).
watch_hangup() {
    {
        while IFS= read -r wh_line; do :; done
        # Only while the script is still our parent: once it has ended, its
        # PID may belong to another process.
        wh_stat=
        IFS= read -r wh_stat 2>/dev/null </proc/self/stat
        wh_me=${wh_stat%% *}
        set -- ${wh_stat##*) }
        [ "${2-}" = "$HB_PID" ] || exit 0
        if [ "${3-}" = "$HB_PID" ]; then
            # busybox rejects `--` (and still signals the group); dash needs it.
            kill -s TERM -- "-$HB_PID" 2>/dev/null
        else
            wh_kids=
            IFS= read -r wh_kids 2>/dev/null </proc/"$HB_PID"/task/"$HB_PID"/children
            kill -s TERM "$HB_PID" 2>/dev/null
            for wh_kid in $wh_kids; do
                [ "$wh_kid" = "$wh_me" ] || kill -s TERM "$wh_kid" 2>/dev/null
            done
        fi
    } <&3 &
    HB_WATCH=$!
    trap 'kill "$HB_WATCH" 2>/dev/null' EXIT
}

# fits LEN: counts the next LEN bytes of the stream, and stops the script if
# they would take it past the cap (`m:`): nothing beyond the cap is ever
# written, and the transport reads this status and line as "over the cap".
fits() {
    OUT=$((OUT + $1))
    if [ "$CAP" -gt 0 ] && [ "$OUT" -gt "$CAP" ]; then
        printf 'hardbench: output cap reached: the stream would pass %s bytes\n' "$CAP" >&2
        exit 3
    fi
}

emit() {
    em_len=0
    for em_field do
        em_len=$((em_len + ${#em_field} + 1))
    done
    fits "$em_len"
    N=$((N + 1))
    printf '%s' "$1"
    shift
    for em_field do
        printf ' %s' "$em_field"
    done
    printf '\n'
}

# b64v VALUE: sets B to VALUE as a field: `.` when empty, `~VALUE` when it
# is made of safe bytes only (no process), else base64 on one line. The
# safe set is spelled out, not a range: ranges follow the locale.
b64v() {
    case $1 in
        '') B=. ;;
        *[!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._:=,+@-]*)
            B=$(printf '%s' "$1" | base64 | tr -d '\n')
            ;;
        *) B="~$1" ;;
    esac
}

# unb64v FIELD: sets D to the decoded bytes, trailing newlines kept.
unb64v() {
    case $1 in
        .) D= ;;
        '~'*) D=${1#?} ;;
        *)
            D=$(printf '%s' "$1" | base64 -d; echo x)
            D=${D%x}
            ;;
    esac
}

# b64s: standard input in base64 on one line.
b64s() {
    if [ "$B64" = base64 ]; then
        base64 | tr -d '\n'
    else
        base64 -w 0
    fi
}

# plan_name NAME[:REST]: whether the name before the first `:` is a
# process name (letters, digits, `._-`, beginning with a letter or digit);
# a PROBLEM when it is not.
plan_name() {
    pn_name=${1%%:*}
    case $pn_name in
        '' | [!A-Za-z0-9]* | *[!A-Za-z0-9._-]*)
            b64v "unusable plan argument: $1"
            emit PROBLEM "$B"
            return 1
            ;;
    esac
    return 0
}

# comp_var NAME: sets V to a process name as a variable name (dashes and
# dots become underscores), without a process.
comp_var() {
    V=
    cv_rest=$1
    while :; do
        case $cv_rest in
            *[-.]*)
                cv_head=${cv_rest%%[-.]*}
                V=$V${cv_head}_
                cv_rest=${cv_rest#"$cv_head"?}
                ;;
            *)
                V=$V$cv_rest
                return
                ;;
        esac
    done
}

# Lines of command output are walked with `for` over a newline-split
# expansion, in this shell: a `| while read` loop would run in a subshell and
# lose the record count. The list is expanded once, before the body runs, so
# the body may nest another such loop.

gather_identity() {
    gi_host=-
    gi_mid=-
    gi_user=-
    # Linux names the host in /proc, which `read` gets without a process.
    gi_v=
    [ -r /proc/sys/kernel/hostname ] && IFS= read -r gi_v </proc/sys/kernel/hostname
    if [ -z "$gi_v" ] && [ -n "$HAVE_uname" ]; then
        gi_v=$(uname -n 2>/dev/null) || gi_v=
    fi
    if [ -n "$gi_v" ]; then
        b64v "$gi_v"
        gi_host=$B
    fi
    # A machine-id is one short line; anything longer is cut by head as before.
    gi_v=
    if [ -f /etc/machine-id ] && [ -r /etc/machine-id ]; then
        IFS= read -r gi_v </etc/machine-id
        if [ "${#gi_v}" -gt 256 ] && [ -n "$HAVE_head" ]; then
            gi_v=$(head -c 256 /etc/machine-id 2>/dev/null) || gi_v=
        fi
    fi
    if [ -n "$gi_v" ]; then
        b64v "$gi_v"
        gi_mid=$B
    fi
    if [ -n "$HAVE_id" ]; then
        if gi_v=$(id -un 2>/dev/null) && [ -n "$gi_v" ]; then
            b64v "$gi_v"
            gi_user=$B
        elif gi_v=$(id -u 2>/dev/null) && [ -n "$gi_v" ]; then
            b64v "$gi_v"
            gi_user=$B
        fi
    fi
    emit IDENTITY "$gi_host" "$gi_mid" "$gi_user"
}

# The field encoder of the scanners below, which run in their own `sh` and
# so cannot call b64v: it prints a field the way b64v sets one.
FIELD='
b() {
    case $1 in
        "") printf . ;;
        *[!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._:=,+@-]*)
            printf "%s" "$1" | base64 | tr -d "\n" ;;
        *) printf "~%s" "$1" ;;
    esac
}
'

# The argv scanner runs in its own `sh`, fed argv one element per line: `tr`
# turns each NUL of /proc/PID/cmdline into a newline and each newline into
# SOH ($1). A shell variable cannot hold NUL, and `xargs -0` would drop or
# split an argv longer than its buffer (128 KiB); a pipe has no such limit.
# It prints `C <name>` when the basename of argv[0] is one of the plan's
# names ($2, space-separated), then one `<action> <base64 path>` line per
# path-like flag value: s stat, or the action the plan's flag table ($3,
# lines `name:flag:action`) gives: r read, d read the directory's config
# files, x fingerprint, p read the file as the process sees it, through its
# root (kube-proxy runs in a container: kubeadm mounts its --config from a
# ConfigMap there, not on the host); upper case is relative to the
# process's cwd. A value with SOH in it (a newline, or SOH itself) names no
# path it could be told from: it is not followed.
ARGSCAN="$FIELD"'
soh=$1
nl="
"
IFS= read -r a0 || [ -n "$a0" ] || exit 0
a0=${a0##*/}
# A process title rewritten in place (k3s and rke2 write "k3s server" over
# their argv area as one string): its name is the first word.
a0=${a0%% *}
case $a0 in
    "") exit 0 ;;
esac
case $2 in
    *" $a0 "*) ;;
    *) exit 0 ;;
esac
echo "C $a0"
prev=
while IFS= read -r a || [ -n "$a" ]; do
    case $a in
        --*=*) flag=${a%%=*}; val=${a#*=}; eq=1; prev= ;;
        --*) prev=$a; continue ;;
        *)
            [ -n "$prev" ] || continue
            flag=$prev; val=$a; eq=; prev=
            ;;
    esac
    [ -n "$val" ] || continue
    case $val in *"$soh"*) continue ;; esac
    act=s
    case $3 in
        *"$nl$a0:$flag:"?"$nl"*)
            act=${3#*"$nl$a0:$flag:"}
            act=${act%%"$nl"*}
            ;;
    esac
    case $val in
        unix:///*) echo "s $(b "${val#unix://}")" ;;
        /*) echo "$act $(b "$val")" ;;
        *)
            if [ "$act" != s ]; then
                rel=1
            elif [ -n "$eq" ]; then
                case $val in
                    *://*) rel= ;;
                    ./* | ../* | *.yaml | *.yml | *.json | *.conf | *.crt | *.key | *.pem | *.csv | *.kubeconfig) rel=1 ;;
                    *) rel= ;;
                esac
            else
                rel=
            fi
            case $rel$act in
                1s) echo "S $(b "$val")" ;;
                1r) echo "R $(b "$val")" ;;
                1d) echo "D $(b "$val")" ;;
                1x) echo "X $(b "$val")" ;;
                1p) echo "P $(b "$val")" ;;
            esac
            ;;
    esac
done
'

# The environment scanner: only variables with the plan's prefix for the
# process ($1) leave the host, and never one whose name says it holds a
# secret. The flag table ($2, `name:flag:action` lines, $3 the name) gives
# the action for a variable that names a path, as for flags.
ENVSCAN="$FIELD"'
pfx=$1 table=$2 name=$3
shift 3
nl="
"
for a do
    case $a in
        "$pfx"*=*)
            k=${a%%=*}; v=${a#*=}
            case $k in
                *[!A-Z0-9_]* | *TOKEN* | *PASSWORD* | *PASSWD* | *SECRET* | *CREDENTIAL*) continue ;;
            esac
            echo "e $(b "$k") $(b "$v")"
            act=s
            case $table in
                *"$nl$name:$k:"?"$nl"*)
                    act=${table#*"$nl$name:$k:"}
                    act=${act%%"$nl"*}
                    ;;
            esac
            case $v in
                /*) echo "$act $(b "$v")" ;;
            esac
            ;;
    esac
done
'

gather_processes() {
    if [ -z "$HAVE_grep" ]; then
        b64v "processes not scanned: grep is needed"
        emit PROBLEM "$B"
        return
    fi
    # A cheap prefilter; every candidate is then checked exactly by ARGSCAN.
    # grep -z reads each NUL-terminated argv element as a line, so only a
    # process with an element that names a component is a candidate (each
    # candidate costs a tr and a sh). The audit's own processes are no
    # candidates: its shells, sudo and the login's shell carry the plan's
    # paths in their argv (`s:/var/lib/rancher/k3s` ends with a name), so
    # their PIDs (this script's ancestors, and its subshells) are set aside
    # first, read from /proc by the shell. A grep without -z (status 2, no
    # output) falls back to any mention of the names.
    own_pids
    [ "$NAMES" != ' ' ] || return
    # The names as one alternation; `.` is the only one of their characters
    # that means something in a regex.
    gp_re=
    gp_fixed=
    for gp_name in $NAMES; do
        gp_fixed="$gp_fixed -e $gp_name"
        while :; do
            case $gp_name in
                *.*) gp_re="$gp_re${gp_name%%.*}\\."; gp_name=${gp_name#*.} ;;
                *) gp_re="$gp_re$gp_name|"; break ;;
            esac
        done
    done
    gp_cands=$(grep -l -s -z -E -e "^(.*/)?(${gp_re%|})( .*)?\$" /proc/[0-9]*/cmdline 2>/dev/null)
    if [ "$?" -eq 2 ] && [ -z "$gp_cands" ]; then
        # $gp_fixed is `-e NAME` words: names hold no space or glob character.
        gp_cands=$(grep -l -F $gp_fixed /proc/[0-9]*/cmdline 2>/dev/null)
    fi
    set -f
    IFS=$NL
    for gp_line in $gp_cands; do
        IFS=$DEFAULT_IFS
        set +f
        scan_process "$gp_line"
    done
    IFS=$DEFAULT_IFS
    set +f
}

# ppid_of PID: sets PPID_OF to PID's parent, from the PPid: line of
# /proc/PID/status, read by the shell (empty when it cannot be read).
ppid_of() {
    PPID_OF=
    {
        while IFS= read -r pp_l; do
            case $pp_l in
                PPid:*) set -- ${pp_l#PPid:}; PPID_OF=${1-}; break ;;
            esac
        done <"/proc/$1/status"
    } 2>/dev/null
}

# own_pids: sets OWN to " PID ... ", this script and its ancestors up to
# PID 1 (sudo, the login's shell, sshd).
own_pids() {
    OWN=" "
    op_pid=$HB_PID
    while [ -n "$op_pid" ] && [ "$op_pid" != 0 ] && [ "$op_pid" != 1 ]; do
        case $OWN in *" $op_pid "*) break ;; esac
        OWN="$OWN$op_pid "
        ppid_of "$op_pid"
        op_pid=$PPID_OF
    done
}

scan_process() {
    sp_pid=${1#/proc/}
    sp_pid=${sp_pid%/cmdline}
    case $sp_pid in '' | *[!0-9]*) return ;; esac
    case $OWN in *" $sp_pid "*) return ;; esac
    # A subshell of this script has this script's argv.
    ppid_of "$sp_pid"
    [ "$PPID_OF" != "$HB_PID" ] || return
    sp_scan=$(tr '\n\000' "$SOH"'\n' <"$1" 2>/dev/null | sh -c "$ARGSCAN" sh "$SOH" "$NAMES" "$FLAGS" 2>/dev/null) || return
    case $sp_scan in "C "*) ;; *) return ;; esac
    sp_comp=${sp_scan%%"$NL"*}
    sp_comp=${sp_comp#C }
    sp_argv=$(b64s 2>/dev/null <"$1")
    [ -n "$sp_argv" ] || return
    # A process whose status cannot be read any more has exited.
    proc_owner "$sp_pid" || return
    sp_cwd=-
    SP_CWD=
    if [ -n "$HAVE_readlink" ] && sp_v=$(readlink "/proc/$sp_pid/cwd" 2>/dev/null && echo x); then
        SP_CWD=${sp_v%?x}
        b64v "$SP_CWD"
        sp_cwd=$B
    fi
    sp_cg=-
    if [ -n "$PO_CG" ]; then
        b64v "$PO_CG"
        sp_cg=$B
    fi
    emit PROC "$sp_pid" "$sp_comp" "$sp_argv" "$sp_cwd" "$PO_RUID" "$PO_EUID" "$sp_cg"
    # Only the real component is followed: a local user's process that
    # merely carries its name must not make this script (root) read the
    # files its flags name, nor have its binary run for a version.
    proc_genuine "$sp_comp" || return
    comp_var "$sp_comp"
    eval "sp_first=\${PID_$V-}"
    if [ -z "$sp_first" ] || [ "$sp_pid" -lt "$sp_first" ]; then
        eval "PID_$V=\$sp_pid"
    fi
    SP_PID=$sp_pid
    case $EPFX in
        *"$NL$sp_comp:"*)
            sp_pfx=${EPFX#*"$NL$sp_comp:"}
            sp_pfx=${sp_pfx%%"$NL"*}
            # 2>&1 first, so that a failed open of environ is captured too.
            if [ -z "$HAVE_xargs" ]; then
                b64v "$sp_comp $sp_pid: environment not read: xargs: not found"
                emit PROBLEM "$B"
            elif sp_env=$( { xargs -0 sh -c "$ENVSCAN" sh "$sp_pfx" "$FLAGS" "$sp_comp" 2>/dev/null; } 2>&1 <"/proc/$sp_pid/environ"); then
                process_actions "$sp_env"
            else
                b64v "$sp_comp $sp_pid: environment not read: $sp_env"
                emit PROBLEM "$B"
            fi
            ;;
    esac
    process_actions "$sp_scan"
}

# proc_owner PID: sets PO_RUID, PO_EUID, PO_SUID, PO_FSUID from the `Uid:`
# line of /proc/PID/status, and PO_CG to the process's cgroup (the unified
# hierarchy's `0::` line, else systemd's own). Read by the shell: no process.
# Returns 1 when the status cannot be read (the process has exited).
proc_owner() {
    po_pid=$1
    PO_RUID=
    PO_CG=
    po_v1=
    {
        while IFS= read -r po_l; do
            case $po_l in
                Uid:*)
                    set -- ${po_l#Uid:}
                    PO_RUID=$1 PO_EUID=$2 PO_SUID=$3 PO_FSUID=$4
                    break
                    ;;
            esac
        done <"/proc/$po_pid/status"
    } 2>/dev/null
    case $PO_RUID$PO_EUID$PO_SUID$PO_FSUID in '' | *[!0-9]*) return 1 ;; esac
    {
        while IFS= read -r po_l || [ -n "$po_l" ]; do
            case $po_l in
                0::*) PO_CG=${po_l#0::} ;;
                *:name=systemd:*) po_v1=${po_l#*:name=systemd:} ;;
            esac
            po_l=
        done <"/proc/$po_pid/cgroup"
    } 2>/dev/null
    [ -n "$PO_CG" ] || PO_CG=$po_v1
    return 0
}

# proc_genuine COMPONENT: whether the process proc_owner read is the
# component its name says: its real uid is 0, or its cgroup is the
# component's own system service or a pod's, which no unprivileged user can
# join. argv and the command name prove nothing: anyone can choose them.
# The same rule as `Process::standing` in src/facts.rs.
proc_genuine() {
    [ "$PO_RUID" != 0 ] || return 0
    case $PO_CG in
        "/system.slice/$1.service" | /kubepods/* | /kubepods.slice/*) return 0 ;;
    esac
    return 1
}

# process_actions TEXT: process_action for each line of TEXT, split on
# newlines only and without globbing (the list is expanded once, so the
# defaults are back for each action).
process_actions() {
    set -f
    IFS=$NL
    for pas_line in $1; do
        IFS=$DEFAULT_IFS
        set +f
        process_action "$pas_line"
    done
    IFS=$DEFAULT_IFS
    set +f
}

# process_action LINE: one line of ARGSCAN or ENVSCAN output.
process_action() {
    pa_act=${1%% *}
    pa_b=${1#* }
    case $pa_act in
        C) return ;;
        e)
            emit ENV "$SP_PID" "$pa_b"
            return
            ;;
        p | P)
            unb64v "$pa_b"
            if [ "$pa_act" = P ]; then
                [ -n "$SP_CWD" ] || return
                # As kube.rs resolves it: leading `./` dropped.
                while :; do
                    case $D in ./*) D=${D#./} ;; *) break ;; esac
                done
                case $SP_CWD in
                    */) D=$SP_CWD$D ;;
                    *) D=$SP_CWD/$D ;;
                esac
            fi
            root_doc "$SP_PID" "$D"
            return
            ;;
        S | R | D | X)
            [ -n "$SP_CWD" ] || return
            unb64v "$pa_b"
            case $SP_CWD in
                */) pa_p=$SP_CWD$D ;;
                *) pa_p=$SP_CWD/$D ;;
            esac
            b64v "$pa_p"
            pa_b=$B
            ;;
        *)
            unb64v "$pa_b"
            pa_p=$D
            ;;
    esac
    stat_path "$pa_p" "$pa_b"
    case $pa_act in
        r | R) read_doc "$pa_p" "$pa_b" ;;
        d | D) read_dir "$pa_p" kubelet-config-dir ;;
        x | X) cert_fingerprint "$pa_p" "$pa_b" ;;
    esac
}

# stat_probe PATH: sets ST (present, missing or error), REASON, and for a
# present path K (f, d, l, o), MODE, SUID, SGID, UNAME, GNAME. Plain stat
# (lstat semantics), so a symlink is reported as a symlink.
stat_probe() {
    if [ -z "$HAVE_stat" ]; then
        ST=error
        REASON='stat: not found'
        return
    fi
    if ! so_out=$(stat -c '%a:%u:%g:%U:%G:%F' -- "$1" 2>&1 </dev/null); then
        case $so_out in
            *'No such file or directory'* | *'Not a directory'*) ST=missing ;;
            *) ST=error; REASON=$so_out ;;
        esac
        return
    fi
    stat_fields "$so_out"
}

# stat_fields LINE: one line of `stat -c '%a:%u:%g:%U:%G:%F'` into ST, K,
# MODE, SUID, SGID, UNAME, GNAME (or ST=error).
stat_fields() {
    so_out=$1
    MODE=${so_out%%:*}; so_out=${so_out#*:}
    SUID=${so_out%%:*}; so_out=${so_out#*:}
    SGID=${so_out%%:*}; so_out=${so_out#*:}
    UNAME=${so_out%%:*}; so_out=${so_out#*:}
    GNAME=${so_out%%:*}; so_out=${so_out#*:}
    case $so_out in
        'regular file' | 'regular empty file') K=f ;;
        directory) K=d ;;
        'symbolic link') K=l ;;
        *) K=o ;;
    esac
    case $MODE$SUID$SGID in
        '' | *[!0-9]*)
            ST=error
            REASON="unexpected stat output: $MODE:$SUID:$SGID"
            return
            ;;
    esac
    ST=present
}

# name_b64 ID NAME CACHE: sets B to NAME in base64, or `-` when the host has
# no name for ID; cached per id, since a host has few owners.
name_b64() {
    eval "B=\${$3_$1-}"
    [ -z "$B" ] || return 0
    if [ "$2" = UNKNOWN ]; then
        B=-
    else
        b64v "$2"
    fi
    eval "$3_$1=\$B"
}

# stat_path PATH B64PATH: one STAT record per distinct path, queued for
# flush_stats.
stat_path() {
    case $SEEN_STAT in *" $2 "*) return ;; esac
    SEEN_STAT="$SEEN_STAT$2 "
    SQ_N=$((SQ_N + 1))
    eval "SQP_$SQ_N=\$1 SQB_$SQ_N=\$2"
}

# absent_missing PATH: for a PATH that neither `test -e` nor `test -L`
# finds, whether stat would say it is missing (no such file, or not a
# directory), told from its nearest existing ancestor without a process:
# a searchable directory or a non-directory means missing. Anything else
# (not searchable, a relative path) returns 1: ask stat for the reason.
absent_missing() {
    case $1 in /*) ;; *) return 1 ;; esac
    am_p=$1
    while :; do
        am_p=${am_p%/*}
        [ -n "$am_p" ] || am_p=/
        if [ -e "$am_p" ] || [ -L "$am_p" ]; then
            [ -d "$am_p" ] || return 0
            [ -x "$am_p" ]
            return
        fi
        [ "$am_p" != / ] || return 1
    done
}

# stat_absent_or_probe PATH: stat_probe, but a path that is plainly absent
# costs no process.
stat_absent_or_probe() {
    if [ -n "$HAVE_stat" ] && [ ! -e "$1" ] && [ ! -L "$1" ] && absent_missing "$1"; then
        ST=missing
    else
        stat_probe "$1"
    fi
}

# flush_stats: the queued STAT records. Absent paths are answered by
# absent_missing; every present one by a single `stat` invocation, one line
# per path in order. Should that output not line up (a path vanished, a
# name with a newline), each present path is asked on its own.
flush_stats() {
    fs_i=0
    fs_idx=
    fs_list=
    while [ "$fs_i" -lt "$SQ_N" ]; do
        fs_i=$((fs_i + 1))
        eval "fs_p=\$SQP_$fs_i"
        if [ -n "$HAVE_stat" ] && { [ -e "$fs_p" ] || [ -L "$fs_p" ]; }; then
            fs_idx="$fs_idx $fs_i"
            fs_list="$fs_list \"\$SQP_$fs_i\""
        else
            stat_absent_or_probe "$fs_p"
            eval "stat_emit \"\$SQB_$fs_i\""
        fi
    done
    [ -n "$fs_idx" ] || return 0
    eval "set -- $fs_list"
    fs_ok=
    if fs_out=$(stat -c '%a:%u:%g:%U:%G:%F' -- "$@" 2>/dev/null </dev/null); then
        fs_ok=1
        fs_lines=0
        set -f
        IFS=$NL
        for fs_line in $fs_out; do
            fs_lines=$((fs_lines + 1))
            case $fs_line in [0-7]*:[0-9]*:[0-9]*:*:*:?*) ;; *) fs_ok= ;; esac
        done
        IFS=$DEFAULT_IFS
        set +f
        [ "$fs_lines" -eq "$#" ] || fs_ok=
    fi
    set -- $fs_idx
    if [ -z "$fs_ok" ]; then
        for fs_i do
            eval "stat_probe \"\$SQP_$fs_i\""
            eval "stat_emit \"\$SQB_$fs_i\""
        done
        return 0
    fi
    set -f
    IFS=$NL
    for fs_line in $fs_out; do
        IFS=$DEFAULT_IFS
        set +f
        stat_fields "$fs_line"
        eval "stat_emit \"\$SQB_$1\""
        shift
    done
    IFS=$DEFAULT_IFS
    set +f
}

# stat_emit B64PATH: the STAT record for what stat_probe or stat_fields set.
stat_emit() {
    case $ST in
        missing) emit STAT "$1" missing ;;
        error)
            b64v "$REASON"
            emit STAT "$1" error "$B"
            ;;
        present)
            name_b64 "$SUID" "$UNAME" UN
            st_u=$B
            name_b64 "$SGID" "$GNAME" GN
            emit STAT "$1" present "$K" "$MODE" "$SUID" "$SGID" "$st_u" "$B"
            ;;
    esac
}

# Prints each argument as one base64 line; run by find -exec in its own sh,
# since find's own output cannot frame a name that contains a newline.
ENCODE_EACH='
for a do
    case $a in
        *[!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._:=,+@-]*)
            printf "%s" "$a" | base64 | tr -d "\n"
            echo
            ;;
        *) printf "~%s\n" "$a" ;;
    esac
done
'

list_tree() {
    lt_d=$1
    lt_b=$2
    stat_path "$lt_d" "$lt_b"
    stat_absent_or_probe "$lt_d"
    if [ "$ST" = missing ]; then
        emit LIST "$lt_b" missing
        return
    fi
    if [ -z "$HAVE_find" ]; then
        b64v 'find: not found'
        emit LIST "$lt_b" error "$B"
        return
    fi
    if ! lt_out=$(find -H "$lt_d" -mindepth 1 -exec sh -c "$ENCODE_EACH" sh {} + 2>/dev/null); then
        # Run again for the reason only: stderr cannot be captured apart
        # from stdout in one command substitution without a temporary file.
        lt_err=$(find -H "$lt_d" -mindepth 1 2>&1 >/dev/null | head -c 2048)
        b64v "${lt_err:-find failed}"
        emit LIST "$lt_b" error "$B"
        return
    fi
    emit LIST "$lt_b" entries
    LT_B=$lt_b
    set -f
    IFS=$NL
    for lt_line in $lt_out; do
        IFS=$DEFAULT_IFS
        set +f
        list_entry "$lt_line"
    done
    IFS=$DEFAULT_IFS
    set +f
}

list_entry() {
    emit ENTRY "$LT_B" "$1"
    unb64v "$1"
    stat_path "$D" "$1"
}

read_arg() {
    stat_path "$1" "$2"
    if [ -d "$1" ]; then
        read_dir "$1" all
    else
        read_doc "$1" "$2"
    fi
}

# read_dir DIR FILTER: reads the regular files directly inside DIR; FILTER
# `kubelet-config-dir` keeps the drop-in extensions the kubelet reads.
read_dir() {
    [ -d "$1" ] || return
    rdd_filter=$2
    for rdd_f in "$1"/* "$1"/.[!.]* "$1"/..?*; do
        [ -f "$rdd_f" ] && [ ! -L "$rdd_f" ] || continue
        if [ "$rdd_filter" = kubelet-config-dir ]; then
            case $rdd_f in
                *.conf | *.yaml | *.yml | *.json) ;;
                *) continue ;;
            esac
        fi
        b64v "$rdd_f"
        rdd_b=$B
        stat_path "$rdd_f" "$rdd_b"
        read_doc "$rdd_f" "$rdd_b"
    done
}

# read_doc PATH B64PATH: one DOC record per distinct path, redacted on this
# host, then a STAT of every absolute path the document names.
read_doc() {
    case $SEEN_DOC in *" $2 "*) return ;; esac
    SEEN_DOC="$SEEN_DOC$2 "
    rd_p=$1
    rd_b=$2
    if [ ! -e "$rd_p" ]; then
        stat_absent_or_probe "$rd_p"
        if [ "$ST" = error ] && [ -n "$HAVE_stat" ]; then
            b64v "$REASON"
            emit DOC "$rd_b" error "$B"
        else
            emit DOC "$rd_b" missing
        fi
        return
    fi
    # Private keys, tokens and kubeconfigs are only ever stat'ed. The
    # kubelet's rotated client and serving files hold certificate and key in
    # one .pem: refused by name, whatever their content looks like.
    if secret_name "${rd_p##*/}"; then
        doc_error "$rd_b" 'not read: may hold a private key or token'
        return
    fi
    if [ ! -f "$rd_p" ]; then
        doc_error "$rd_b" 'not read: not a regular file'
        return
    fi
    for rd_tool in head sed wc grep; do
        if eval "[ -z \"\$HAVE_$rd_tool\" ]"; then
            doc_error "$rd_b" "$rd_tool: not found"
            return
        fi
    done
    # Root reads anything: head is asked for the reason only when `test -r`
    # says no.
    if [ ! -r "$rd_p" ] && ! rd_err=$(head -c 1 -- "$rd_p" 2>&1 >/dev/null); then
        doc_error "$rd_b" "$rd_err"
        return
    fi
    # A regular file's size tells whether it is cut at DOC_CAP; only a file
    # that is goes through head.
    rd_n=$(wc -c <"$rd_p" 2>/dev/null) || rd_n=0
    if [ "$((rd_n))" -le "$DOC_CAP" ]; then
        rd_trunc=0
        grep -q -e 'PRIVATE KEY-----' <"$rd_p" 2>/dev/null
    else
        rd_trunc=1
        head -c "$DOC_CAP" <"$rd_p" 2>/dev/null | grep -q -e 'PRIVATE KEY-----'
    fi
    if [ "$?" -eq 0 ]; then
        doc_error "$rd_b" 'not read: holds a private key'
        return
    fi
    if [ "$rd_trunc" = 0 ]; then
        rd_c=$(sed -e "$REDACT" <"$rd_p" 2>/dev/null | b64s)
        rd_paths=$(sed -e "$REDACT" <"$rd_p" 2>/dev/null | sed -n -e "$PATHS_PROGRAM")
    else
        rd_c=$(head -c "$DOC_CAP" <"$rd_p" 2>/dev/null | sed -e "$REDACT" | b64s)
        rd_paths=$(head -c "$DOC_CAP" <"$rd_p" 2>/dev/null | sed -e "$REDACT" | sed -n -e "$PATHS_PROGRAM")
    fi
    emit DOC "$rd_b" text "$rd_trunc" "${rd_c:-.}"
    rd_k=0
    set -f
    IFS=$NL
    for rd_line in $rd_paths; do
        IFS=$DEFAULT_IFS
        set +f
        [ "$rd_k" -lt "$PATHS_PER_DOC" ] || break
        rd_k=$((rd_k + 1))
        stat_named_path "$rd_line"
    done
    IFS=$DEFAULT_IFS
    set +f
}

# root_doc PID PATH: read_doc of PATH as process PID sees it: the DOC
# record is named /proc/PID/root/PATH, and the file read is PATH resolved
# inside the process's root (root_resolve), so that no symbolic link in the
# process's tree reaches a file of the host.
root_doc() {
    rt_root=/proc/$1/root
    b64v "$rt_root$2"
    rt_b=$B
    case $SEEN_DOC in *" $rt_b "*) return ;; esac
    stat_path "$rt_root$2" "$rt_b"
    if secret_name "${2##*/}"; then
        SEEN_DOC="$SEEN_DOC$rt_b "
        doc_error "$rt_b" 'not read: may hold a private key or token'
    elif [ ! -d "$rt_root/" ]; then
        SEEN_DOC="$SEEN_DOC$rt_b "
        doc_error "$rt_b" "not read: the process's root $rt_root is not accessible"
    elif root_resolve "$rt_root" "$2"; then
        read_doc "$rt_root$RP" "$rt_b"
    else
        SEEN_DOC="$SEEN_DOC$rt_b "
        doc_error "$rt_b" "not read: $REASON"
    fi
}

# root_resolve ROOT PATH: sets RP to PATH with every symbolic link resolved
# the way the kernel resolves it for a process whose root is ROOT: an
# absolute target starts again at ROOT, `..` stops at ROOT. One readlink per
# link (kubeadm's ConfigMap files are two links deep); at most 40 links,
# as the kernel allows. Returns 1 with REASON when a link cannot be read.
root_resolve() {
    rr_todo=${2#/}
    rr_done=
    rr_n=0
    while [ -n "$rr_todo" ]; do
        case $rr_todo in
            */*) rr_c=${rr_todo%%/*}; rr_todo=${rr_todo#*/} ;;
            *) rr_c=$rr_todo; rr_todo= ;;
        esac
        case $rr_c in
            '' | .) continue ;;
            ..) rr_done=${rr_done%/*}; continue ;;
        esac
        if [ -L "$1$rr_done/$rr_c" ]; then
            rr_n=$((rr_n + 1))
            if [ "$rr_n" -gt 40 ]; then
                REASON='too many levels of symbolic links'
                return 1
            fi
            if [ -z "$HAVE_readlink" ]; then
                REASON='readlink: not found'
                return 1
            fi
            rr_t=$(readlink "$1$rr_done/$rr_c" 2>&1) || {
                REASON=$rr_t
                return 1
            }
            case $rr_t in /*) rr_done= ;; esac
            rr_todo=${rr_t#/}${rr_todo:+/$rr_todo}
        elif [ -n "$rr_todo" ] && [ ! -d "$1$rr_done/$rr_c" ]; then
            # Not a directory (or absent): the path goes no further, and
            # the kernel says why when it is read.
            RP=$rr_done/$rr_c/$rr_todo
            return 0
        else
            rr_done=$rr_done/$rr_c
        fi
    done
    RP=${rr_done:-/}
}

# secret_name NAME: whether a file NAME may hold a private key or token.
secret_name() {
    case $1 in
        # A configuration document that mentions tokens in its name (k3s's
        # config.yaml.d/10-token-expiration.yaml) is read: its secrets are
        # redacted key by key like every document's.
        *token*.yaml | *token*.yml) return 1 ;;
        *.key | *-key.pem | *_key.pem | *token* | *kubeconfig* | kubelet-client*.pem | kubelet-server*.pem) return 0 ;;
    esac
    return 1
}

doc_error() {
    b64v "$2"
    emit DOC "$1" error "$B"
}

stat_named_path() {
    b64v "$1"
    stat_path "$1" "$B"
}

# Absolute paths that a YAML or JSON document gives as a value: `key: /p`,
# `"key": "/p"`, list items `- /p`, and flags in pod manifests `- --f=/p`.
# Best effort: one per line, cut at a quote, space, comma or brace.
PATHS_PROGRAM='
s/^[[:space:]]*\(- \)\{0,1\}["'"'"']\{0,1\}[A-Za-z0-9_.-]*["'"'"']\{0,1\}[[:space:]]*:[[:space:]]*["'"'"']\{0,1\}\(\/[^]"'"'"'[:space:],}]*\).*$/\2/p
t
s/^[[:space:]]*-[[:space:]]*["'"'"']\{0,1\}\(\/[^]"'"'"'[:space:],}]*\).*$/\1/p
t
s/^[[:space:]]*-[[:space:]]*["'"'"']\{0,1\}--[A-Za-z0-9-]*=\(\/[^]"'"'"'[:space:],}]*\).*$/\1/p
'

# The redaction program, one block per key, from REDACT_TEMPLATE. For each
# key: a JSON or quoted value on any line; a YAML `key:` at the start of a
# line (also `- key:`); a flow mapping `{key: v, ...}`; and then every
# following line indented deeper than the key, which is the rest of a block
# scalar, a multi-line plain or quoted scalar, or a nested value.
REDACT_TEMPLATE='
s/"KEY"[[:space:]]*:[[:space:]]*"[^"\\]*\(\\.[^"\\]*\)*"/"KEY": "REDACTED"/g
s/"KEY"[[:space:]]*:[[:space:]]*[{[][^]}]*[]}]/"KEY": "REDACTED"/g
s/"KEY"[[:space:]]*:[[:space:]]*[^]"[:space:]{[,}][^],}]*/"KEY": "REDACTED"/g
s/^\( *\)\(- *\)\{0,1\}SQKEYSQ[[:space:]]*:.*$/\1\2SQKEYSQ: REDACTED/
s/^\( *\)\(- *\)\{0,1\}KEY[[:space:]]*:\([[:space:]].*\)\{0,1\}$/\1\2KEY: REDACTED/
s/\([{,][[:space:]]*\)KEY[[:space:]]*:[[:space:]]*[^],}]*/\1KEY: REDACTED/g
/^ *["SQ]\{0,1\}KEY["SQ]\{0,1\}[[:space:]]*:/{
:plainLBL
$b
N
/^\( *\)[^ ].*\n\1 /{
s/\n.*$//
bplainLBL
}
/\n[[:space:]]*$/{
s/\n.*$//
bplainLBL
}
P
D
}
/^ *- *["SQ]\{0,1\}KEY["SQ]\{0,1\}[[:space:]]*:/{
:dashLBL
$b
N
/^\( *\)-.*\n\1   /{
s/\n.*$//
bdashLBL
}
/\n[[:space:]]*$/{
s/\n.*$//
bdashLBL
}
P
D
}
'

redact_program() {
    REDACT=
    [ -n "$HAVE_sed" ] || return 0
    rp_i=0
    # k3s and RKE2 keep their join tokens, datastore URL (with its
    # password) and S3 credentials under these keys in config.yaml.
    for rp_key in secret token password client-key-data client-certificate-data \
        agent-token datastore-endpoint etcd-s3-access-key etcd-s3-secret-key; do
        rp_i=$((rp_i + 1))
        replace_all "$REDACT_TEMPLATE" KEY "$rp_key"
        replace_all "$R" SQ "'"
        replace_all "$R" LBL "$rp_i"
        REDACT=$REDACT$R
    done
    REDACT=$REDACT$REDACT_ASSIGNMENTS
}

# Secrets in shell-style assignments and on command lines: the service
# units' environment files and Environment= lines (K3S_TOKEN=...,
# RKE2_DATASTORE_ENDPOINT=...) and ExecStart flags (--token x,
# --datastore-endpoint=...). A flag is matched only when its name ends in
# the word, so --token-auth-file and --secrets-encryption keep their values.
# Per name: a double-quoted value, a single-quoted one, a bare one. The
# name's prefix is bounded: an unbounded `[A-Za-z0-9_]*TOKEN` makes a
# backtracking sed (busybox) quadratic on a long line.
REDACT_ASSIGNMENTS='
s/\([A-Za-z0-9_]\{0,64\}TOKEN[A-Za-z0-9_]*=\)"[^"]*"/\1"REDACTED"/g
s/\([A-Za-z0-9_]\{0,64\}TOKEN[A-Za-z0-9_]*=\)'"'"'[^'"'"']*'"'"'/\1'"'"'REDACTED'"'"'/g
s/\([A-Za-z0-9_]\{0,64\}TOKEN[A-Za-z0-9_]*=\)[^"'"'"'[:space:]\\][^"'"'"'[:space:]\\]*/\1REDACTED/g
s/\([A-Za-z0-9_]\{0,64\}PASSWORD[A-Za-z0-9_]*=\)"[^"]*"/\1"REDACTED"/g
s/\([A-Za-z0-9_]\{0,64\}PASSWORD[A-Za-z0-9_]*=\)'"'"'[^'"'"']*'"'"'/\1'"'"'REDACTED'"'"'/g
s/\([A-Za-z0-9_]\{0,64\}PASSWORD[A-Za-z0-9_]*=\)[^"'"'"'[:space:]\\][^"'"'"'[:space:]\\]*/\1REDACTED/g
s/\([A-Za-z0-9_]\{0,64\}SECRET[A-Za-z0-9_]*=\)"[^"]*"/\1"REDACTED"/g
s/\([A-Za-z0-9_]\{0,64\}SECRET[A-Za-z0-9_]*=\)'"'"'[^'"'"']*'"'"'/\1'"'"'REDACTED'"'"'/g
s/\([A-Za-z0-9_]\{0,64\}SECRET[A-Za-z0-9_]*=\)[^"'"'"'[:space:]\\][^"'"'"'[:space:]\\]*/\1REDACTED/g
s/\([A-Za-z0-9_]\{0,64\}DATASTORE_ENDPOINT=\)"[^"]*"/\1"REDACTED"/g
s/\([A-Za-z0-9_]\{0,64\}DATASTORE_ENDPOINT=\)'"'"'[^'"'"']*'"'"'/\1'"'"'REDACTED'"'"'/g
s/\([A-Za-z0-9_]\{0,64\}DATASTORE_ENDPOINT=\)[^"'"'"'[:space:]\\][^"'"'"'[:space:]\\]*/\1REDACTED/g
s/\([A-Za-z0-9_]\{0,64\}ACCESS_KEY[A-Za-z0-9_]*=\)"[^"]*"/\1"REDACTED"/g
s/\([A-Za-z0-9_]\{0,64\}ACCESS_KEY[A-Za-z0-9_]*=\)'"'"'[^'"'"']*'"'"'/\1'"'"'REDACTED'"'"'/g
s/\([A-Za-z0-9_]\{0,64\}ACCESS_KEY[A-Za-z0-9_]*=\)[^"'"'"'[:space:]\\][^"'"'"'[:space:]\\]*/\1REDACTED/g
s/\(--[a-z0-9-]\{0,64\}token[= ][[:space:]]*\)"[^"]*"/\1"REDACTED"/g
s/\(--[a-z0-9-]\{0,64\}token[= ][[:space:]]*\)'"'"'[^'"'"']*'"'"'/\1'"'"'REDACTED'"'"'/g
s/\(--[a-z0-9-]\{0,64\}token[= ][[:space:]]*\)[^"'"'"'[:space:]\\][^"'"'"'[:space:]\\]*/\1REDACTED/g
s/\(--[a-z0-9-]\{0,64\}password[= ][[:space:]]*\)"[^"]*"/\1"REDACTED"/g
s/\(--[a-z0-9-]\{0,64\}password[= ][[:space:]]*\)'"'"'[^'"'"']*'"'"'/\1'"'"'REDACTED'"'"'/g
s/\(--[a-z0-9-]\{0,64\}password[= ][[:space:]]*\)[^"'"'"'[:space:]\\][^"'"'"'[:space:]\\]*/\1REDACTED/g
s/\(--[a-z0-9-]\{0,64\}secret-key[= ][[:space:]]*\)"[^"]*"/\1"REDACTED"/g
s/\(--[a-z0-9-]\{0,64\}secret-key[= ][[:space:]]*\)'"'"'[^'"'"']*'"'"'/\1'"'"'REDACTED'"'"'/g
s/\(--[a-z0-9-]\{0,64\}secret-key[= ][[:space:]]*\)[^"'"'"'[:space:]\\][^"'"'"'[:space:]\\]*/\1REDACTED/g
s/\(--[a-z0-9-]\{0,64\}access-key[= ][[:space:]]*\)"[^"]*"/\1"REDACTED"/g
s/\(--[a-z0-9-]\{0,64\}access-key[= ][[:space:]]*\)'"'"'[^'"'"']*'"'"'/\1'"'"'REDACTED'"'"'/g
s/\(--[a-z0-9-]\{0,64\}access-key[= ][[:space:]]*\)[^"'"'"'[:space:]\\][^"'"'"'[:space:]\\]*/\1REDACTED/g
s/\(--datastore-endpoint[= ][[:space:]]*\)"[^"]*"/\1"REDACTED"/g
s/\(--datastore-endpoint[= ][[:space:]]*\)'"'"'[^'"'"']*'"'"'/\1'"'"'REDACTED'"'"'/g
s/\(--datastore-endpoint[= ][[:space:]]*\)[^"'"'"'[:space:]\\][^"'"'"'[:space:]\\]*/\1REDACTED/g
'


# replace_all TEXT FROM TO: sets R to TEXT with every FROM replaced by TO,
# in the shell (this runs 15 times per audit; sed would be 15 processes).
replace_all() {
    R=
    ra_rest=$1
    while :; do
        case $ra_rest in
            *"$2"*)
                R=$R${ra_rest%%"$2"*}$3
                ra_rest=${ra_rest#*"$2"}
                ;;
            *)
                R=$R$ra_rest
                return
                ;;
        esac
    done
}

# cert_fingerprint PATH B64PATH: one CERT record per distinct path. The CA
# certificates components trust are compared by fingerprint (CIS 2.7), so
# the digest is made here and only the digest leaves the host.
SEEN_CERT=' '
cert_fingerprint() {
    case $SEEN_CERT in *" $2 "*) return ;; esac
    SEEN_CERT="$SEEN_CERT$2 "
    if [ ! -e "$1" ]; then
        emit CERT "$2" missing
        return
    fi
    if command -v openssl >/dev/null 2>&1; then
        if cf_out=$(openssl x509 -noout -fingerprint -sha256 -in "$1" 2>&1 </dev/null); then
            cf_out=${cf_out#*=}
            case $cf_out in
                '' | *[!0-9A-Fa-f:]*)
                    b64v "openssl: unexpected output"
                    emit CERT "$2" error "$B"
                    ;;
                *) emit CERT "$2" x509-sha256 "$cf_out" ;;
            esac
        else
            b64v "openssl: ${cf_out%%"$NL"*}"
            emit CERT "$2" error "$B"
        fi
    elif command -v sha256sum >/dev/null 2>&1; then
        if cf_out=$(sha256sum <"$1" 2>&1) && cf_out=${cf_out%% *} &&
            case $cf_out in '' | *[!0-9a-f]*) false ;; esac; then
            emit CERT "$2" file-sha256 "$cf_out"
        else
            b64v "$cf_out"
            emit CERT "$2" error "$B"
        fi
    else
        b64v 'openssl and sha256sum: not found'
        emit CERT "$2" error "$B"
    fi
}

# gather_versions: each component's version, without ever running a binary
# that a user other than root could have placed or started. A static pod's
# version is the tag of the image its manifest names (nothing runs). Else a
# running component's binary is asked (`--version`) only when the process
# runs as root and its binary, and every directory above it in the process's
# own view of the file system (/proc/PID/root), belong to root and are
# writable by no one else; the binary run is the very file checked, held
# open meanwhile, so that a PID reused or a path replaced in between cannot
# substitute another.
gather_versions() {
    gv_done=' '
    set -f
    IFS=$NL
    for gv_arg in $IMAGES; do
        IFS=$DEFAULT_IFS
        gv_comp=${gv_arg%%:*}
        case $gv_done in *" $gv_comp "*) continue ;; esac
        manifest_image "${gv_arg#*:}" && gv_done="$gv_done$gv_comp "
    done
    IFS=$DEFAULT_IFS
    set +f
    for gv_comp in $VERSIONS; do
        case $gv_done in *" $gv_comp "*) continue ;; esac
        gv_done="$gv_done$gv_comp "
        comp_var "$gv_comp"
        eval "gv_pid=\${PID_$V-}"
        [ -n "$gv_pid" ] || continue
        run_version "$gv_comp" "$gv_pid"
    done
}

# manifest_image MANIFEST: the VERSION record of the image of MANIFEST's
# first container, when it names one; returns 1 when it does not.
manifest_image() {
    [ -f "$1" ] && [ -n "$HAVE_sed" ] || return 1
    mi_img=$(sed -n -e '/^[[:space:]]*\(- \)\{0,1\}image:[[:space:]]*[^[:space:]]/{
s/^[[:space:]]*\(- \)\{0,1\}image:[[:space:]]*//
s/[[:space:]]\{1,\}#.*$//
s/[[:space:]]*$//
s/^["'"'"']\(.*\)["'"'"']$/\1/
p
q
}' "$1" 2>/dev/null) || return 1
    [ -n "$mi_img" ] || return 1
    b64v "$mi_img"
    mi_b=$B
    b64v "$1"
    emit VERSION "$gv_comp" image "$mi_b" "$B"
}

# run_version COMPONENT PID: the VERSION record of `<binary> --version` for
# the genuine process PID, or an error saying why its binary was not run.
run_version() {
    rv_exe=/proc/$2/exe
    rv_why=
    rv_path=
    if [ -z "$HAVE_readlink" ] || [ -z "$HAVE_stat" ]; then
        rv_why='readlink and stat are needed'
    elif ! rv_path=$(readlink "$rv_exe" 2>/dev/null) || [ -z "$rv_path" ]; then
        rv_why="its binary cannot be resolved"
    elif ! { command exec 3<"$rv_exe"; } 2>/dev/null; then
        rv_why="its binary cannot be opened"
    else
        # Checked after the binary is held: the process still runs as root.
        proc_owner "$2" || PO_RUID=
        if [ "$PO_RUID:$PO_EUID:$PO_SUID:$PO_FSUID" != 0:0:0:0 ]; then
            rv_why="the process does not run as root (uid ${PO_RUID:-unknown})"
        else
            safe_binary "$2" "$rv_path" "/proc/$$/fd/3"
            rv_why=$SB_WHY
        fi
    fi
    if [ -n "$rv_why" ]; then
        exec 3<&-
        b64v "not run for its version: $rv_why"
        emit VERSION "$1" error "$B"
        return
    fi
    if [ -n "$HAVE_timeout" ]; then
        rv_out=$(timeout 10 "/proc/$$/fd/3" --version 2>&1 </dev/null 3<&-)
    else
        rv_out=$("/proc/$$/fd/3" --version 2>&1 </dev/null 3<&-)
    fi
    rv_rc=$?
    exec 3<&-
    if [ "${#rv_out}" -gt "$VERSION_CAP" ] && [ -n "$HAVE_head" ]; then
        rv_out=$(printf '%s' "$rv_out" | head -c "$VERSION_CAP")
    fi
    if [ "$rv_rc" -eq 0 ]; then
        b64v "$rv_out"
        rv_b=$B
        b64v "$rv_path"
        emit VERSION "$1" executed "$rv_b" "$B"
    else
        [ "$rv_rc" -ne 124 ] || rv_out="timed out after 10s: $rv_out"
        b64v "${rv_out:-exit status $rv_rc}"
        emit VERSION "$1" error "$B"
    fi
}

# safe_binary PID PATH HELD: sets SB_WHY to why the binary HELD (an open
# descriptor of PID's executable, whose path PID sees as PATH) may not be
# run, or to nothing when it may: HELD is a regular file of root's that no
# one else may write, PATH in PID's view is that same file, and every
# directory above it up to PID's root is root's and writable by no one else.
safe_binary() {
    SB_WHY=
    case $2 in
        *' (deleted)') SB_WHY="its binary $2 was deleted or replaced"; return ;;
        /*) ;;
        *) SB_WHY="its binary path $2 is not absolute"; return ;;
    esac
    sb_root=/proc/$1/root
    sb_path=$2
    set -- "$3" "$sb_root$2"
    sb_p=$sb_path
    while [ -n "$sb_p" ]; do
        sb_p=${sb_p%/*}
        set -- "$@" "$sb_root$sb_p/"
    done
    # One stat for all: the held binary, the path, each directory.
    if ! sb_lines=$(stat -L -c '%u:%a:%d:%i:%F' -- "$@" 2>/dev/null); then
        SB_WHY="its binary $sb_path or a directory above it cannot be examined"
        return
    fi
    sb_held=${sb_lines%%"$NL"*}
    sb_lines=${sb_lines#*"$NL"}
    sb_out=${sb_lines%%"$NL"*}
    sb_lines=${sb_lines#*"$NL"}
    case $sb_held in
        *:'regular file' | *:'regular empty file') ;;
        *) SB_WHY="its binary $sb_path is not a regular file"; return ;;
    esac
    if [ "${sb_held%:*}" != "${sb_out%:*}" ]; then
        SB_WHY="$sb_path in the process's view is not the binary it runs"
        return
    fi
    sb_why_root "$sb_held" "its binary $sb_path" || return
    shift 2
    for sb_dir do
        sb_line=${sb_lines%%"$NL"*}
        sb_lines=${sb_lines#*"$NL"}
        sb_why_root "$sb_line" "the directory ${sb_dir#"$sb_root"}" || return
    done
}

# sb_why_root STAT-LINE WHAT: sets SB_WHY and returns 1 unless the file of
# STAT-LINE (`%u:%a:...`) is root's and writable by neither group nor others.
sb_why_root() {
    sw_uid=${1%%:*}
    sw_mode=${1#*:}
    sw_mode=${sw_mode%%:*}
    if [ "$sw_uid" != 0 ]; then
        SB_WHY="$2 is owned by uid $sw_uid, not root"
        return 1
    fi
    case $sw_mode in
        *[2367] | *[2367]?)
            SB_WHY="$2 is writable by group or others (mode $sw_mode)"
            return 1
            ;;
    esac
    return 0
}

main "$@" 3<&0 </dev/null
