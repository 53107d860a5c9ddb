#!/bin/sh
# hardbench gathering script: fed on stdin to `sh -s -- ARG...` on an audited
# host, or installed there as a root-owned file (`hardbench print-script`)
# and run as `sudo -n FILE ARG...` (`become = "sudo-script:FILE"`), with the
# same arguments; its stdin is then empty but, as under `sh -s`, open until
# hardbench hangs up. Strictly read-only: it never writes, creates or changes anything on
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
# the binary of process NAME for its version, the `v:` names in the order
# given, and only until one version is known (see gather_versions). `s:PATH`
# stat PATH; `t:DIR` list every entry below DIR recursively and stat each;
# `r:PATH` read PATH (a directory: every regular file directly inside it);
# `x:PATH` send the certificates of PATH, for hardbench to fingerprint.
# Before them, the transport's own (src/transport/ssh.rs): `m:BYTES` caps
# the stream (the script stops with status 3 rather than write past it), and
# `w:stdin` says that stdin stays open until the script ends, so EOF there
# means that hardbench hung up.
#
# Stream format, version 2. Records of fields separated by one space, each
# record ending in a newline. A variable field is `.` (the empty string),
# `-` (absent), `~VALUE` (VALUE verbatim: only letters, digits and
# `/._:=,+@-`, so it holds no space or newline), `=LEN:BYTES` (exactly LEN
# bytes, whatever they are: framed by their count, so no byte of a file name,
# argv or file content can forge a record), or base64 (only argv that holds
# a newline, see emit_process). None of them costs a process to write.
#   HARDBENCH-FACTS 2                                 header, first line
#   IDENTITY <hostname|-> <machine-id|-> <user|->
#   PROBLEM <text>                                    not tied to one fact
#   PROC <pid> <name> <argv> <cwd|-> <uid> <euid> <cgroup|->
#        argv: each element followed by a newline, a newline inside one
#        written as byte 1; or base64 of /proc/PID/cmdline
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
#   CERT <path> pem <the file's PEM certificate blocks>
#   CERT <path> missing | CERT <path> error <reason>
#   END <number of records between the header and END>
#
# Cost: every program run on the host costs a fork and an exec, which is
# most of what an audit costs the host. So the script runs a fixed handful,
# whatever the number of processes, documents and paths: two `grep` and one
# `tr` for every candidate process's argv and environment, one `readlink`
# for their working directories and binaries, one `stat` for every path
# known before the documents are read and one for those they name, one
# `awk` that reads, redacts and frames every document and certificate, and
# at most one component binary for a version. Everything else (/proc
# status, identity, directory walks, encoding) is the shell's own work.

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
WATCHED=
while [ "$#" -gt 0 ]; do
    case $1 in
        m:*[!0-9]* | m:) ;;
        m:*) CAP=${1#m:} ;;
        w:stdin) watch_hangup; WATCHED=1 ;;
        *) break ;;
    esac
    shift
done
exec 3<&-

DOC_CAP=262144
VERSION_CAP=4096
PATHS_PER_DOC=200
TREE_CAP=10000
N=0
BUF=
SEEN_STAT=' '
SEEN_READ=' '
SQ_N=0
SQ_DONE=0
RQ_N=0
NL='
'
# The argv scanner sees each newline of an argv element as this byte.
SOH=$(printf '\001')

fits 18
printf 'HARDBENCH-FACTS 2\n'

# Every tool is looked up once; a missing one is one PROBLEM, and each fact
# that needed it reports "<tool>: not found" as its error. head, timeout and
# base64 are only wanted in rare cases, and their absence is said there.
for hb_tool in stat grep tr awk readlink; do
    if command -v "$hb_tool" >/dev/null 2>&1; then
        eval "HAVE_$hb_tool=1"
    else
        eval "HAVE_$hb_tool="
        field "$hb_tool: not found"
        emit PROBLEM "$B"
    fi
done
for hb_tool in head timeout base64; do
    if command -v "$hb_tool" >/dev/null 2>&1; then
        eval "HAVE_$hb_tool=1"
    else
        eval "HAVE_$hb_tool="
    fi
done

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

