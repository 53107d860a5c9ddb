/* A stand-in for a Kubernetes component binary (kube-apiserver, kubelet...)
 * in the test lab: `--version` prints what the real v1.33.4 binaries print;
 * anything else is accepted, ignored, and the process pauses until killed, so
 * that /proc shows it with the argv it was started with.
 *
 * Built with -DVERSION_MARKER='"PATH"' it is a program a non-root user
 * planted: running it for its version appends a line to PATH, which proves
 * that it ran (the gathering script itself never writes anything). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
            puts("Kubernetes v1.33.4");
            return 0;
        }
    }
    for (;;)
        pause();
}
