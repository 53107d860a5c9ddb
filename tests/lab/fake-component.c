/* A stand-in for a Kubernetes component binary (kube-apiserver, kubelet,
 * k3s, rke2...) in the test lab: `--version` prints what the real binary
 * prints; anything else is accepted, ignored, and the process pauses until
 * killed, so that /proc shows it with the argv it was started with.
 *
 * The version text depends on the binary's own file name (the basename of
 * /proc/self/exe, so that a copy run through /proc/PID/fd/N still answers
 * for the component it is): built-in defaults below, overridden per lab
 * profile by its `versions` file (up.sh compiles that profile's copy with
 * -include of a header made from it, defining HB_PROFILE_VERSIONS).
 *
 * `k3s server|agent` and `rke2 server|agent` hide their arguments as the
 * real ones do: k3s (pkg/cli/server/server.go, pkg/cli/agent/agent.go) calls
 * gspt.SetProcTitle(os.Args[0] + " server"), and RKE2 runs the same k3s
 * code. gspt (erikdubbelboer/gspt, setproctitle.h) zeroes the whole argv
 * area, and the first environment string when it follows argv, then writes
 * the title as one string at argv[0]. The byte at the end of argv is then
 * NUL, so Linux shows the whole original argv area in /proc/PID/cmdline:
 * "/usr/local/bin/k3s server" followed by NUL padding; `ps` shows
 * "/usr/local/bin/k3s server". The fake does the same to its own argv
 * memory. A server or agent also starts its containerd child, as k3s does
 * (pkg/agent/containerd: `containerd -c CONFIG -a SOCKET --state DIR --root
 * DIR`), as a copy of itself named containerd.
 *
 * Built with -DVERSION_MARKER='"PATH"' it is a program a non-root user
 * planted: running it for its version appends a line to PATH, which proves
 * that it ran (the gathering script itself never writes anything). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

struct version {
    const char *name;
    const char *text;
};

/* A profile's versions come first, so they win over the defaults. */
static const struct version versions[] = {
#ifdef HB_PROFILE_VERSIONS
    HB_PROFILE_VERSIONS
#endif
    /* k3s v1.33.5+k3s1 and RKE2 v1.33.5+rke2r1, both built with go1.24.6
     * (rancher/rke2 go.mod at v1.33.5+rke2r1). Format: urfave/cli's
     * "NAME version VERSION (COMMIT)" then k3s's "go version GOVERSION". */
    {"k3s", "k3s version v1.33.5+k3s1 (a1e2c3f4)\ngo version go1.24.6"},
    {"rke2", "rke2 version v1.33.5+rke2r1 (5d0c3a6e)\ngo version go1.24.6"},
    {NULL, NULL},
};

static const char *base(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static const char *version_text(const char *argv0) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    const char *name = argv0;
    if (n > 0) {
        exe[n] = '\0';
        name = exe;
    }
    name = base(name);
    for (const struct version *v = versions; v->name; v++)
        if (strcmp(v->name, name) == 0)
            return v->text;
    return "Kubernetes v1.33.4";
}

/* What gspt.SetProcTitle(argv[0] + " " + argv[1]) leaves in memory. */
static void set_title(int argc, char **argv) {
    char title[256];
    snprintf(title, sizeof title, "%s %s", argv[0], argv[1]);
    char *start = argv[0], *end = argv[0] + strlen(argv[0]) + 1;
    for (int i = 1; i < argc; i++)
        if (argv[i] >= end)
            end = argv[i] + strlen(argv[i]) + 1;
    if (environ[0] && environ[0] >= end)
        end = environ[0] + strlen(environ[0]) + 1;
    memset(start, 0, end - start);
    size_t len = strlen(title);
    if (len > (size_t)(end - start) - 1)
        len = end - start - 1;
    memcpy(start, title, len);
}

/* k3s's containerd child: a copy of this program, named containerd. */
static void start_containerd(const char *program) {
    const char *data = strcmp(program, "rke2") == 0 ? "/var/lib/rancher/rke2" : "/var/lib/rancher/k3s";
    char config[256], root[256];
    snprintf(config, sizeof config, "%s/agent/etc/containerd/config.toml", data);
    snprintf(root, sizeof root, "%s/agent/containerd", data);
    if (fork() == 0) {
        char *args[] = {"containerd", "-c", config, "-a", "/run/k3s/containerd/containerd.sock",
                        "--state", "/run/k3s/containerd", "--root", root, NULL};
        execv("/proc/self/exe", args);
        _exit(127);
    }
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0) {
#ifdef VERSION_MARKER
            FILE *marker = fopen(VERSION_MARKER, "a");
            if (marker) {
                fprintf(marker, "ran as uid %d\n", (int)getuid());
                fclose(marker);
            }
#endif
            puts(version_text(argv[0]));
            return 0;
        }
    }
    const char *name = base(argv[0]);
    if (argc >= 2 && (strcmp(name, "k3s") == 0 || strcmp(name, "rke2") == 0) &&
        (strcmp(argv[1], "server") == 0 || strcmp(argv[1], "agent") == 0)) {
        char program[8];
        snprintf(program, sizeof program, "%s", name);
        set_title(argc, argv);
        start_containerd(program);
    }
    for (;;)
        pause();
}