for hb_arg in "$@"; do
    hb_path=${hb_arg#??}
    field "$hb_path"
    case $hb_arg in
        s:?*) stat_path "$hb_path" "$B" ;;
        t:?*) list_tree "$hb_path" "$B" ;;
        r:?*) read_arg "$hb_path" "$B" ;;
        x:/*)
            stat_path "$hb_path" "$B"
            queue_read "$hb_path" "$B" c
            ;;
        [pfeiv]:*) ;;
        *)
            field "unknown argument: $hb_arg"
            emit PROBLEM "$B"
            ;;
    esac
done
queue_images

# The documents' sizes and kinds come from the first stat; the paths they
# name and the binaries a version needs are stat'ed by the second.
flush_stats
read_documents
version_candidates
flush_stats
gather_versions

fits $((5 + ${#N}))
flush_out
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
        over_cap
    fi
}

over_cap() {
    flush_out
    printf 'hardbench: output cap reached: the stream would pass %s bytes\n' "$CAP" >&2
    exit 3
}

# emit TAG FIELD...: one record. Records gather in BUF and are written a few
# KiB at a time: each printf is a write of its own.
emit() {
    em_line=$1
    shift
    for em_field do
        em_line="$em_line $em_field"
    done
    fits $((${#em_line} + 1))
    N=$((N + 1))
    BUF="$BUF$em_line$NL"
    [ "${#BUF}" -lt 8192 ] || flush_out
}

flush_out() {
    printf '%s' "$BUF"
    BUF=
}

# field VALUE: sets B to VALUE as a field: `.` when empty, `~VALUE` when it
# is made of safe bytes only, else `=LEN:VALUE`. LC_ALL=C (set before
# anything else) makes ${#VALUE} its length in bytes, and the ranges below
# ranges of bytes.
field() {
    case $1 in
        '') B=. ;;
        *[!A-Za-z0-9/._:=,+@-]*) B="=${#1}:$1" ;;
        *) B="~$1" ;;
    esac
}

problem() {
    field "$1"
    emit PROBLEM "$B"
}

# plan_name NAME[:REST]: whether the name before the first `:` is a
# process name (letters, digits, `._-`, beginning with a letter or digit);
# a PROBLEM when it is not.
plan_name() {
    pn_name=${1%%:*}
    case $pn_name in
        '' | [!A-Za-z0-9]* | *[!A-Za-z0-9._-]*)
            field "unusable plan argument: $1"
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
    if [ -n "$gi_v" ]; then
        field "$gi_v"
        gi_host=$B
    fi
    # A machine-id is 32 hexadecimal digits on one line: a longer line is
    # not one.
    gi_v=
    if [ -f /etc/machine-id ] && [ -r /etc/machine-id ]; then
        IFS= read -r gi_v </etc/machine-id
    fi
    if [ -n "$gi_v" ] && [ "${#gi_v}" -le 256 ]; then
        field "$gi_v"
        gi_mid=$B
    fi
    user_name
    if [ -n "$UN" ]; then
        field "$UN"
        gi_user=$B
    fi
    emit IDENTITY "$gi_host" "$gi_mid" "$gi_user"
}

# user_name: sets UN to the name of this script's effective user, as
# /etc/passwd gives it, else to its uid; read by the shell from /proc.
user_name() {
    UN=
    un_uid=
    {
        while IFS= read -r un_l; do
            case $un_l in
                Uid:*) set -- ${un_l#Uid:}; un_uid=${2-}; break ;;
            esac
        done <"/proc/$HB_PID/status"
    } 2>/dev/null
    case $un_uid in '' | *[!0-9]*) return 0 ;; esac
    UN=$un_uid
    {
        while IFS=: read -r un_name un_x un_u un_rest || [ -n "$un_name" ]; do
            if [ "$un_u" = "$un_uid" ] && [ -n "$un_name" ]; then
                UN=$un_name
                break
            fi
            un_name=
        done </etc/passwd
    } 2>/dev/null
}

# gather_processes: the PROC (and ENV) record of every process whose argv[0]
# names one of the plan's processes, and what the genuine ones' flags ask
# for. Three programs for all of them: a `grep -l` prefilter over every
# /proc/PID/cmdline, then one `grep -z -H` that prints each argv and
# environment element of the candidates behind its file's name, NUL-ended,
# and one `tr` that makes each element a line (a newline inside an element
# becomes SOH, so an element is always one line). The shell does the rest.
gather_processes() {
    own_pids
    [ "$NAMES" != ' ' ] || return
    if [ -z "$HAVE_grep" ] || [ -z "$HAVE_tr" ]; then
        problem "processes not scanned: grep and tr are needed"
        return
    fi
    # A cheap prefilter; every candidate is then checked exactly. grep -z
    # reads each NUL-terminated argv element as a line, so only a process
    # with an element that names a component is a candidate. A grep
    # without -z (status 2, no output) falls back to any mention of the
    # names, and to a `tr` per candidate.
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
    gp_rc=$?
    gp_z=1
    if [ "$gp_rc" -eq 2 ] && [ -z "$gp_cands" ]; then
        gp_z=
        # $gp_fixed is `-e NAME` words: names hold no space or glob character.
        gp_cands=$(grep -l -F $gp_fixed /proc/[0-9]*/cmdline 2>/dev/null)
    fi
    # The audit's own processes are no candidates: its shells, sudo and the
    # login's shell carry the plan's paths in their argv
    # (`s:/var/lib/rancher/k3s` ends with a name), so this script's
    # ancestors and its subshells (whose parent is this script) are set
    # aside, read from /proc by the shell.
    set --
    set -f
    IFS=$NL
    for gp_line in $gp_cands; do
        IFS=$DEFAULT_IFS
        gp_pid=${gp_line#/proc/}
        gp_pid=${gp_pid%/cmdline}
        case $gp_pid in '' | *[!0-9]*) continue ;; esac
        case $OWN in *" $gp_pid "*) continue ;; esac
        ppid_of "$gp_pid"
        [ "$PPID_OF" != "$HB_PID" ] || continue
        set -- "$@" "/proc/$gp_pid/cmdline" "/proc/$gp_pid/environ"
    done
    IFS=$DEFAULT_IFS
    set +f
    [ "$#" -gt 0 ] || return
    if [ -n "$gp_z" ]; then
        gp_text=$(grep -a -s -z -H -e '' -- "$@" 2>/dev/null | tr '\n\000' "$SOH"'\n')
    else
        gp_text=
        for gp_f do
            gp_t=$(tr '\n\000' "$SOH"'\n' <"$gp_f" 2>/dev/null) || continue
            set -f
            IFS=$NL
            for gp_line in $gp_t; do
                gp_text="$gp_text$gp_f:$gp_line$NL"
            done
            IFS=$DEFAULT_IFS
            set +f
        done
    fi
    P_N=0
    SC_FILE=
    SC_NAME=-
    set -f
    IFS=$NL
    for gp_line in $gp_text; do
        IFS=$DEFAULT_IFS
        gp_file=${gp_line%%:*}
        if [ "$gp_file" != "$SC_FILE" ]; then
            SC_FILE=$gp_file
            case $gp_file in
                */cmdline)
                    finish_process
                    SC_PID=${gp_file#/proc/}
                    SC_PID=${SC_PID%/cmdline}
                    SC_I=0 SC_NAME= SC_ARGV= SC_SOH= SC_ACTS= SC_PREV= SC_ENV=
                    ;;
            esac
        fi
        [ "$SC_NAME" != - ] || continue
        case $gp_file in
            */cmdline) scan_arg "${gp_line#*:}" ;;
            *)
                # An environment element with a newline names no value
                # that could be told apart: it is left out.
                case $gp_line in *"$SOH"*) continue ;; esac
                SC_ENV="$SC_ENV${gp_line#*:}$NL"
                ;;
        esac
    done
    IFS=$DEFAULT_IFS
    set +f
    finish_process

    # Who runs each one (read from /proc by the shell); then one readlink
    # for every working directory, every genuine binary, and the links
    # next to each file read through a process's root.
    set --
    gp_i=0
    while [ "$gp_i" -lt "$P_N" ]; do
        gp_i=$((gp_i + 1))
        eval "gp_pid=\$P_${gp_i}_pid gp_name=\$P_${gp_i}_name"
        # A process whose status cannot be read any more has exited.
        if ! proc_owner "$gp_pid"; then
            eval "P_${gp_i}_gone=1"
            continue
        fi
        gp_gen=
        proc_genuine "$gp_name" && gp_gen=1
        eval "P_${gp_i}_gone= P_${gp_i}_gen=\$gp_gen P_${gp_i}_ruid=\$PO_RUID P_${gp_i}_euid=\$PO_EUID P_${gp_i}_cg=\$PO_CG"
        set -- "$@" "/proc/$gp_pid/cwd"
        [ -n "$gp_gen" ] || continue
        set -- "$@" "/proc/$gp_pid/exe"
        eval "gp_acts=\$P_${gp_i}_acts"
        sibling_links "$gp_pid" "$gp_acts"
        set -- "$@" $SIBLINGS
    done
    read_links "$@"
    gp_i=0
    gp_k=0
    while [ "$gp_i" -lt "$P_N" ]; do
        gp_i=$((gp_i + 1))
        eval "gp_gone=\$P_${gp_i}_gone gp_gen=\$P_${gp_i}_gen"
        [ -z "$gp_gone" ] || continue
        gp_k=$((gp_k + 1))
        eval "gp_cwd=\$LINK_$gp_k"
        if [ -n "$gp_gen" ]; then
            gp_k=$((gp_k + 1))
            eval "P_${gp_i}_exe=\$LINK_$gp_k"
        fi
        emit_process "$gp_i" "$gp_cwd"
    done
}

# finish_process: keeps the process just scanned when its name is one of
# the plan's, as P_<n>_* variables.
finish_process() {
    case $SC_NAME in '' | -) return ;; esac
    P_N=$((P_N + 1))
    eval "P_${P_N}_pid=\$SC_PID P_${P_N}_name=\$SC_NAME P_${P_N}_argv=\$SC_ARGV P_${P_N}_soh=\$SC_SOH P_${P_N}_acts=\$SC_ACTS P_${P_N}_env=\$SC_ENV"
    SC_NAME=-
}

