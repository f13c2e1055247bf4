/*
 * swarm-relay: the CLI's fast path. Agents run swarm hundreds of times per session; a JVM takes
 * tens of milliseconds to start before it sends one command line to the hub. This program sends
 * it itself: it finds the project, connects to the hub's Unix socket, writes the request as the
 * JVM client does (dev.swarmhub.hub.CliFrames) and prints the answer. It decides nothing about
 * commands: whatever it does not do plainly, and every command the hub answers with
 * SWARM_RUN_IN_CLIENT, it hands over to the JVM client by running the launcher again with
 * SWARM_NO_RELAY=1 (same arguments, same process). The launcher runs it; the build compiles it
 * against swarm-relay.h, written from the Java constants (dev.swarmhub.cli.RelayHeader).
 */
#define _GNU_SOURCE
#include "swarm-relay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static char **arguments;
static char root[PATH_MAX];
static char hub_pid[32] = "?";

/* The JVM client does it: the launcher again, told not to come back here. */
static void hand_over(void) {
    const char *launcher = getenv("SWARM_LAUNCHER");
    if (launcher == NULL || *launcher == '\0') {
        fprintf(stderr, "swarm: swarm-relay runs only through the swarm launcher (SWARM_LAUNCHER is not set)\n");
        exit(1);
    }
    setenv("SWARM_NO_RELAY", "1", 1);
    execv(launcher, arguments);
    fprintf(stderr, "swarm: cannot run %s: %s\n", launcher, strerror(errno));
    exit(1);
}

static int is_directory(const char *path) {
    struct stat status;
    return stat(path, &status) == 0 && S_ISDIR(status.st_mode);
}

static int exists(const char *path) {
    struct stat status;
    return stat(path, &status) == 0;
}

static int is_blank(const char *text) {
    for (; *text; text++) {
        if (*text != ' ' && *text != '\t' && *text != '\n' && *text != '\r' && *text != '\f' && *text != '\v') {
            return 0;
        }
    }
    return 1;
}

/* ProjectRoot.find without --root: SWARM_ROOT, else the nearest ancestor with .swarm/ or .git; 0 when not plain. */
static int find_root(void) {
    const char *given = getenv("SWARM_ROOT");
    if (given != NULL && !is_blank(given)) {
        if (strstr(given, "..") != NULL) {
            return 0; /* Java resolves ".." before links, realpath after them: left to the JVM client */
        }
        return realpath(given, root) != NULL && is_directory(root);
    }
    char dir[PATH_MAX], probe[PATH_MAX + 16];
    if (getcwd(dir, sizeof dir) == NULL) {
        return 0;
    }
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (slash != NULL && slash != dir) {
            size_t parent = (size_t) (slash - dir), suffix = strlen(SWARM_WORKTREES);
            if (parent >= suffix && strncmp(dir + parent - suffix, SWARM_WORKTREES, suffix) == 0) {
                /* an agent's worktree (<root>/.swarm/worktrees/NAME) belongs to the project holding it */
                memcpy(root, dir, parent - suffix);
                root[parent - suffix] = '\0';
                return root[0] != '\0';
            }
        }
        snprintf(probe, sizeof probe, "%s/.swarm", strcmp(dir, "/") == 0 ? "" : dir);
        int found = is_directory(probe);
        snprintf(probe, sizeof probe, "%s/.git", strcmp(dir, "/") == 0 ? "" : dir);
        if (found || exists(probe)) {
            strcpy(root, dir);
            return 1;
        }
        if (slash == NULL || strcmp(dir, "/") == 0) {
            return 0;
        }
        slash[slash == dir ? 1 : 0] = '\0';
    }
}

