/* A stand-in for a Kubernetes component binary (kube-apiserver, kubelet...)
 * in the test lab: `--version` prints what the real v1.33.4 binaries print;
 * anything else is accepted, ignored, and the process pauses until killed, so
 * that /proc shows it with the argv it was started with. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            puts("Kubernetes v1.33.4");
            return 0;
        }
    }
    for (;;)
        pause();
}