# scan_arg ELEMENT: one argv element of the process being scanned. The
# first decides whether it is a candidate: the basename of argv[0] is one
# of the plan's names. A process title rewritten in place (k3s and rke2
# write "k3s server" over their argv area as one string): its name is the
# first word. After it, each path-like flag value adds a line
# `<action> <path>` to SC_ACTS: s stat, or the action the plan's flag table
# gives: r read, d read the directory's config files, x fingerprint, p read
# the file as the process sees it, through its root (kube-proxy runs in a
# container: kubeadm mounts its --config from a ConfigMap there, not on the
# host); upper case is relative to the process's cwd. A value with SOH in
# it (a newline, or SOH itself) names no path it could be told from: it is
# not followed.
scan_arg() {
    if [ "$SC_I" -eq 0 ]; then
        SC_I=1
        sa_a0=${1##*/}
        sa_a0=${sa_a0%% *}
        case $sa_a0 in '' | *"$SOH"*) SC_NAME=-; return ;; esac
        case $NAMES in
            *" $sa_a0 "*) SC_NAME=$sa_a0 ;;
            *) SC_NAME=-; return ;;
        esac
        SC_ARGV="$1$NL"
        case $1 in *"$SOH"*) SC_SOH=1 ;; esac
        return
    fi
    SC_ARGV="$SC_ARGV$1$NL"
    case $1 in *"$SOH"*) SC_SOH=1 ;; esac
    case $1 in
        --*=*) sa_flag=${1%%=*}; sa_val=${1#*=}; sa_eq=1; SC_PREV= ;;
        --*) SC_PREV=$1; return ;;
        *)
            [ -n "$SC_PREV" ] || return
            sa_flag=$SC_PREV; sa_val=$1; sa_eq=; SC_PREV=
            ;;
    esac
    [ -n "$sa_val" ] || return
    case $sa_val in *"$SOH"*) return ;; esac
    flag_action "$SC_NAME" "$sa_flag"
    case $sa_val in
        unix:///*) SC_ACTS="${SC_ACTS}s ${sa_val#unix://}$NL" ;;
        /*) SC_ACTS="$SC_ACTS$ACT $sa_val$NL" ;;
        *)
            sa_rel=
            if [ "$ACT" != s ]; then
                sa_rel=1
            elif [ -n "$sa_eq" ]; then
                case $sa_val in
                    *://*) ;;
                    ./* | ../* | *.yaml | *.yml | *.json | *.conf | *.crt | *.key | *.pem | *.csv | *.kubeconfig) sa_rel=1 ;;
                esac
            fi
            if [ -n "$sa_rel" ]; then
                case $ACT in
                    s) ACT=S ;;
                    r) ACT=R ;;
                    d) ACT=D ;;
                    x) ACT=X ;;
                    p) ACT=P ;;
                esac
                SC_ACTS="$SC_ACTS$ACT $sa_val$NL"
            fi
            ;;
    esac
}

# flag_action NAME FLAG: sets ACT to what the plan's flag table says to do
# with the file that process NAME's FLAG (or environment variable) names,
# s (stat) when it says nothing.
flag_action() {
    ACT=s
    # The table is tested once per action letter: each test is linear,
    # where taking the match apart would be quadratic in dash.
    case $FLAGS in
        *"$NL$1:$2:"?"$NL"*)
            for ACT in r d p x; do
                case $FLAGS in *"$NL$1:$2:$ACT$NL"*) return ;; esac
            done
            ACT=s
            ;;
    esac
}

# sibling_links PID ACTIONS: sets SIBLINGS to the symbolic links beside each
# absolute file to be read through PID's root (a ConfigMap volume's
# `config.conf -> ..data/config.conf` and `..data -> ..<timestamp>` sit in
# one directory), so that the one readlink of gather_processes has read
# them before root_resolve needs them. Only names without a space, a glob
# character or a newline (they are word-split into the readlink call).
sibling_links() {
    SIBLINGS=
    set -f
    IFS=$NL
    for sl_line in $2; do
        IFS=$DEFAULT_IFS
        case $sl_line in
            'p /'*) ;;
            *) continue ;;
        esac
        sl_dir=/proc/$1/root${sl_line#p }
        sl_dir=${sl_dir%/*}
        case $sl_dir in *[' *?[\']*) continue ;; esac
        set +f
        for sl_f in "$sl_dir"/* "$sl_dir"/.[!.]* "$sl_dir"/..?*; do
            [ -L "$sl_f" ] || continue
            case $sl_f in *[' *?[\']*) continue ;; esac
            SIBLINGS="$SIBLINGS $sl_f"
        done
        set -f
    done
    IFS=$DEFAULT_IFS
    set +f
}

# read_links PATH...: sets LINK_1... to each symbolic link's target (empty
# when it cannot be read), and LINKS_N; remembered for link_target. One
# readlink for all; one per path where readlink takes one only (busybox),
# or where one of them fails (the lines would not say which).
read_links() {
    LINKS_N=$#
    rl_k=0
    for rl_p do
        rl_k=$((rl_k + 1))
        eval "LINK_$rl_k= LINKP_$rl_k=\$rl_p"
    done
    [ "$#" -gt 0 ] && [ -n "$HAVE_readlink" ] || return 0
    if rl_out=$(readlink -- "$@" 2>/dev/null); then
        rl_k=0
        set -f
        IFS=$NL
        for rl_line in $rl_out; do
            rl_k=$((rl_k + 1))
        done
        if [ "$rl_k" -eq "$#" ]; then
            rl_k=0
            for rl_line in $rl_out; do
                rl_k=$((rl_k + 1))
                eval "LINK_$rl_k=\$rl_line"
            done
            IFS=$DEFAULT_IFS
            set +f
            return 0
        fi
        IFS=$DEFAULT_IFS
        set +f
    fi
    rl_k=0
    for rl_p do
        rl_k=$((rl_k + 1))
        rl_v=$(readlink -- "$rl_p" 2>/dev/null && echo x) || continue
        eval "LINK_$rl_k=\${rl_v%?x}"
    done
}

# link_target PATH: sets LT to PATH's target if read_links read it; returns
# 1 when it did not.
link_target() {
    lt_k=0
    while [ "$lt_k" -lt "${LINKS_N:-0}" ]; do
        lt_k=$((lt_k + 1))
        eval "lt_p=\$LINKP_$lt_k"
        if [ "$lt_p" = "$1" ]; then
            eval "LT=\$LINK_$lt_k"
            [ -n "$LT" ]
            return
        fi
    done
    return 1
}

# emit_process INDEX CWD: the PROC record of process INDEX; for a genuine
# one, its ENV records and the actions its flags and variables ask for.
emit_process() {
    eval "ep_pid=\$P_${1}_pid ep_name=\$P_${1}_name ep_argv=\$P_${1}_argv ep_soh=\$P_${1}_soh"
    eval "ep_ruid=\$P_${1}_ruid ep_euid=\$P_${1}_euid ep_cg=\$P_${1}_cg ep_gen=\$P_${1}_gen"
    # An argv with a newline in an element (SOH here) is sent as it is in
    # /proc, in base64, so that a real SOH is not taken for a newline.
    ep_a=
    if [ -n "$ep_soh" ] && [ -n "$HAVE_base64" ]; then
        ep_a=$(base64 <"/proc/$ep_pid/cmdline" 2>/dev/null | tr -d '\n')
    fi
    if [ -z "$ep_a" ]; then
        field "$ep_argv"
        ep_a=$B
    fi
    ep_c=-
    if [ -n "$2" ]; then
        field "$2"
        ep_c=$B
    fi
    ep_g=-
    if [ -n "$ep_cg" ]; then
        field "$ep_cg"
        ep_g=$B
    fi
    emit PROC "$ep_pid" "$ep_name" "$ep_a" "$ep_c" "$ep_ruid" "$ep_euid" "$ep_g"
    # Only the real component is followed: a local user's process that
    # merely carries its name must not make this script (root) read the
    # files its flags name, nor have its binary run for a version.
    [ -n "$ep_gen" ] || return
    comp_var "$ep_name"
    eval "ep_first=\${PID_$V-}"
    if [ -z "$ep_first" ] || [ "$ep_pid" -lt "$ep_first" ]; then
        eval "PID_$V=\$ep_pid EXE_$V=\$P_${1}_exe"
    fi
    SP_PID=$ep_pid
    SP_CWD=$2
    case $EPFX in
        *"$NL$ep_name:"*)
            ep_pfx=${EPFX#*"$NL$ep_name:"}
            ep_pfx=${ep_pfx%%"$NL"*}
            if [ -r "/proc/$ep_pid/environ" ]; then
                eval "ep_env=\$P_${1}_env"
                scan_env "$ep_pfx" "$ep_name" "$ep_env"
            else
                problem "$ep_name $ep_pid: environment not read: Permission denied"
            fi
            ;;
    esac
    eval "process_actions \"\$P_${1}_acts\""
}

# scan_env PREFIX NAME ELEMENTS: the ENV record of each variable with the
# plan's PREFIX for process NAME, never one whose name says it holds a
# secret; a variable that names a path is followed like a flag.
scan_env() {
    set -f
    IFS=$NL
    for se_a in $3; do
        IFS=$DEFAULT_IFS
        case $se_a in
            "$1"*=*) ;;
            *) continue ;;
        esac
        se_k=${se_a%%=*}
        se_v=${se_a#*=}
        case $se_k in
            *[!A-Z0-9_]* | *TOKEN* | *PASSWORD* | *PASSWD* | *SECRET* | *CREDENTIAL*) continue ;;
        esac
        field "$se_k"
        se_kb=$B
        field "$se_v"
        emit ENV "$SP_PID" "$se_kb" "$B"
        case $se_v in
            /*)
                flag_action "$2" "$se_k"
                process_action "$ACT $se_v"
                ;;
        esac
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

# process_action LINE: one `<action> <path>` line of scan_arg or scan_env.
process_action() {
    pa_act=${1%% *}
    pa_p=${1#* }
    case $pa_act in
        p | P)
            if [ "$pa_act" = P ]; then
                [ -n "$SP_CWD" ] || return
                # As kube.rs resolves it: leading `./` dropped.
                while :; do
                    case $pa_p in ./*) pa_p=${pa_p#./} ;; *) break ;; esac
                done
                case $SP_CWD in
                    */) pa_p=$SP_CWD$pa_p ;;
                    *) pa_p=$SP_CWD/$pa_p ;;
                esac
            fi
            root_doc "$SP_PID" "$pa_p"
            return
            ;;
        S | R | D | X)
            [ -n "$SP_CWD" ] || return
            case $SP_CWD in
                */) pa_p=$SP_CWD$pa_p ;;
                *) pa_p=$SP_CWD/$pa_p ;;
            esac
            ;;
    esac
    field "$pa_p"
    pa_b=$B
    stat_path "$pa_p" "$pa_b"
    case $pa_act in
        r | R) queue_read "$pa_p" "$pa_b" d ;;
        d | D) read_dir "$pa_p" kubelet-config-dir ;;
        x | X) queue_read "$pa_p" "$pa_b" c ;;
    esac
}


