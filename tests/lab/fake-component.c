/* A stand-in for a Kubernetes component binary: run it under the
 * component's name (argv[0] basename kubelet, etcd, ...) with real-looking
 * flags. `--version` prints a version and exits; anything else sleeps until
 * killed, so the process can be found in /proc. */
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
