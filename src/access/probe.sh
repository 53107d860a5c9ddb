#!/bin/sh
# hardbench access probe (`hardbench check-access`): fed on stdin to
# `env LC_ALL=C sh -s -- ARG...` as the SSH user, never under sudo itself.
# It gathers nothing and changes nothing: it tells whether the gathering
# (src/gather.sh) could run here. Portable POSIX sh: dash and busybox ash.
#
# Arguments: the transport's own (`m:BYTES`, `w:stdin`, see gather.sh; the
# probe writes a few lines and ends by itself, so it needs neither), then
# `become:sudo`, `become:none` or `become:sudo-script` (with `script:PATH`,
# `sha256:HEX` and `wrapper:TEXT`), then `tool:NAME` for each tool the
# gathering script looks up.
#
# With `become:sudo` the tools are looked up by the gathering's own command
# line, `sudo -n env LC_ALL=C sh -s --` (src/transport/ssh.rs): that tests
# the sudoers rule the audit needs, not another one (a rule that allows
# only that command line refuses `sudo -n true`), and the tools are found
# with the PATH sudo gives the gathering (secure_path), as it will find them.
#
# With `become:sudo-script` the audit runs the wrapper TEXT (src/transport/
# remote_command.rs) as `/bin/sh -c TEXT hardbench-sudo-script PATH HEX
# ARG...`: it checks the installed script (owner, modes, sha256) and execs
# `sudo -n PATH ARG...`. The probe runs the same wrapper with `--may-run`,
# which makes it exec `sudo -n -l PATH` instead: every check the audit
# makes, and whether sudo would run the script, without running it. The
# tools are then looked up with the wrapper's fixed PATH, as the SSH user
# (sudoers allows nothing else): secure_path is usually that PATH.
#
# Output, one record a line:
#   HARDBENCH-PROBE 1                 header, first line
#   TOOL <name> found|missing         for each tool, in the order given
#   SUDO ok                           with become:sudo, sudo ran the lookup;
#                                     with become:sudo-script, sudo would run it
#   SUDO refused <status> <text>      or sudo's status and the first line
#                                     of what it said (no TOOL records)
#   END                               the probe ran to its end

main() {
LC_ALL=C
export LC_ALL
NL='
'
BECOME=none
TOOLS=
SCRIPT=
SHA256=
WRAPPER=
for hb_arg in "$@"; do
    case $hb_arg in
        m:* | w:stdin) ;;
        become:sudo | become:none | become:sudo-script) BECOME=${hb_arg#become:} ;;
        script:*) SCRIPT=${hb_arg#script:} ;;
        sha256:*) SHA256=${hb_arg#sha256:} ;;
        wrapper:*) WRAPPER=${hb_arg#wrapper:} ;;
        tool:*) TOOLS="$TOOLS ${hb_arg#tool:}" ;;
        *)
            printf 'hardbench probe: unknown argument: %s\n' "$hb_arg" >&2
            exit 2
            ;;
    esac
done
# Run where the tools are looked up: by the probe's shell, or by the shell
# sudo starts (given on its stdin, as the gathering script is).
# shellcheck disable=SC2016 # expanded where it runs, not here
LOOKUP='for hb_tool in "$@"; do
    if command -v "$hb_tool" >/dev/null 2>&1; then
        printf "TOOL %s found\n" "$hb_tool"
    else
        printf "TOOL %s missing\n" "$hb_tool"
    fi
done'

printf 'HARDBENCH-PROBE 1\n'
if [ "$BECOME" = sudo ]; then
    # sudo's stderr is kept to say why it refused; the lookup's records go
    # straight to our stdout (fd 4).
    # shellcheck disable=SC2086 # the tool names are words, split on purpose
    { hb_said=$(printf '%s\n' "$LOOKUP" | sudo -n env LC_ALL=C sh -s -- $TOOLS 2>&1 >&4 4>&-); hb_status=$?; } 4>&1
    if [ "$hb_status" = 0 ]; then
        printf 'SUDO ok\n'
    else
        hb_said=${hb_said%%"$NL"*}
        printf 'SUDO refused %s %s\n' "$hb_status" "${hb_said:-sudo said nothing}"
    fi
elif [ "$BECOME" = sudo-script ]; then
    hb_said=$(/bin/sh -c "$WRAPPER" hardbench-sudo-script "$SCRIPT" "$SHA256" --may-run 2>&1)
    hb_status=$?
    if [ "$hb_status" = 0 ]; then
        printf 'SUDO ok\n'
        # shellcheck disable=SC2086
        (PATH=/usr/sbin:/usr/bin:/sbin:/bin; lookup $TOOLS)
    else
        hb_said=${hb_said%%"$NL"*}
        printf 'SUDO refused %s %s\n' "$hb_status" "${hb_said:-sudo said nothing}"
    fi
else
    # shellcheck disable=SC2086
    lookup $TOOLS
fi
printf 'END\n'
exit 0
}

lookup() {
    eval "$LOOKUP"
}

main "$@" </dev/null