# stat_probe PATH: sets ST (present, missing or error), REASON, and for a
# present path K (f, d, l, o), MODE, SUID, SGID, SIZE, UNAME, GNAME. Plain
# stat (lstat semantics), so a symlink is reported as a symlink.
STAT_FORMAT='%a:%u:%g:%s:%U:%G:%F'
stat_probe() {
    if [ -z "$HAVE_stat" ]; then
        ST=error
        REASON='stat: not found'
        return
    fi
    if ! so_out=$(stat -c "$STAT_FORMAT" -- "$1" 2>&1 </dev/null); then
        case $so_out in
            *'No such file or directory'* | *'Not a directory'*) ST=missing ;;
            *) ST=error; REASON=$so_out ;;
        esac
        return
    fi
    stat_fields "$so_out"
}

# stat_fields LINE: one line of `stat -c "$STAT_FORMAT"` into ST, K, MODE,
# SUID, SGID, SIZE, UNAME, GNAME (or ST=error).
stat_fields() {
    so_out=$1
    MODE=${so_out%%:*}; so_out=${so_out#*:}
    SUID=${so_out%%:*}; so_out=${so_out#*:}
    SGID=${so_out%%:*}; so_out=${so_out#*:}
    SIZE=${so_out%%:*}; so_out=${so_out#*:}
    UNAME=${so_out%%:*}; so_out=${so_out#*:}
    GNAME=${so_out%%:*}; so_out=${so_out#*:}
    case $so_out in
        'regular file' | 'regular empty file') K=f ;;
        directory) K=d ;;
        'symbolic link') K=l ;;
        *) K=o ;;
    esac
    case $MODE$SUID$SGID$SIZE in
        '' | *[!0-9]*)
            ST=error
            REASON="unexpected stat output: $MODE:$SUID:$SGID:$SIZE"
            return
            ;;
    esac
    ST=present
}

# name_field ID NAME CACHE: sets B to NAME as a field, or `-` when the host
# has no name for ID; cached per id, since a host has few owners.
name_field() {
    eval "B=\${$3_$1-}"
    [ -z "$B" ] || return 0
    if [ "$2" = UNKNOWN ]; then
        B=-
    else
        field "$2"
    fi
    eval "$3_$1=\$B"
}

# stat_path PATH FIELD: one STAT record per distinct path, queued for
# flush_stats. Only `~` fields are told apart from those seen before: the
# others may hold any byte. (Membership only: taking a match apart again
# with ${SEEN_STAT#*...} costs dash time quadratic in the list's length.)
stat_path() {
    case $2 in
        '~'*)
            case $SEEN_STAT in *" $2 "*) return ;; esac
            SEEN_STAT="$SEEN_STAT$2 "
            ;;
    esac
    # A path plainly absent is answered now: most of a plan's paths belong
    # to platforms the host does not run.
    if [ -n "$HAVE_stat" ] && [ ! -e "$1" ] && [ ! -L "$1" ] && absent_missing "$1"; then
        emit STAT "$2" missing
        return
    fi
    stat_queue "$1" "$2"
}

# stat_queue PATH FIELD: queues PATH for flush_stats, which writes its STAT
# record named FIELD, or, when FIELD is `-`, keeps what it found for
# stat_found. Every variable of an entry is unset once it is answered:
# dash looks variables up in chains of a small hash table, so that each
# one left behind slows every later lookup.
stat_queue() {
    SQ_N=$((SQ_N + 1))
    eval "SQP_$SQ_N=\$1 SQB_$SQ_N=\$2"
    SI=$SQ_N
}

# stat_found INDEX: sets ST, K, SIZE and REASON to what flush_stats found
# for queue entry INDEX.
stat_found() {
    eval "ST=\$SQST_$1 K=\${SQK_$1-} SIZE=\${SQS_$1-} REASON=\${SQR_$1-}"
}

