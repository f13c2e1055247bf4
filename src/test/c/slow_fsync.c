/*
 * A slow disk for the fault runner (dev.swarmhub.faults): preloaded into a hub (LD_PRELOAD), it
 * delays every fsync and fdatasync by the number of milliseconds written in the file that
 * SLOW_FSYNC_CONTROL names (absent, empty or 0: no delay), read again on each call so the
 * nemesis can turn the delay on and off while the hub runs. The call itself is then made as usual.
 * Built at run time: gcc -shared -fPIC -O2 -o slow_fsync.so slow_fsync.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long delay_ms(void) {
    const char *control = getenv("SLOW_FSYNC_CONTROL");
    if (control == NULL) {
        return 0;
    }
    int fd = open(control, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    char text[32];
    ssize_t length = read(fd, text, sizeof text - 1);
    close(fd);
    if (length <= 0) {
        return 0;
    }
    text[length] = '\0';
    return strtol(text, NULL, 10);
}

static void delay(void) {
    long ms = delay_ms();
    if (ms > 0) {
        struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&pause, &pause) != 0) {
            /* interrupted by a signal: sleep what is left */
        }
    }
}

int fsync(int fd) {
    static int (*real)(int);
    if (real == NULL) {
        real = (int (*)(int)) dlsym(RTLD_NEXT, "fsync");
    }
    delay();
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (real == NULL) {
        real = (int (*)(int)) dlsym(RTLD_NEXT, "fdatasync");
    }
    delay();
    return real(fd);
}