/* Whether the running hub's hub.json says it answers this relay; notes its pid for messages. */
static int hub_answers_relay(void) {
    char path[PATH_MAX + 32], info[8192];
    snprintf(path, sizeof path, "%s/%s", root, SWARM_INFO);
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        return 0;
    }
    size_t length = fread(info, 1, sizeof info - 1, file);
    fclose(file);
    info[length] = '\0';
    const char *pid = strstr(info, "\"pid\":");
    if (pid != NULL) {
        snprintf(hub_pid, sizeof hub_pid, "%ld", strtol(pid + 6, NULL, 10));
    }
    return strstr(info, SWARM_RELAY_ANNOUNCED) != NULL;
}

/* The request, built in memory and written at once. */
static char *request;
static size_t request_length, request_capacity;

static void append(const void *bytes, size_t length) {
    if (request_length + length > request_capacity) {
        request_capacity = (request_length + length) * 2;
        request = realloc(request, request_capacity);
        if (request == NULL) {
            fprintf(stderr, "swarm: out of memory\n");
            exit(1);
        }
    }
    memcpy(request + request_length, bytes, length);
    request_length += length;
}

static void append_int(uint32_t value) {
    unsigned char bytes[4] = {value >> 24, value >> 16, value >> 8, value};
    append(bytes, 4);
}

static void append_string(const char *text) {
    size_t length = strlen(text);
    append_int((uint32_t) length);
    append(text, length);
}

/* The hub took the connection or the request but said nothing for the limit: paused or hung. */
static void silent(void) {
    fprintf(stderr, SWARM_SILENT_HUB "\n", root, hub_pid);
    exit(1);
}

/*
 * The hub's socket, or -1 when none accepts (the JVM client starts a hub). The send timeout bounds
 * connect: a paused hub's full backlog would hold it for good.
 */
static int connected(void) {
    char socket_path[PATH_MAX + 32];
    int length = snprintf(socket_path, sizeof socket_path, "%s/%s", root, SWARM_SOCKET);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (length > SWARM_SOCKET_PATH_LIMIT || (size_t) length >= sizeof address.sun_path) {
        return -1; /* a deep project's socket lies elsewhere: the JVM client finds it */
    }
    memcpy(address.sun_path, socket_path, (size_t) length + 1);
    int channel = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (channel < 0) {
        return -1;
    }
    struct timeval limit = {.tv_sec = SWARM_SILENCE_LIMIT_MS / 1000, .tv_usec = SWARM_SILENCE_LIMIT_MS % 1000 * 1000};
    setsockopt(channel, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    while (connect(channel, (struct sockaddr *) &address, sizeof address) != 0) {
        if (errno == EINTR) {
            continue; /* stopped and continued (Ctrl-Z, fg) while waiting for room in the backlog */
        }
        if (errno == EAGAIN) {
            silent();
        }
        close(channel);
        return -1;
    }
    return channel;
}

static void fail(const char *why) {
    fprintf(stderr, SWARM_UNREACHABLE_HUB "\n", root, why);
    exit(1);
}

/* Reads exactly length bytes; the hub says something at least every SWARM_SILENCE_LIMIT_MS while a command runs. */
static void receive(int channel, void *into, size_t length) {
    char *at = into;
    while (length > 0) {
        struct pollfd ready = {.fd = channel, .events = POLLIN};
        int polled = poll(&ready, 1, SWARM_SILENCE_LIMIT_MS);
        if (polled == 0) {
            silent();
        }
        if (polled < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail(strerror(errno));
        }
        ssize_t got = read(channel, at, length);
        if (got == 0) {
            fail(SWARM_HUB_CLOSED);
        }
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail(strerror(errno));
        }
        at += got;
        length -= (size_t) got;
    }
}

static int32_t receive_int(int channel) {
    unsigned char bytes[4];
    receive(channel, bytes, 4);
    return (int32_t) ((uint32_t) bytes[0] << 24 | (uint32_t) bytes[1] << 16 | (uint32_t) bytes[2] << 8 | bytes[3]);
}