# absent_missing PATH: for a PATH that neither `test -e` nor `test -L`
# finds, whether stat would say it is missing (no such file, or not a
# directory), told from its nearest existing ancestor without a process:
# a searchable directory or a non-directory means missing. Anything else
# (not searchable, a relative path) returns 1: ask stat for the reason.
# The absent path just below that ancestor is remembered (AM_LAST): the
# plan's paths come sorted, and a platform's many paths under one absent
# directory (/var/lib/rancher/rke2/...) are then answered at once.
AM_LAST=' '
absent_missing() {
    case $1 in
        "$AM_LAST"/*) return 0 ;;
        /*) ;;
        *) return 1 ;;
    esac
    am_p=$1
    while :; do
        am_below=$am_p
        am_p=${am_p%/*}
        [ -n "$am_p" ] || am_p=/
        if [ -e "$am_p" ] || [ -L "$am_p" ]; then
            if [ ! -d "$am_p" ] || [ -x "$am_p" ]; then
                AM_LAST=$am_below
                return 0
            fi
            return 1
        fi
        [ "$am_p" != / ] || return 1
    done
}

# flush_stats: the queued paths not yet examined. Absent paths are answered
# by absent_missing; every present one by a single `stat` invocation, one
# line per path in order. Should that output not line up (a path vanished,
# a name with a newline), each present path is asked on its own.
flush_stats() {
    fs_i=$SQ_DONE
    fs_idx=
    fs_list=
    while [ "$fs_i" -lt "$SQ_N" ]; do
        fs_i=$((fs_i + 1))
        eval "fs_p=\$SQP_$fs_i"
        if [ -n "$HAVE_stat" ] && { [ -e "$fs_p" ] || [ -L "$fs_p" ]; }; then
            fs_idx="$fs_idx $fs_i"
            fs_list="$fs_list \"\$SQP_$fs_i\""
        else
            if [ -n "$HAVE_stat" ] && absent_missing "$fs_p"; then
                ST=missing
            else
                stat_probe "$fs_p"
            fi
            stat_keep "$fs_i"
        fi
    done
    SQ_DONE=$SQ_N
    [ -n "$fs_idx" ] || return 0
    eval "set -- $fs_list"
    fs_ok=
    if fs_out=$(stat -c "$STAT_FORMAT" -- "$@" 2>/dev/null </dev/null); then
        fs_ok=1
        fs_lines=0
        set -f
        IFS=$NL
        for fs_line in $fs_out; do
            fs_lines=$((fs_lines + 1))
            case $fs_line in [0-7]*:[0-9]*:[0-9]*:[0-9]*:*:*:?*) ;; *) fs_ok= ;; esac
        done
        IFS=$DEFAULT_IFS
        set +f
        [ "$fs_lines" -eq "$#" ] || fs_ok=
    fi
    set -- $fs_idx
    if [ -z "$fs_ok" ]; then
        for fs_i do
            eval "stat_probe \"\$SQP_$fs_i\""
            stat_keep "$fs_i"
        done
        return 0
    fi
    set -f
    IFS=$NL
    for fs_line in $fs_out; do
        IFS=$DEFAULT_IFS
        set +f
        stat_fields "$fs_line"
        stat_keep "$1"
        shift
    done
    IFS=$DEFAULT_IFS
    set +f
}

# stat_keep INDEX: keeps what stat_probe or stat_fields set for queue entry
# INDEX, and writes its STAT record when it is one.
stat_keep() {
    eval "sk_b=\$SQB_$1"
    unset "SQP_$1" "SQB_$1"
    if [ "$sk_b" = - ]; then
        eval "SQST_$1=\$ST SQK_$1=\${K-} SQS_$1=\${SIZE-} SQR_$1=\${REASON-} SQU_$1=\${SUID-} SQM_$1=\${MODE-}"
        return 0
    fi
    case $ST in
        missing) emit STAT "$sk_b" missing ;;
        error)
            field "$REASON"
            emit STAT "$sk_b" error "$B"
            ;;
        present)
            name_field "$SUID" "$UNAME" UN
            sk_u=$B
            name_field "$SGID" "$GNAME" GN
            emit STAT "$sk_b" present "$K" "$MODE" "$SUID" "$SGID" "$sk_u" "$B"
            ;;
    esac
}

# list_tree DIR FIELD: the LIST record of DIR and an ENTRY (and a STAT) for
# every entry below it, walked by the shell's own globs: breadth first,
# following DIR itself when it is a symbolic link but no link below it
# (find -H), at most TREE_CAP entries.
list_tree() {
    lt_b=$2
    stat_path "$1" "$lt_b"
    if [ ! -e "$1" ] && [ ! -L "$1" ]; then
        if absent_missing "$1"; then
            emit LIST "$lt_b" missing
        else
            field "$1: not accessible"
            emit LIST "$lt_b" error "$B"
        fi
        return
    fi
    if [ -d "$1" ] && { [ ! -r "$1" ] || [ ! -x "$1" ]; }; then
        field "$1: Permission denied"
        emit LIST "$lt_b" error "$B"
        return
    fi
    emit LIST "$lt_b" entries
    [ -d "$1" ] || return 0
    lt_n=1
    LTQ_1=$1
    lt_i=0
    lt_count=0
    while [ "$lt_i" -lt "$lt_n" ]; do
        lt_i=$((lt_i + 1))
        eval "lt_d=\$LTQ_$lt_i"
        for lt_f in "$lt_d"/* "$lt_d"/.[!.]* "$lt_d"/..?*; do
            [ -e "$lt_f" ] || [ -L "$lt_f" ] || continue
            lt_count=$((lt_count + 1))
            if [ "$lt_count" -gt "$TREE_CAP" ]; then
                problem "$1: listed only the first $TREE_CAP entries"
                return
            fi
            field "$lt_f"
            emit ENTRY "$lt_b" "$B"
            stat_path "$lt_f" "$B"
            if [ -d "$lt_f" ] && [ ! -L "$lt_f" ]; then
                lt_n=$((lt_n + 1))
                eval "LTQ_$lt_n=\$lt_f"
            fi
        done
    done
}

read_arg() {
    stat_path "$1" "$2"
    if [ -d "$1" ]; then
        read_dir "$1" all
    else
        queue_read "$1" "$2" d
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
        field "$rdd_f"
        stat_path "$rdd_f" "$B"
        queue_read "$rdd_f" "$B" d
    done
}

# seen_read KIND FIELD: whether KIND (d, c) of FIELD was queued or answered
# before; marks it so. Only `~` fields are told apart.
seen_read() {
    case $2 in
        '~'*)
            case $SEEN_READ in *" $1$2 "*) return 0 ;; esac
            SEEN_READ="$SEEN_READ$1$2 "
            ;;
    esac
    return 1
}

# queue_read PATH FIELD KIND [NAME]: PATH, named FIELD in the stream, is
# read by read_documents as KIND: d a document, c certificates, i the image
# of process NAME's static pod. Its size and kind come from the first
# flush_stats, from an entry of its own (a STAT record of PATH, if any, is
# the caller's).
queue_read() {
    case $3 in d | c) ! seen_read "$3" "$2" || return ;; esac
    if [ ! -e "$1" ] && [ ! -L "$1" ] && absent_missing "$1"; then
        case $3 in
            d) emit DOC "$2" missing ;;
            c) emit CERT "$2" missing ;;
        esac
        return
    fi
    stat_queue "$1" -
    RQ_N=$((RQ_N + 1))
    eval "RQP_$RQ_N=\$1 RQB_$RQ_N=\$2 RQK_$RQ_N=\$3 RQX_$RQ_N=\${4-} RQS_$RQ_N=\$SI"
}

# queue_images: the static pod manifests whose image gives a version.
queue_images() {
    set -f
    IFS=$NL
    for qi_arg in $IMAGES; do
        IFS=$DEFAULT_IFS
        qi_m=${qi_arg#*:}
        [ -f "$qi_m" ] || continue
        field "$qi_m"
        queue_read "$qi_m" "$B" i "${qi_arg%%:*}"
    done
    IFS=$DEFAULT_IFS
    set +f
}

# root_doc PID PATH: a document PATH as process PID sees it: the DOC
# record is named /proc/PID/root/PATH, and the file read is PATH resolved
# inside the process's root (root_resolve), so that no symbolic link in the
# process's tree reaches a file of the host.
root_doc() {
    rt_root=/proc/$1/root
    field "$rt_root$2"
    rt_b=$B
    case $SEEN_READ in *" d$rt_b "*) return ;; esac
    stat_path "$rt_root$2" "$rt_b"
    if secret_name "${2##*/}"; then
        seen_read d "$rt_b"
        doc_error "$rt_b" 'not read: may hold a private key or token'
    elif [ ! -d "$rt_root/" ]; then
        seen_read d "$rt_b"
        doc_error "$rt_b" "not read: the process's root $rt_root is not accessible"
    elif root_resolve "$rt_root" "$2"; then
        queue_read "$rt_root$RP" "$rt_b" d
    else
        seen_read d "$rt_b"
        doc_error "$rt_b" "not read: $REASON"
    fi
}

# root_resolve ROOT PATH: sets RP to PATH with every symbolic link resolved
# the way the kernel resolves it for a process whose root is ROOT: an
# absolute target starts again at ROOT, `..` stops at ROOT. Each link's
# target is the one read_links read (sibling_links named the usual ones),
# else one readlink; at most 40 links, as the kernel allows. Returns 1 with
# REASON when a link cannot be read.
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
            if link_target "$1$rr_done/$rr_c"; then
                rr_t=$LT
            elif [ -z "$HAVE_readlink" ]; then
                REASON='readlink: not found'
                return 1
            else
                rr_t=$(readlink "$1$rr_done/$rr_c" 2>&1) || {
                    REASON=$rr_t
                    return 1
                }
            fi
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
    field "$2"
    emit DOC "$1" error "$B"
}

cert_error() {
    field "$2"
    emit CERT "$1" error "$B"
}

# read_documents: every queued document, certificate file and manifest,
# checked here (missing, refused by name, not a regular file, unreadable),
# then read by one awk (READER) for all, which redacts, frames and writes
# their records itself. A file the first stat did not find to be a regular
# file of at most DOC_CAP bytes (a bigger one, or a symbolic link) is read
# through `head -c` by an awk of its own, so that no file is read whole.
read_documents() {
    set --
    rd_j=0
    while [ "$rd_j" -lt "$RQ_N" ]; do
        rd_j=$((rd_j + 1))
        eval "rd_p=\$RQP_$rd_j rd_b=\$RQB_$rd_j rd_k=\$RQK_$rd_j rd_x=\$RQX_$rd_j"
        eval "stat_found \"\$RQS_$rd_j\""
        read_check || continue
        if [ "$ST" = present ] && [ "$K" = f ] && [ "$SIZE" -le "$DOC_CAP" ]; then
            set -- "$@" "$rd_k" "$rd_b" "$rd_p" "$rd_x"
        elif [ -n "$HAVE_head" ]; then
            run_reader "$rd_p" "$rd_k" "$rd_b" /proc/self/fd/0 "$rd_x"
        else
            case $rd_k in
                d) doc_error "$rd_b" 'head: not found' ;;
                c) cert_error "$rd_b" 'head: not found' ;;
            esac
        fi
    done
    [ "$#" -eq 0 ] || run_reader - "$@"
}

# read_check: whether the queued file rd_p (kind rd_k) can be read; if not,
# its record says why (none for a manifest without an image).
read_check() {
    case $rd_k in
        i)
            [ -f "$rd_p" ] && [ -r "$rd_p" ] && [ -n "$HAVE_awk" ]
            return
            ;;
        c)
            if [ ! -e "$rd_p" ]; then
                emit CERT "$rd_b" missing
            elif [ ! -f "$rd_p" ]; then
                cert_error "$rd_b" 'not read: not a regular file'
            elif [ ! -r "$rd_p" ]; then
                cert_error "$rd_b" "$rd_p: Permission denied"
            elif [ -z "$HAVE_awk" ]; then
                cert_error "$rd_b" 'awk: not found'
            else
                return 0
            fi
            return 1
            ;;
    esac
    if [ ! -e "$rd_p" ]; then
        if [ "$ST" = error ] && [ -n "$HAVE_stat" ]; then
            doc_error "$rd_b" "$REASON"
        else
            emit DOC "$rd_b" missing
        fi
    # Private keys, tokens and kubeconfigs are only ever stat'ed. The
    # kubelet's rotated client and serving files hold certificate and key in
    # one .pem: refused by name, whatever their content looks like.
    elif secret_name "${rd_p##*/}"; then
        doc_error "$rd_b" 'not read: may hold a private key or token'
    elif [ ! -f "$rd_p" ]; then
        doc_error "$rd_b" 'not read: not a regular file'
    elif [ ! -r "$rd_p" ]; then
        doc_error "$rd_b" "$rd_p: Permission denied"
    elif [ -z "$HAVE_awk" ]; then
        doc_error "$rd_b" 'awk: not found'
    else
        return 0
    fi
    return 1
}

# run_reader INPUT KIND FIELD PATH NAME...: READER over the quadruples
# after INPUT; INPUT `-` means none, else INPUT's first DOC_CAP + 1 bytes
# are its stdin (and PATH /proc/self/fd/0: mawk fails on /dev/stdin, busybox awk on -). Its records go straight into the
# stream; its summary comes back on its stderr, for reader_summary.
run_reader() {
    rr_in=$1
    shift
    flush_out
    rr_left=-1
    [ "$CAP" -eq 0 ] || rr_left=$((CAP - OUT))
    if [ "$rr_in" = - ]; then
        { rr_sum=$(awk -v cap="$DOC_CAP" -v left="$rr_left" -v maxpaths="$PATHS_PER_DOC" "$READER" "$@" 2>&1 >&4 4>&-); } 4>&1
    else
        { rr_sum=$(head -c "$((DOC_CAP + 1))" <"$rr_in" 2>/dev/null |
            awk -v cap="$DOC_CAP" -v left="$rr_left" -v maxpaths="$PATHS_PER_DOC" "$READER" "$@" 2>&1 >&4 4>&-); } 4>&1
    fi
    reader_summary "$rr_sum"
}