/* One string of the answer, written to fd as it is (a reader that went away is not the command's failure). */
static void pass_on(int channel, int fd) {
    int32_t length = receive_int(channel);
    if (length < 0 || length > SWARM_MAX_STRING) {
        fail("bad frame from the hub");
    }
    char *text = malloc((size_t) length + 1);
    if (text == NULL) {
        fail("out of memory");
    }
    receive(channel, text, (size_t) length);
    for (size_t written = 0; written < (size_t) length;) {
        ssize_t done = write(fd, text + written, (size_t) length - written);
        if (done < 0 && errno == EINTR) {
            continue;
        }
        if (done <= 0) {
            break;
        }
        written += (size_t) done;
    }
    free(text);
}

static int never_relayed(const char *argument) {
    for (size_t i = 0; i < sizeof SWARM_NEVER_RELAYED / sizeof SWARM_NEVER_RELAYED[0]; i++) {
        if (strcmp(argument, SWARM_NEVER_RELAYED[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    arguments = argv;
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY) != fd) {
            exit(1); /* a closed 0-2 would become the socket, and the answer would go back to the hub */
        }
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--root") == 0 || strncmp(argv[i], "--root=", 7) == 0) {
            hand_over(); /* another project's hub: the JVM client finds it */
        }
        if (never_relayed(argv[i])) {
            hand_over(); /* works without the hub, or with one that does not answer */
        }
    }
    if (argc < 2 || !find_root() || !hub_answers_relay()) {
        hand_over();
    }
    int channel = connected();
    if (channel < 0) {
        hand_over(); /* no hub: the JVM client starts one */
    }
    signal(SIGPIPE, SIG_IGN);

    append_int((uint32_t) (argc - 1));
    for (int i = 1; i < argc; i++) {
        append_string(argv[i]);
    }
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long) getpid());
    size_t variables = sizeof SWARM_FORWARDED_VARIABLES / sizeof SWARM_FORWARDED_VARIABLES[0];
    uint32_t present = 1; /* SWARM_RELAY */
    for (size_t i = 0; i < variables; i++) {
        present += strcmp(SWARM_FORWARDED_VARIABLES[i], SWARM_CLIENT_PID_VARIABLE) == 0 || getenv(SWARM_FORWARDED_VARIABLES[i]) != NULL;
    }
    append_int(present);
    for (size_t i = 0; i < variables; i++) {
        const char *name = SWARM_FORWARDED_VARIABLES[i];
        const char *value = strcmp(name, SWARM_CLIENT_PID_VARIABLE) == 0 ? pid : getenv(name);
        if (value != NULL) {
            append_string(name);
            append_string(value);
        }
    }
    append_string(SWARM_RELAY_VARIABLE);
    append_string(isatty(STDERR_FILENO) ? SWARM_RELAY_AT_TERMINAL : "other");
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL) {
        close(channel);
        hand_over();
    }
    append_string(cwd);
    /* Writes what the socket takes, then waits for room: a hub that reads nothing for the limit is silent. */
    for (size_t sent = 0; sent < request_length;) {
        ssize_t done = send(channel, request + sent, request_length - sent, MSG_DONTWAIT);
        if (done < 0 && errno == EINTR) {
            continue;
        }
        if (done < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd room = {.fd = channel, .events = POLLOUT};
            int polled = poll(&room, 1, SWARM_SILENCE_LIMIT_MS);
            if (polled == 0) {
                silent();
            }
            if (polled < 0 && errno != EINTR) {
                fail(strerror(errno));
            }
            continue;
        }
        if (done < 0) {
            fail(strerror(errno));
        }
        sent += (size_t) done;
    }

    int32_t exit_code = receive_int(channel);
    while (exit_code == SWARM_STILL_RUNNING) {
        exit_code = receive_int(channel);
    }
    if (exit_code == SWARM_RUN_IN_CLIENT) {
        close(channel);
        hand_over();
    }
    pass_on(channel, STDOUT_FILENO);
    pass_on(channel, STDERR_FILENO);
    return exit_code;
}