# reader_summary TEXT: READER's summary: `R n` records and `B n` bytes it
# wrote, `P path` a path a document names (stat'ed later), `I name` a
# process whose image gave its version, `X` it stopped at the cap.
reader_summary() {
    set -f
    IFS=$NL
    for rs_l in $1; do
        IFS=$DEFAULT_IFS
        case $rs_l in
            'P /'*)
                field "${rs_l#P }"
                stat_path "${rs_l#P }" "$B"
                ;;
            'I '*) IMAGED="${IMAGED-} ${rs_l#I } " ;;
            'R '[0-9]*) N=$((N + ${rs_l#R })) ;;
            'B '[0-9]*) OUT=$((OUT + ${rs_l#B })) ;;
            X) over_cap ;;
            *) problem "awk: $rs_l" ;;
        esac
    done
    IFS=$DEFAULT_IFS
    set +f
}


# READER: the awk program of read_documents. Its arguments are quadruples
# KIND FIELD PATH NAME: d a document (DOC record: refused when it holds a
# private key, else redacted, with the absolute paths it names reported for
# a STAT), c a certificate file (CERT record of its PEM certificate blocks,
# which hardbench fingerprints; refused when it holds a private key), i a
# static pod manifest (VERSION record of process NAME's image, the first
# `image:` line). A file is read as one record (RS is a byte no text file
# holds), so its last line's newline, or its absence, is kept; at most cap
# bytes are kept (truncated). Records are written only while the stream
# stays within `left` bytes (-1: no cap). The summary goes to stderr, for
# reader_summary.
#
# Redaction: the same rules as before for each secret key (see KEYS): a
# JSON or quoted value on any line; a YAML `key:` at the start of a line
# (also `- key:`); a flow mapping `{key: v, ...}`; and then every following
# line indented deeper than the key, which is the rest of a block scalar, a
# multi-line plain or quoted scalar, or a nested value. Then shell-style
# assignments and command-line flags (see assignments and flags below).
READER='
BEGIN {
    RS = "\001"
    q = sprintf("%c", 39)
    dq = "\""
    sp = "[[:space:]]"
    # k3s and RKE2 keep their join tokens, datastore URL (with its
    # password) and S3 credentials under these keys in config.yaml.
    nk = split("secret token password client-key-data client-certificate-data agent-token datastore-endpoint etcd-s3-access-key etcd-s3-secret-key", keys, " ")
    for (i = 1; i <= nk; i++) {
        k = keys[i]
        jstr[i] = dq k dq sp "*:" sp "*" dq "[^" dq "\\\\]*(\\\\.[^" dq "\\\\]*)*" dq
        jcol[i] = dq k dq sp "*:" sp "*[{[][^]}]*[]}]"
        jbare[i] = dq k dq sp "*:" sp "*[^]" dq "[:space:]{[,}][^],}]*"
        ysq[i] = "^ *(- *)?" q k q sp "*:"
        yplain[i] = "^ *(- *)?" k sp "*:(" sp ".*)?$"
        yflow[i] = "[{,]" sp "*" k sp "*:" sp "*[^],}]*"
        bplain[i] = "^ *[" dq q "]?" k "[" dq q "]?" sp "*:"
        bdash[i] = "^ *- *[" dq q "]?" k "[" dq q "]?" sp "*:"
    }
    pkey = "^" sp "*(- )?[" dq q "]?[A-Za-z0-9_.-]*[" dq q "]?" sp "*:" sp "*[" dq q "]?/"
    pflag = "^" sp "*-" sp "*[" dq q "]?--[A-Za-z0-9-]*=/"
    pitem = "^" sp "*-" sp "*[" dq q "]?/"
    pchars = "^/[^]" dq q "[:space:],}]*"
    for (a = 1; a + 3 < ARGC; a += 4) {
        if (!item(ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3])) break
    }
    printf "R %d\nB %d\n", records, written > "/dev/stderr"
    exit
}

function field(s) {
    if (s == "") return "."
    if (s ~ /^[A-Za-z0-9\/._:=,+@-]+$/) return "~" s
    return "=" length(s) ":" s
}

# room(N): whether a record of N bytes (its newline included) still fits
# within `left`; counted when it does, and X said when it does not, which
# stops everything.
function room(n) {
    if (left >= 0 && written + n > left) {
        printf "X\n" > "/dev/stderr"
        return 0
    }
    written += n
    records++
    return 1
}

function out(record) {
    if (!room(length(record) + 1)) return 0
    printf "%s\n", record
    return 1
}

function slurp(path,    r, rec, n, text) {
    text = ""
    n = 0
    while ((r = (getline rec < path)) > 0) {
        text = (n++ ? text "\001" : "") rec
    }
    close(path)
    if (r < 0) { failed = 1; return "" }
    failed = 0
    return text
}

function item(kind, f, path, name,    text, t, n, nl, lines, i, l, kept, total, npaths, m, v, c) {
    text = slurp(path)
    if (kind == "i") {
        if (failed || imaged[name]) return 1
        n = split(text, lines, "\n")
        for (i = 1; i <= n; i++) {
            if (lines[i] !~ "^" sp "*(- )?image:" sp "*[^[:space:]]") continue
            v = lines[i]
            sub("^" sp "*(- )?image:" sp "*", "", v)
            sub(sp "+#.*$", "", v)
            sub(sp "*$", "", v)
            if (length(v) >= 2 && v ~ "^[" dq q "].*[" dq q "]$") v = substr(v, 2, length(v) - 2)
            if (v == "") return 1
            imaged[name] = 1
            printf "I %s\n", name > "/dev/stderr"
            return out("VERSION " name " image " field(v) " " f)
        }
        return 1
    }
    if (failed) {
        return out((kind == "c" ? "CERT " : "DOC ") f " error " field(path ": cannot be read"))
    }
    t = 0
    if (length(text) > cap) { text = substr(text, 1, cap); t = 1 }
    if (index(text, "PRIVATE KEY-----")) {
        return out((kind == "c" ? "CERT " : "DOC ") f " error " field("not read: holds a private key"))
    }
    n = split(text, lines, "\n")
    # A final newline leaves an empty last piece, which is not a line.
    nl = (n > 0 && lines[n] == "") ? 1 : 0
    if (nl) n--
    if (kind == "c") {
        kept = 0; total = 0; c = 0
        for (i = 1; i <= n; i++) {
            l = lines[i]
            sub(/\r$/, "", l)
            if (l == "-----BEGIN CERTIFICATE-----") c = 1
            if (c) { kl[++kept] = l; total += length(l) + 1 }
            if (l == "-----END CERTIFICATE-----") c = 0
        }
        if (!kept) return out("CERT " f " error " field("no PEM certificate in it"))
        return emit_lines("CERT " f " pem ", kept, total, 1)
    }
    kept = 0; total = 0; skip = 0; npaths = 0
    for (i = 1; i <= n; i++) {
        l = lines[i]
        if (skip) {
            if (l ~ "^" sp "*$") continue
            m = match(l, /^ */) ? RLENGTH : 0
            if (m > skip_ind) continue
            skip = 0
        }
        l = redact(l)
        kl[++kept] = l
        total += length(l) + 1
        if (npaths < maxpaths && (v = named_path(l)) != "") {
            npaths++
            printf "P %s\n", v > "/dev/stderr"
        }
    }
    return emit_lines("DOC " f " text " t " ", kept, total, nl)
}

# emit_lines(HEAD, N, TOTAL, NL): one record whose last field is the kept
# lines kl[1..N], each followed by a newline (the last one only when NL).
function emit_lines(head, n, total, nl,    i, len) {
    len = n ? total - !nl : 0
    if (len == 0) return out(head ".")
    if (!room(length(head) + length(len) + 2 + len + 1)) return 0
    printf "%s=%d:", head, len
    for (i = 1; i <= n; i++) printf "%s%s", kl[i], (i < n || nl ? "\n" : "")
    printf "\n"
    return 1
}

# The first absolute path a YAML or JSON line gives as a value: `key: /p`,
# `"key": "/p"`, list items `- /p`, and flags in pod manifests `- --f=/p`.
# Best effort: cut at a quote, space, comma or brace.
function named_path(l,    r) {
    if (match(l, pkey) || match(l, pitem) || match(l, pflag)) {
        r = substr(l, RSTART + RLENGTH - 1)
        if (match(r, pchars)) return substr(r, 1, RLENGTH)
    }
    return ""
}

function redact(l,    i, k, pre) {
    for (i = 1; i <= nk; i++) {
        k = keys[i]
        if (!index(l, k)) continue
        gsub(jstr[i], dq k dq ": " dq "REDACTED" dq, l)
        gsub(jcol[i], dq k dq ": " dq "REDACTED" dq, l)
        gsub(jbare[i], dq k dq ": " dq "REDACTED" dq, l)
        if (match(l, ysq[i])) {
            match(l, /^ *(- *)?/)
            l = substr(l, 1, RLENGTH) q k q ": REDACTED"
        }
        if (match(l, yplain[i])) {
            match(l, /^ *(- *)?/)
            l = substr(l, 1, RLENGTH) k ": REDACTED"
        }
        l = flow(l, k, yflow[i])
        if (match(l, bplain[i])) {
            skip = 1
            skip_ind = match(l, /^ */) ? RLENGTH : 0
            return l
        }
        if (match(l, bdash[i])) {
            skip = 1
            skip_ind = (match(l, /^ */) ? RLENGTH : 0) + 2
            return l
        }
    }
    l = assign(l, "TOKEN", 1)
    l = assign(l, "PASSWORD", 1)
    l = assign(l, "SECRET", 1)
    l = assign(l, "DATASTORE_ENDPOINT", 0)
    l = assign(l, "ACCESS_KEY", 1)
    l = flag(l, "token")
    l = flag(l, "password")
    l = flag(l, "secret-key")
    l = flag(l, "access-key")
    l = flag(l, "datastore-endpoint")
    return l
}

# `{key: v, ...}` and `, key: v`: the value up to the next `,`, `]` or `}`.
function flow(l, k, re,    o, s, ln, m) {
    o = ""
    while (match(l, re)) {
        s = RSTART; ln = RLENGTH
        m = substr(l, s, ln)
        match(m, "^[{,]" sp "*")
        o = o substr(l, 1, s - 1) substr(m, 1, RLENGTH) k ": REDACTED"
        l = substr(l, s + ln)
    }
    return o l
}

# The value after `=` (or a space, for a flag) at position p of l:
# a double- or single-quoted string or a bare word, replaced by REDACTED; sets rest
# to what follows and returns what replaces it ("" when nothing is).
function value(l, p,    c, j) {
    c = substr(l, p, 1)
    if (c == dq || c == q) {
        j = index(substr(l, p + 1), c)
        if (!j) return ""
        rest = substr(l, p + j + 1)
        return c "REDACTED" c
    }
    if (match(substr(l, p), "^[^" dq q "[:space:]\\\\]+")) {
        rest = substr(l, p + RLENGTH)
        return "REDACTED"
    }
    return ""
}

# Secrets in shell-style assignments: the service units environment files
# and Environment= lines (K3S_TOKEN=..., RKE2_DATASTORE_ENDPOINT=...): a
# name holding WORD, then (when more) more name characters, then `=`.
function assign(l, word, more,    o, i, p, r) {
    o = ""
    while ((i = index(l, word)) > 0) {
        p = i + length(word)
        if (more) while (substr(l, p, 1) ~ /[A-Za-z0-9_]/) p++
        if (substr(l, p, 1) != "=") {
            o = o substr(l, 1, p - 1)
            l = substr(l, p)
            continue
        }
        r = value(l, p + 1)
        if (r == "") {
            o = o substr(l, 1, p)
            l = substr(l, p + 1)
            continue
        }
        o = o substr(l, 1, p) r
        l = rest
    }
    return o l
}

# Secrets on command lines (ExecStart flags: --token x, --agent-token=...,
# --datastore-endpoint=...): a flag whose name ends in the word, so that
# --token-auth-file and --secrets-encryption keep their values. The name
# before the word is at most 64 of [a-z0-9-] after `--`, as before; the
# search never goes back further, so a long line costs no more than its
# length.
function flag(l, word,    o, i, p, s, ok, r, c) {
    o = ""
    while ((i = index(l, word)) > 0) {
        p = i + length(word)
        ok = 0
        if (word == "datastore-endpoint") {
            ok = (i >= 3 && substr(l, i - 2, 2) == "--")
        } else {
            for (s = i - 2; s >= 1 && s >= i - 66; s--) {
                if (substr(l, s, 2) == "--") { ok = 1; break }
                if (substr(l, s + 1, 1) !~ /[a-z0-9-]/) break
            }
        }
        c = substr(l, p, 1)
        if (!ok || (c != "=" && c != " ")) {
            o = o substr(l, 1, p - 1)
            l = substr(l, p)
            continue
        }
        p++
        while (substr(l, p, 1) ~ /[[:space:]]/ && p <= length(l)) p++
        r = value(l, p)
        if (r == "") {
            o = o substr(l, 1, p - 1)
            l = substr(l, p)
            continue
        }
        o = o substr(l, 1, p - 1) r
        l = rest
    }
    return o l
}
'


# Versions. A static pod's version is the tag of the image its manifest
# names (READER, nothing runs). Else one component binary may be asked
# (`--version`): the `v:` names come in the order in which hardbench takes a
# host's Kubernetes version from them (src/version.rs), so the first name
# with an image, or whose binary answers, is the version hardbench uses, and
# no later binary is run. A binary is run only when the process runs as root
# and its binary, and every directory above it in the process's own view of
# the file system (/proc/PID/root), belong to root and are writable by no
# one else; the binary run is the very file the process runs
# (/proc/PID/exe), held open meanwhile, so that a PID reused in between
# cannot substitute another.

# version_candidates: queues, for the second flush_stats, the binary of
# each `v:` process that may be run, and every directory above it.
version_candidates() {
    for vc_comp in $VERSIONS; do
        case ${IMAGED-} in *" $vc_comp "*) return ;; esac
        comp_var "$vc_comp"
        eval "vc_pid=\${PID_$V-} vc_exe=\${EXE_$V-}"
        [ -n "$vc_pid" ] || continue
        eval "VC_WHY_$V="
        case $vc_exe in
            '') eval "VC_WHY_$V='its binary cannot be resolved'"; continue ;;
            *' (deleted)') eval "VC_WHY_$V=\"its binary \$vc_exe was deleted or replaced\""; continue ;;
            /*) ;;
            *) eval "VC_WHY_$V=\"its binary path \$vc_exe is not absolute\""; continue ;;
        esac
        vc_root=/proc/$vc_pid/root
        stat_queue "$vc_root$vc_exe" -
        eval "VC_FIRST_$V=\$SI"
        vc_p=$vc_exe
        while [ -n "$vc_p" ]; do
            vc_p=${vc_p%/*}
            stat_queue "$vc_root$vc_p/" -
        done
        eval "VC_LAST_$V=\$SI"
    done
}

gather_versions() {
    for gv_comp in $VERSIONS; do
        case ${IMAGED-} in *" $gv_comp "*) return ;; esac
        comp_var "$gv_comp"
        eval "gv_pid=\${PID_$V-}"
        [ -n "$gv_pid" ] || continue
        run_version "$gv_comp" "$gv_pid"
        [ -z "$RV_OK" ] || return 0
    done
}

# run_version COMPONENT PID: the VERSION record of `<binary> --version` for
# the genuine process PID, or an error saying why its binary was not run;
# RV_OK says whether a version came of it.
run_version() {
    RV_OK=
    rv_exe=/proc/$2/exe
    eval "rv_path=\${EXE_$V-} rv_why=\${VC_WHY_$V-}"
    if [ -z "$HAVE_readlink" ] || [ -z "$HAVE_stat" ]; then
        rv_why='readlink and stat are needed'
    elif [ -n "$rv_why" ]; then
        :
    elif ! { command exec 3<"$rv_exe"; } 2>/dev/null; then
        rv_why="its binary cannot be opened"
    else
        # Checked after the binary is held: the process still runs as root.
        proc_owner "$2" || PO_RUID=
        if [ "$PO_RUID:$PO_EUID:$PO_SUID:$PO_FSUID" != 0:0:0:0 ]; then
            rv_why="the process does not run as root (uid ${PO_RUID:-unknown})"
        else
            safe_binary "$rv_path"
            rv_why=$SB_WHY
        fi
    fi
    if [ -n "$rv_why" ]; then
        exec 3<&-
        problem_version "$1" "not run for its version: $rv_why"
        return
    fi
    # A binary that hangs costs its version only, not the host's facts:
    # `timeout` ends it, when the host has one.
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
        field "$rv_out"
        rv_b=$B
        field "$rv_path"
        emit VERSION "$1" executed "$rv_b" "$B"
        RV_OK=1
    else
        [ "$rv_rc" -ne 124 ] || rv_out="timed out after 10s: $rv_out"
        problem_version "$1" "${rv_out:-exit status $rv_rc}"
    fi
}

problem_version() {
    field "$2"
    emit VERSION "$1" error "$B"
}

# safe_binary PATH: sets SB_WHY to why the binary at PATH, in the view of
# the process version_candidates queued it for, may not be run, or to
# nothing when it may: a regular file of root's that no one else may write,
# in directories up to the process's root that are root's and writable by
# no one else. What the second flush_stats found.
safe_binary() {
    SB_WHY=
    eval "sb_i=\$VC_FIRST_$V sb_last=\$VC_LAST_$V"
    stat_found "$sb_i"
    if [ "$ST" != present ]; then
        SB_WHY="its binary $1 or a directory above it cannot be examined"
        return
    fi
    if [ "$K" != f ]; then
        SB_WHY="its binary $1 is not a regular file"
        return
    fi
    eval "sb_why_root \"\$SQU_$sb_i:\$SQM_$sb_i\" \"its binary \$1\"" || return
    sb_p=$1
    while [ "$sb_i" -lt "$sb_last" ]; do
        sb_i=$((sb_i + 1))
        sb_p=${sb_p%/*}
        stat_found "$sb_i"
        if [ "$ST" != present ]; then
            SB_WHY="its binary $1 or a directory above it cannot be examined"
            return
        fi
        eval "sb_why_root \"\$SQU_$sb_i:\$SQM_$sb_i\" \"the directory \$sb_p/\"" || return
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
