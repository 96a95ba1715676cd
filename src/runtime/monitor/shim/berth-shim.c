/*
 * berth-shim: holds one container's init process (or one exec process) on behalf of berthd.
 *
 * Why a separate C process: berthd (Node) must be able to die, even by kill -9, and come back
 * without the container losing its stdio, log or exit status. A Node process per container
 * would cost ~40 MB; this costs ~1 MB.
 *
 * Usage (berthd spawns it with a sync pipe on fd 3):
 *   berth-shim --mode container|exec --state-dir DIR --id ID [--bundle B] [--process P.json]
 *              [--log FILE [--log-max-size BYTES --log-max-file N]] [--tty] [--stdin] [--stdin-once]
 *              [--sync-fd N] [--runtime-fd N] [--no-fork] [--remove-state-dir] -- RUNTIME ARGS...
 * With --log-max-size the log rotates as dockerd's json-file driver does: before a line is written to a
 * file that has reached BYTES, FILE.(N-2) -> FILE.(N-1) ... FILE -> FILE.1 and a new FILE is begun
 * (with N = 1 the file is truncated instead).
 * RUNTIME ARGS is the runtime's argument prefix, e.g. `/usr/bin/crun --root /run/berth/crun`.
 * --runtime-fd N: the runtime binary as a sealed memfd, executed instead of the path (the spawner
 * passes it; see runtime_image).
 * --no-fork: the caller already detached us (the spawner: it reaps nothing, its children are
 * reaped by the kernel), so the shim skips its own detaching fork and only starts a new session.
 * --remove-state-dir (exec mode): berthd takes the exit status from its `wait` connection and keeps
 * nothing of an exec on disk (as dockerd), so at the end the shim writes no exit file and removes
 * its state dir (the process file berthd put there included).
 *
 *   berth-shim --spawner
 * A long-lived helper that starts shims for berthd, so berthd forks once instead of once per
 * container (forking a ~90 MB Node process costs milliseconds of page-table copying; this
 * process is ~1 MB). Requests on stdin: "<id> <argc>\n" then argc NUL-terminated arguments
 * (the shim's arguments, without argv[0]). Each starts this binary with them and a sync pipe on
 * fd 3; the shim's sync line comes back on stdout as "<id> <line>\n", or "<id> error berth-shim
 * exited without reporting" when the shim ended first. Stderr is shared with the spawner's.
 * EOF on stdin (berthd gone, even by kill -9) ends the spawner; shims detach as always.
 *
 * Sync pipe: one line, then closed. Container mode: "ok <pid> <shimpid>" once the runtime has
 * *created* the container, or "error <runtime's message>". Exec mode: "ok 0 <shimpid>" once
 * the control socket listens.
 *
 * Control socket DIR/shim.sock (mode 0600). The first line of a connection is a command:
 *   attach <in> <out> <err>   (0|1 each) reply "ok\n", then a raw stream: output to the client
 *                             (tty: raw bytes; else stdcopy frames), client bytes to stdin.
 *                             A client's half-close ends stdin if --stdin-once was given.
 *   resize <rows> <cols>      reply "ok\n" or "error <text>\n"
 *   close-stdin               reply "ok\n"
 *   wait                      reply one JSON line {"exitCode":N,"finishedAt":"..."} at exit
 *   start                     exec mode: launch the process; container mode: `runtime start`
 *                             (so berthd forks no runtime process); reply "ok <pid>\n" | "error <text>\n"
 *   ping                      reply "ok <pid>\n" (pid 0 while an exec is not started)
 *
 * Files in DIR: shim.sock, shim.pid, pid (written by the runtime), exit (atomic, at exit),
 * runtime.log (the runtime's own JSON log, used to extract its error message).
 *
 * Container mode: once the process has exited, the shim runs `runtime delete --force` itself
 * before it writes the exit file, so an exit file or `wait` reply means the runtime holds no
 * state for the container any more (berthd then forks no `delete` of its own).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------
 * Tunables
 * ---------------------------------------------------------------------------------------- */
#define READ_CHUNK (128 * 1024)     /* one read = one log line; big reads keep `yes` cheap */
#define LOG_BUF (128 * 1024)        /* escaped log bytes are flushed in pieces of this size */
#define PIPE_SIZE (1024 * 1024)     /* bigger pipes mean fewer wakeups for chatty containers */
#define CLIENT_HIGH (256 * 1024)    /* an attach client this far behind pauses the container */
#define INBUF_MAX (64 * 1024)       /* stdin bytes held before we stop reading from clients */
#define MAX_CLIENTS 64
#define DRAIN_MS 2000               /* after exit, read leftover output for at most this long */
#define FLUSH_MS 5000               /* after exit, give attach clients this long to take output */

enum { MODE_CONTAINER, MODE_EXEC };
enum { C_NEW, C_ATTACH, C_WAIT, C_START, C_REPLY };

struct buf {
    char *data;
    size_t off, len, cap; /* pending bytes are data[off..len) */
};

struct client {
    int fd;
    int type;
    char line[256];
    size_t line_len;
    int want_in, want_out, want_err;
    int in_open; /* we still read from it */
    int dead;
    struct buf out;
};

static struct {
    /* configuration */
    int mode, tty, open_stdin, stdin_once, sync_fd, no_fork, remove_state;
    int rt_exe_fd; /* the runtime binary as a sealed memfd (from the spawner), or -1 */
    char **rt_argv;
    int rt_argc;
    const char *id, *bundle, *process_json, *log_path;
    char state_dir[PATH_MAX];
    /* fds */
    int sfd, lfd, log_fd, console_fd;
    long long log_max_size, log_size; /* rotation: 0 = never; bytes in the current file */
    int log_max_file;
    int out_fd[2]; /* [0] stdout (or pty master), [1] stderr; -1 when closed */
    int in_fd;     /* stdin pipe write end, or the pty master; -1 when none */
    int rt_in, rt_out[2]; /* stdio handed to the runtime (closed in the shim after spawn) */
    int rt_err_read;       /* tty: read end of the runtime's own stderr */
    /* process */
    pid_t runtime_pid, main_pid;
    int running; /* output is being read */
    int started; /* exec: start requested */
    int exited, exit_code, exit_written;
    char finished_at[64];
    struct timespec exit_time;
    int stdin_open, stdin_close_req;
    struct buf inbuf;
    struct client *clients[MAX_CLIENTS];
    int nclients;
    struct client *start_client;
    struct { pid_t pid; int status; } reaped[32];
    int nreaped;
    unsigned char carry[2][4];
    int carry_len[2];
} S;

static unsigned char rbuf[READ_CHUNK + 8];
static char lbuf[LOG_BUF];
static size_t llen;

/* ------------------------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------------------------- */
static int write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) { struct pollfd pf = { fd, POLLOUT, 0 }; poll(&pf, 1, 1000); continue; }
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static long ms_since(const struct timespec *t) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* RFC 3339 with nanoseconds, UTC, as Docker writes it. */
static void now_rfc3339(char *out, size_t sz) {
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, sz, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (long)ts.tv_nsec);
}

/* The sync pipe carries exactly one line; after it berthd stops listening. */
static void sync_reply(const char *fmt, ...) {
    char msg[4096];
    va_list ap;
    if (S.sync_fd < 0) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg - 1, fmt, ap);
    va_end(ap);
    strcat(msg, "\n");
    write_all(S.sync_fd, msg, strlen(msg));
    close(S.sync_fd);
    S.sync_fd = -1;
}

static void die(const char *fmt, ...) {
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (S.sync_fd >= 0) sync_reply("error %s", msg);
    else fprintf(stderr, "berth-shim: %s\n", msg);
    unlink("shim.sock");
    unlink("console.sock");
    exit(1);
}

/* Replaces newlines and trims, so an error text fits on one protocol line. */
static void one_line(char *s) {
    size_t n;
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
    while (*s == ' ') memmove(s, s + 1, strlen(s));
}

/* ------------------------------------------------------------------------------------------
 * Buffers
 * ---------------------------------------------------------------------------------------- */
static size_t buf_pending(const struct buf *b) { return b->len - b->off; }

static void buf_append(struct buf *b, const void *d, size_t n) {
    if (b->off == b->len) b->off = b->len = 0;
    if (b->len + n > b->cap && b->off > 0) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n) cap *= 2;
        char *nd = realloc(b->data, cap);
        if (!nd) return; /* out of memory: drop the bytes rather than die with the container */
        b->data = nd;
        b->cap = cap;
    }
    memcpy(b->data + b->len, d, n);
    b->len += n;
}

/* Writes what the fd takes without blocking. Returns -1 if the peer is gone. */
static int buf_flush(struct buf *b, int fd) {
    while (b->off < b->len) {
        ssize_t w = write(fd, b->data + b->off, b->len - b->off);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            return -1;
        }
        b->off += (size_t)w;
    }
    b->off = b->len = 0;
    if (b->cap > CLIENT_HIGH) { /* give back memory a burst made us take: RSS budget */
        free(b->data);
        b->data = NULL;
        b->cap = 0;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Log: Docker json-file lines, one per chunk read
 * ---------------------------------------------------------------------------------------- */
static unsigned char esc_class[256]; /* 0 plain ASCII, 1 must escape, 2 starts non-ASCII */

static void log_flush(void) {
    if (S.log_fd >= 0 && llen > 0) {
        if (write_all(S.log_fd, lbuf, llen) == 0) S.log_size += (long long)llen;
        else { /* ENOSPC etc.: keep running; learn what did land */
            struct stat st;
            if (fstat(S.log_fd, &st) == 0) S.log_size = st.st_size;
        }
    }
    llen = 0;
}

/* dockerd's rotation: shift FILE.i -> FILE.(i+1), FILE -> FILE.1, start a new FILE. Readers that
 * hold the old file keep reading it to its end, then find the new one. Called between lines. */
static void log_rotate(void) {
    char from[PATH_MAX + 16], to[PATH_MAX + 16];
    if (S.log_max_file < 2) {
        if (ftruncate(S.log_fd, 0) == 0) S.log_size = 0;
        return;
    }
    for (int i = S.log_max_file - 1; i > 1; i--) {
        snprintf(from, sizeof from, "%s.%d", S.log_path, i - 1);
        snprintf(to, sizeof to, "%s.%d", S.log_path, i);
        if (rename(from, to) < 0 && errno != ENOENT) return;
    }
    snprintf(to, sizeof to, "%s.1", S.log_path);
    if (rename(S.log_path, to) < 0) return; /* keep writing where we are rather than lose lines */
    int fd = open(S.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return; /* e.g. ENOSPC for the inode: the old fd still works */
    close(S.log_fd);
    S.log_fd = fd;
    S.log_size = 0;
}

static void log_put(const char *s, size_t n) {
    if (llen + n > LOG_BUF) log_flush();
    memcpy(lbuf + llen, s, n);
    llen += n;
}

/* Length of the valid UTF-8 sequence at p: 1..4, 0 if invalid, -1 if cut short by the end. */
static int utf8_seq(const unsigned char *p, size_t n) {
    unsigned c = p[0], lo = 0x80, hi = 0xBF;
    int len;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) { len = 3; lo = 0xA0; }           /* no overlongs */
    else if (c >= 0xE1 && c <= 0xEC) len = 3;
    else if (c == 0xED) { len = 3; hi = 0x9F; }           /* no surrogates */
    else if (c >= 0xEE && c <= 0xEF) len = 3;
    else if (c == 0xF0) { len = 4; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) { len = 4; hi = 0x8F; }           /* <= U+10FFFF */
    else return 0;
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n) return -1;
        unsigned b = p[i];
        if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) return 0;
    }
    return len;
}

/* Writes p[0..n) (whole UTF-8 sequences) as one json-file entry. */
static void log_entry(int stream, const unsigned char *p, size_t end) {
    static const char hex[] = "0123456789abcdef";
    char ts[64], tail[128];
    size_t i = 0;
    log_put("{\"log\":\"", 8);
    while (i < end) {
        unsigned c = p[i];
        if (llen > LOG_BUF - 8) log_flush();
        if (!esc_class[c]) { lbuf[llen++] = (char)c; i++; continue; }
        if (esc_class[c] == 1) {
            lbuf[llen++] = '\\';
            switch (c) {
            case '"': lbuf[llen++] = '"'; break;
            case '\\': lbuf[llen++] = '\\'; break;
            case '\n': lbuf[llen++] = 'n'; break;
            case '\r': lbuf[llen++] = 'r'; break;
            case '\t': lbuf[llen++] = 't'; break;
            default:
                memcpy(lbuf + llen, "u00", 3);
                llen += 3;
                lbuf[llen++] = hex[c >> 4];
                lbuf[llen++] = hex[c & 15];
            }
            i++;
            continue;
        }
        int l = utf8_seq(p + i, end - i);
        if (l > 0) { memcpy(lbuf + llen, p + i, (size_t)l); llen += (size_t)l; i += (size_t)l; }
        else { memcpy(lbuf + llen, "\\ufffd", 6); llen += 6; i++; }
    }
    now_rfc3339(ts, sizeof ts);
    int tl = snprintf(tail, sizeof tail, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream ? "stderr" : "stdout", ts);
    log_put(tail, (size_t)tl);
    log_flush();
}

/* How many bytes of p[0..n), cut after a newline, fit in `room` bytes of file as one entry
 * (escapes and the entry's own ~80 bytes counted); at least one line, even a long one. */
static size_t log_fit(const unsigned char *p, size_t n, size_t room) {
    size_t cost = 80, last = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        cost += esc_class[c] != 1 ? 1 : (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t') ? 2 : 6;
        if (cost > room) break;
        if (c == '\n') last = i + 1;
    }
    if (last > 0) return last;
    const unsigned char *nl = memchr(p, '\n', n);
    return nl ? (size_t)(nl - p) + 1 : n;
}

/*
 * Logs p[0..n) as one line. A UTF-8 sequence cut by the end of the read is carried to the next
 * chunk of the same stream (unless final), so valid text never turns into U+FFFD. With rotation,
 * a chunk is cut at newlines into entries that fit what is left of the file, so no file grows
 * past max-size by more than one line (as dockerd, whose entries are lines).
 */
static void log_chunk(int stream, const unsigned char *p, size_t n, int final) {
    size_t i = 0, end = n;
    if (S.log_fd < 0) return;
    /* Find a trailing incomplete sequence first, so an all-carry chunk writes no line. */
    if (!final) {
        for (size_t k = n > 3 ? n - 3 : 0; k < n; k++)
            if (p[k] >= 0xC0 && utf8_seq(p + k, n - k) == -1) { end = k; break; }
        S.carry_len[stream] = (int)(n - end);
        memcpy(S.carry[stream], p + end, n - end);
    }
    while (i < end) {
        size_t take = end - i;
        if (S.log_max_size > 0) {
            if (S.log_size >= S.log_max_size) log_rotate();
            take = log_fit(p + i, end - i, (size_t)(S.log_max_size - S.log_size));
        }
        log_entry(stream, p + i, take);
        i += take;
    }
}

/* ------------------------------------------------------------------------------------------
 * Clients
 * ---------------------------------------------------------------------------------------- */
static void client_send(struct client *c, const void *d, size_t n) {
    if (c->dead) return;
    buf_append(&c->out, d, n);
    if (buf_flush(&c->out, c->fd) < 0) c->dead = 1;
}

static void client_sendf(struct client *c, const char *fmt, ...) {
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    client_send(c, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
}

static void client_free(struct client *c) {
    close(c->fd);
    free(c->out.data);
    free(c);
}

static void sweep_clients(void) {
    int j = 0;
    for (int i = 0; i < S.nclients; i++) {
        struct client *c = S.clients[i];
        /* A reply-only client is done once its reply is out. */
        if (c->type == C_REPLY && buf_pending(&c->out) == 0) c->dead = 1;
        if (c->dead) {
            if (c == S.start_client) S.start_client = NULL;
            client_free(c);
        } else {
            S.clients[j++] = c;
        }
    }
    S.nclients = j;
}

/* True while some attach client is too far behind: then we stop reading the container's output. */
static int backlogged(void) {
    for (int i = 0; i < S.nclients; i++)
        if (S.clients[i]->type == C_ATTACH && !S.clients[i]->dead && buf_pending(&S.clients[i]->out) >= CLIENT_HIGH)
            return 1;
    return 0;
}

/* Output to attach clients: raw for a tty, else stdcopy frames. */
static void dispatch(int stream, const unsigned char *p, size_t n) {
    unsigned char hdr[8] = { (unsigned char)(stream + 1), 0, 0, 0, (unsigned char)(n >> 24),
                             (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n };
    for (int i = 0; i < S.nclients; i++) {
        struct client *c = S.clients[i];
        if (c->type != C_ATTACH || c->dead) continue;
        if (!(stream ? c->want_err : c->want_out)) continue;
        if (!S.tty) buf_append(&c->out, hdr, 8);
        client_send(c, p, n);
    }
}

/* ------------------------------------------------------------------------------------------
 * Container output and input
 * ---------------------------------------------------------------------------------------- */
static void close_out(int stream) {
    if (S.out_fd[stream] < 0) return;
    if (S.carry_len[stream]) { /* an incomplete UTF-8 tail at EOF is invalid: log it as U+FFFD */
        log_chunk(stream, S.carry[stream], (size_t)S.carry_len[stream], 1);
        S.carry_len[stream] = 0;
    }
    if (!(S.tty && S.out_fd[stream] == S.in_fd)) close(S.out_fd[stream]);
    S.out_fd[stream] = -1;
}

/* Reads one chunk. Returns 1 if data was read, 0 on EAGAIN, -1 at EOF (fd closed). */
static int pump(int stream) {
    int fd = S.out_fd[stream];
    int cl = S.carry_len[stream];
    ssize_t r;
    do r = read(fd, rbuf + 4, READ_CHUNK); while (r < 0 && errno == EINTR);
    if (r < 0 && errno == EAGAIN) return 0;
    if (r <= 0) { /* EOF, or EIO from a pty master whose slave side is all closed */
        close_out(stream);
        return -1;
    }
    memcpy(rbuf + 4 - cl, S.carry[stream], (size_t)cl); /* the carried UTF-8 head goes first */
    log_chunk(stream, rbuf + 4 - cl, (size_t)r + (size_t)cl, 0);
    dispatch(stream, rbuf + 4, (size_t)r);
    return 1;
}

static void close_stdin(void) {
    S.stdin_open = 0;
    S.stdin_close_req = 0;
    S.inbuf.off = S.inbuf.len = 0;
    /* With a tty, stdin and output share the master: stop forwarding input, keep the master. */
    if (S.in_fd >= 0 && !S.tty) close(S.in_fd);
    if (!S.tty) S.in_fd = -1;
}

static void flush_stdin(void) {
    if (!S.stdin_open || S.in_fd < 0) return;
    if (buf_flush(&S.inbuf, S.in_fd) < 0) close_stdin(); /* EPIPE: the process closed its stdin */
    else if (S.stdin_close_req && buf_pending(&S.inbuf) == 0) close_stdin();
}

/* ------------------------------------------------------------------------------------------
 * Runtime invocation
 * ---------------------------------------------------------------------------------------- */
/* Forks the runtime with the given stdio; the child gets default signal handling back. */
static pid_t spawn_runtime(char *const extra[], int in, int out, int err) {
    char logopt[PATH_MAX + 32];
    char *argv[64];
    int n = 0;
    snprintf(logopt, sizeof logopt, "--log=%s/runtime.log", S.state_dir);
    for (int i = 0; i < S.rt_argc && n < 40; i++) argv[n++] = S.rt_argv[i];
    argv[n++] = logopt;
    argv[n++] = "--log-format=json";
    for (int i = 0; extra[i] && n < 63; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    unlink("runtime.log"); /* so the error we read afterwards is from this invocation */
    pid_t pid = fork();
    if (pid != 0) return pid;
    /* Child: the blocked SIGCHLD and ignored SIGPIPE would otherwise leak into the container. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    signal(SIGPIPE, SIG_DFL);
    int fds[3] = { in, out, err };
    for (int i = 0; i < 3; i++) {
        if (fds[i] == i) fcntl(i, F_SETFD, 0); /* dup2 onto itself would keep FD_CLOEXEC */
        else dup2(fds[i], i);
    }
    /* From the sealed copy, so the runtime skips its own copy-and-re-exec (see runtime_image). */
    if (S.rt_exe_fd >= 0) execveat(S.rt_exe_fd, "", argv, environ, AT_EMPTY_PATH);
    execvp(argv[0], argv);
    dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Extracts the last error "msg" from the runtime's JSON log (crun and runc both write one).
 * Without one, `fallback` says whether to read what the runtime printed on the output pipes:
 * only while the container's process has not been started, else that is the process's output. */
static void runtime_error_from(char *out, size_t sz, int status, int fallback) {
    char data[16384];
    size_t n = 0;
    int fd = open("runtime.log", O_RDONLY | O_CLOEXEC);
    out[0] = 0;
    if (fd >= 0) {
        off_t size = lseek(fd, 0, SEEK_END);
        lseek(fd, size > (off_t)sizeof data - 1 ? size - (off_t)sizeof data + 1 : 0, SEEK_SET);
        ssize_t r = read(fd, data, sizeof data - 1);
        n = r > 0 ? (size_t)r : 0;
        close(fd);
    }
    data[n] = 0;
    for (char *line = data; line && *line;) {
        char *next = strchr(line, '\n');
        if (next) *next++ = 0;
        char *m = strstr(line, "\"msg\":\"");
        if (m && (strstr(line, "\"level\":\"error\"") || !out[0])) {
            size_t o = 0;
            for (m += 7; *m && *m != '"' && o + 1 < sz; m++) {
                if (*m == '\\' && m[1]) {
                    m++;
                    if (*m == 'n' || *m == 't') out[o++] = ' ';
                    else if (*m == 'u') { out[o++] = '?'; for (int k = 0; k < 4 && m[1]; k++) m++; }
                    else out[o++] = *m;
                } else out[o++] = *m;
            }
            out[o] = 0;
        }
        line = next;
    }
    if (!out[0] && fallback) { /* no JSON log: fall back to what the runtime printed */
        int fd2 = S.tty ? S.rt_err_read : S.out_fd[1];
        ssize_t r = fd2 >= 0 ? read(fd2, out, sz - 1) : -1;
        out[r > 0 ? r : 0] = 0;
    }
    one_line(out);
    if (!out[0]) {
        if (WIFEXITED(status)) snprintf(out, sz, "runtime exited with status %d", WEXITSTATUS(status));
        else snprintf(out, sz, "runtime killed by signal %d", WTERMSIG(status));
    }
}

static int read_pid_file(void) {
    char b[32] = { 0 };
    int fd = open("pid", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t r = read(fd, b, sizeof b - 1);
    close(fd);
    return r > 0 ? atoi(b) : -1;
}

static void runtime_error(char *out, size_t sz, int status) { runtime_error_from(out, sz, status, 1); }

/* The runtime connects to the console socket and sends the pty master with SCM_RIGHTS. */
static int receive_console(void) {
    int c = accept4(S.console_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) return -1;
    char data[512], cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { data, sizeof data };
    struct msghdr msg = { 0 };
    int fd = -1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof cbuf;
    ssize_t r;
    do r = recvmsg(c, &msg, MSG_CMSG_CLOEXEC); while (r < 0 && errno == EINTR);
    struct cmsghdr *cm = r >= 0 ? CMSG_FIRSTHDR(&msg) : NULL;
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    close(c);
    close(S.console_fd);
    S.console_fd = -1;
    unlink("console.sock");
    if (fd >= 0) set_nonblock(fd);
    return fd;
}

/* Argument for --console-socket: absolute if it fits sun_path, else via our cwd in /proc. */
static void console_path(char *out, size_t sz) {
    if (strlen(S.state_dir) + 14 < sizeof(((struct sockaddr_un *)0)->sun_path))
        snprintf(out, sz, "%s/console.sock", S.state_dir);
    else
        snprintf(out, sz, "/proc/%d/cwd/console.sock", (int)getpid());
}

static int listen_unix(const char *name) {
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", name); /* relative: we chdir'd to the state dir */
    unlink(name);
    mode_t old = umask(0177); /* socket file 0600 from the start, no chmod window */
    int r = bind(fd, (struct sockaddr *)&a, sizeof a);
    umask(old);
    if (r < 0 || listen(fd, 64) < 0) { close(fd); return -1; }
    return fd;
}

/* Pipes (non-tty) or a console socket (tty) for the process's stdio; the runtime gets rt_* ends. */
static void setup_stdio(void) {
    int p[2];
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    S.rt_in = S.rt_out[0] = S.rt_out[1] = devnull;
    S.out_fd[0] = S.out_fd[1] = S.in_fd = -1;
    if (S.tty) {
        /* The pty master arrives over the console socket; the runtime's own stdout/stderr go to
         * a pipe that is read only to report its errors. */
        S.console_fd = listen_unix("console.sock");
        if (S.console_fd < 0) die("console socket: %s", strerror(errno));
        if (pipe2(p, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
        set_nonblock(p[0]);
        S.rt_err_read = p[0];
        S.rt_out[0] = S.rt_out[1] = p[1];
        return;
    }
    for (int s = 0; s < 2; s++) {
        if (pipe2(p, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
        fcntl(p[0], F_SETPIPE_SZ, PIPE_SIZE); /* best effort */
        set_nonblock(p[0]);
        S.out_fd[s] = p[0];
        S.rt_out[s] = p[1];
    }
    if (S.open_stdin) {
        if (pipe2(p, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
        set_nonblock(p[1]);
        S.in_fd = p[1];
        S.rt_in = p[0];
        S.stdin_open = 1;
    }
}

/* The shim must not keep the runtime's ends: EOF on the output pipes depends on it. */
static void close_runtime_ends(void) {
    int *fds[3] = { &S.rt_in, &S.rt_out[0], &S.rt_out[1] };
    for (int i = 0; i < 3; i++) {
        int fd = *fds[i];
        if (fd < 0) continue;
        for (int j = 0; j < 3; j++)
            if (*fds[j] == fd) *fds[j] = -1;
        close(fd);
    }
}

/* ------------------------------------------------------------------------------------------
 * Process lifecycle
 * ---------------------------------------------------------------------------------------- */
static void process_exited(int status) {
    if (S.exited) return;
    S.exited = 1;
    S.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    now_rfc3339(S.finished_at, sizeof S.finished_at);
    clock_gettime(CLOCK_MONOTONIC, &S.exit_time);
}

/* The main pid becomes known only after the runtime exits; it may already have been reaped. */
static void adopt_main_pid(pid_t pid) {
    S.main_pid = pid;
    S.running = 1;
    for (int i = 0; i < S.nreaped; i++)
        if (S.reaped[i].pid == pid) process_exited(S.reaped[i].status);
}

/* Reads and throws away what is already in the pipes: before `start`, that is runtime chatter. */
static void discard_pending(int fd) {
    while (fd >= 0 && read(fd, rbuf, READ_CHUNK) > 0) {}
}

static void pid_file_arg(char *out, size_t sz) { snprintf(out, sz, "%s/pid", S.state_dir); }

/* The arguments create and exec share: pid file, console socket (tty only), container id. */
static int finish_runtime_args(char **args, int n, char *pidf, char *cons, size_t cons_size) {
    args[n++] = "--pid-file";
    args[n++] = pidf;
    if (S.tty) {
        console_path(cons, cons_size);
        args[n++] = "--console-socket";
        args[n++] = cons;
    }
    args[n++] = (char *)S.id;
    args[n] = NULL;
    return n;
}

/* Container mode: `runtime create`, synchronously (nothing else can happen before it ends). */
static void create_container(void) {
    char pidf[PATH_MAX + 8], cons[PATH_MAX + 32], msg[4096];
    char *args[12];
    int n = 0, st = 0;
    pid_file_arg(pidf, sizeof pidf);
    args[n++] = "create";
    args[n++] = "--bundle";
    args[n++] = (char *)S.bundle;
    n = finish_runtime_args(args, n, pidf, cons, sizeof cons);
    pid_t rt = spawn_runtime(args, S.rt_in, S.rt_out[0], S.rt_out[1]);
    if (rt < 0) die("fork: %s", strerror(errno));
    close_runtime_ends();
    while (waitpid(rt, &st, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        runtime_error(msg, sizeof msg, st);
        die("%s", msg);
    }
    int pid = read_pid_file();
    if (pid <= 0) die("runtime did not write a pid file");
    if (S.tty) {
        int m = receive_console();
        if (m < 0) die("runtime did not send a console");
        S.out_fd[0] = S.in_fd = m;
        S.stdin_open = S.open_stdin;
        close(S.rt_err_read);
    } else {
        discard_pending(S.out_fd[0]);
        discard_pending(S.out_fd[1]);
    }
    adopt_main_pid(pid);
}

/* Exec mode: `runtime exec --detach`, asynchronously; its end is seen through SIGCHLD. */
static void start_exec(struct client *c) {
    static char pidf[PATH_MAX + 8], cons[PATH_MAX + 32];
    char *args[14];
    int n = 0;
    if (S.mode != MODE_EXEC || S.started) {
        client_sendf(c, "error %s\n", S.started ? "already started" : "not an exec shim");
        c->type = C_REPLY;
        return;
    }
    S.started = 1;
    pid_file_arg(pidf, sizeof pidf);
    args[n++] = "exec";
    args[n++] = "--process";
    args[n++] = (char *)S.process_json;
    args[n++] = "--detach";
    n = finish_runtime_args(args, n, pidf, cons, sizeof cons);
    c->type = C_START;
    S.start_client = c;
    S.runtime_pid = spawn_runtime(args, S.rt_in, S.rt_out[0], S.rt_out[1]);
    close_runtime_ends();
    if (S.runtime_pid < 0) {
        client_sendf(c, "error fork: %s\n", strerror(errno));
        c->type = C_REPLY;
        S.start_client = NULL;
        process_exited(126 << 8);
    }
}

/* Container mode: `runtime start`, asynchronously (the process may exit before it returns); its
 * stdio is /dev/null: the container's pipes already went to the process at create. */
static void start_container(struct client *c) {
    static char *args[4];
    if (S.started) {
        client_sendf(c, "error already started\n");
        c->type = C_REPLY;
        return;
    }
    S.started = 1;
    args[0] = "start";
    args[1] = (char *)S.id;
    args[2] = NULL;
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    c->type = C_START;
    S.start_client = c;
    S.runtime_pid = spawn_runtime(args, devnull, devnull, devnull);
    if (devnull >= 0) close(devnull);
    if (S.runtime_pid < 0) {
        S.runtime_pid = 0;
        client_sendf(c, "error fork: %s\n", strerror(errno));
        c->type = C_REPLY;
        S.start_client = NULL;
    }
}

static void container_start_done(int st) {
    char msg[4096];
    S.runtime_pid = 0;
    if (!S.start_client) return;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) client_sendf(S.start_client, "ok %d\n", (int)S.main_pid);
    else {
        runtime_error_from(msg, sizeof msg, st, 0);
        client_sendf(S.start_client, "error %s\n", msg);
    }
    S.start_client->type = C_REPLY;
    S.start_client->in_open = 0;
    S.start_client = NULL;
}

/* Container mode, after the exit: `runtime delete --force`, synchronously (the process is gone and
 * its output drained; nothing else waits on the shim but the exit it is about to record). A
 * failure is left to berthd, which deletes whatever the runtime still holds. */
static void delete_container(void) {
    char *args[4] = { "delete", "--force", (char *)S.id, NULL };
    int st = 0;
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_t rt = spawn_runtime(args, devnull, devnull, devnull);
    if (devnull >= 0) close(devnull);
    if (rt > 0)
        while (waitpid(rt, &st, 0) < 0 && errno == EINTR) {}
}

static void exec_runtime_done(int st) {
    char msg[4096];
    int pid = -1, ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    S.runtime_pid = 0;
    if (ok) pid = read_pid_file();
    if (ok && pid > 0 && S.tty) {
        int m = receive_console();
        if (m < 0) ok = 0, snprintf(msg, sizeof msg, "runtime did not send a console");
        else { S.out_fd[0] = S.in_fd = m; S.stdin_open = S.open_stdin; }
    } else if (ok && pid <= 0) {
        ok = 0;
        snprintf(msg, sizeof msg, "runtime did not write a pid file");
    } else if (!ok) {
        runtime_error(msg, sizeof msg, st);
    }
    if (S.start_client) {
        if (ok) client_sendf(S.start_client, "ok %d\n", pid);
        else client_sendf(S.start_client, "error %s\n", msg);
        S.start_client->type = C_REPLY;
        S.start_client->in_open = 0;
        S.start_client = NULL;
    }
    if (ok) { adopt_main_pid(pid); return; }
    /* Never started: no output to read. Docker reports 127 for a missing binary, else 126. */
    close_out(0);
    close_out(1);
    process_exited((strstr(msg, "not found") || strstr(msg, "No such file") ? 127 : 126) << 8);
}

static void on_reaped(pid_t pid, int st) {
    if (S.runtime_pid > 0 && pid == S.runtime_pid) {
        if (S.mode == MODE_EXEC) exec_runtime_done(st);
        else container_start_done(st);
    }
    else if (S.main_pid > 0 && pid == S.main_pid) process_exited(st);
    else if (S.nreaped < (int)(sizeof S.reaped / sizeof S.reaped[0])) {
        S.reaped[S.nreaped].pid = pid;
        S.reaped[S.nreaped++].status = st;
    }
}

static void handle_signals(void) {
    struct signalfd_siginfo si;
    while (read(S.sfd, &si, sizeof si) > 0) {}
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p <= 0) break;
        on_reaped(p, st);
    }
}

static void write_exit_file(void) {
    char j[160];
    if (S.remove_state) return; /* the directory goes at the end: only `wait` replies carry the status */
    int n = snprintf(j, sizeof j, "{\"exitCode\":%d,\"finishedAt\":\"%s\"}", S.exit_code, S.finished_at);
    int fd = open("exit.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    /* A container's exit status must survive a host crash as well as our own exit; on a full disk
     * (ENOSPC) no file is better than an empty one: berthd has the status from `wait`. An exec's
     * lives only as long as berthd's memory of the exec (as dockerd's), so it is not flushed. */
    int ok = write_all(fd, j, (size_t)n) == 0 && (S.mode == MODE_EXEC || fsync(fd) == 0);
    close(fd);
    if (ok) rename("exit.tmp", "exit");
    else unlink("exit.tmp");
}

/*
 * Called every loop turn once the process has exited. Order matters: all output goes to the log
 * and to attach clients before the exit file and `wait` replies, so a client that sees the exit
 * has seen all output. Returns 1 when the shim may leave.
 */
static int progress_exit(void) {
    if (!S.exited) return 0;
    long ms = ms_since(&S.exit_time);
    for (int s = 0; s < 2; s++) {
        /* A pipe is readable as soon as written, so EAGAIN after the exit means only a
         * grandchild still holds it: stop. A pty pushes slave writes to the master
         * asynchronously, so there we wait for EIO (slave closed) up to the deadline. */
        while (S.out_fd[s] >= 0 && !backlogged() && ms_since(&S.exit_time) < DRAIN_MS) {
            int r = pump(s);
            if (r == 0 && !S.tty) close_out(s);
            if (r <= 0) break;
        }
        if (ms >= DRAIN_MS) close_out(s);
    }
    if (S.out_fd[0] >= 0 || S.out_fd[1] >= 0) return 0;
    if (S.runtime_pid > 0) return 0; /* `runtime start` still running: its client gets a reply first */
    if (!S.exit_written) {
        if (S.mode == MODE_CONTAINER) delete_container();
        write_exit_file();
        S.exit_written = 1;
        if (S.stdin_open) close_stdin();
    }
    for (int i = 0; i < S.nclients; i++) {
        struct client *c = S.clients[i];
        if (!c->dead && c->type != C_WAIT && buf_pending(&c->out) && ms < DRAIN_MS + FLUSH_MS) return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------
 * Control socket commands
 * ---------------------------------------------------------------------------------------- */
static void feed_stdin(struct client *c, const char *d, size_t n) {
    if (!c->want_in || !S.stdin_open || S.in_fd < 0 || n == 0) return; /* no stdin: discard */
    buf_append(&S.inbuf, d, n);
    flush_stdin();
}

static void handle_command(struct client *c, char *line, const char *rest, size_t restlen) {
    int a, b, d;
    unsigned rows, cols;
    c->type = C_REPLY;
    if (sscanf(line, "attach %d %d %d", &a, &b, &d) == 3) {
        c->type = C_ATTACH;
        c->want_in = a, c->want_out = b, c->want_err = d;
        client_send(c, "ok\n", 3);
        feed_stdin(c, rest, restlen);
        return;
    }
    c->in_open = 0;
    if (sscanf(line, "resize %u %u", &rows, &cols) == 2) {
        struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
        if (!S.tty || S.in_fd < 0) client_sendf(c, "error not a tty\n");
        else if (ioctl(S.in_fd, TIOCSWINSZ, &ws) < 0) client_sendf(c, "error resize: %s\n", strerror(errno));
        else client_sendf(c, "ok\n");
    } else if (strcmp(line, "close-stdin") == 0) {
        if (buf_pending(&S.inbuf)) { S.stdin_close_req = 1; flush_stdin(); }
        else if (S.stdin_open) close_stdin();
        client_sendf(c, "ok\n");
    } else if (strcmp(line, "wait") == 0) {
        c->type = C_WAIT;
        c->in_open = 1; /* only to notice the client going away */
    } else if (strcmp(line, "start") == 0) {
        c->in_open = 1;
        if (S.mode == MODE_CONTAINER) start_container(c);
        else start_exec(c);
    } else if (strcmp(line, "ping") == 0) {
        client_sendf(c, "ok %d\n", (int)S.main_pid);
    } else {
        client_sendf(c, "error unknown command\n");
    }
}

static void client_readable(struct client *c) {
    char tmp[16384];
    size_t max = sizeof tmp;
    if (c->type == C_ATTACH && c->want_in && S.stdin_open) {
        size_t room = INBUF_MAX - buf_pending(&S.inbuf);
        if (room < max) max = room;
        if (max == 0) return;
    }
    ssize_t r = read(c->fd, tmp, max);
    if (r < 0) {
        if (errno != EAGAIN && errno != EINTR) c->dead = 1;
        return;
    }
    if (r == 0) { /* the client ended its input (half-close) or left */
        c->in_open = 0;
        if (c->type == C_ATTACH) {
            if (c->want_in && S.stdin_once && S.stdin_open) { S.stdin_close_req = 1; flush_stdin(); }
        } else {
            c->dead = 1; /* a command client that leaves needs nothing more */
        }
        return;
    }
    if (c->type == C_ATTACH) { feed_stdin(c, tmp, (size_t)r); return; }
    if (c->type != C_NEW) return; /* bytes after a command are ignored */
    for (ssize_t i = 0; i < r; i++) {
        if (tmp[i] == '\n') {
            c->line[c->line_len] = 0;
            if (c->line_len && c->line[c->line_len - 1] == '\r') c->line[c->line_len - 1] = 0;
            handle_command(c, c->line, tmp + i + 1, (size_t)(r - i - 1));
            return;
        }
        if (c->line_len + 1 >= sizeof c->line) {
            client_sendf(c, "error command too long\n");
            c->type = C_REPLY;
            c->in_open = 0;
            return;
        }
        c->line[c->line_len++] = tmp[i];
    }
}

static void accept_clients(void) {
    for (;;) {
        int fd = accept4(S.lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;
        if (S.nclients >= MAX_CLIENTS) { close(fd); continue; }
        struct client *c = calloc(1, sizeof *c);
        if (!c) { close(fd); return; }
        c->fd = fd;
        c->type = C_NEW;
        c->in_open = 1;
        S.clients[S.nclients++] = c;
    }
}

/* ------------------------------------------------------------------------------------------
 * Event loop: poll() over the signalfd, the listener, the output fds, stdin and the clients.
 * ---------------------------------------------------------------------------------------- */
static void loop(void) {
    struct pollfd pf[MAX_CLIENTS + 8];
    struct client *pc[MAX_CLIENTS + 8];
    for (;;) {
        int n = 0, li = -1, ii = -1, oi[2] = { -1, -1 }, bl = backlogged();
        pf[n++] = (struct pollfd){ S.sfd, POLLIN, 0 };
        if (!S.exited) { li = n; pf[n++] = (struct pollfd){ S.lfd, POLLIN, 0 }; }
        for (int s = 0; s < 2; s++)
            if (S.running && !bl && S.out_fd[s] >= 0) /* after exit only a pty is still open here */ { oi[s] = n; pf[n++] = (struct pollfd){ S.out_fd[s], POLLIN, 0 }; }
        if (S.stdin_open && S.in_fd >= 0 && buf_pending(&S.inbuf)) { ii = n; pf[n++] = (struct pollfd){ S.in_fd, POLLOUT, 0 }; }
        int ci = n;
        for (int i = 0; i < S.nclients; i++) {
            struct client *c = S.clients[i];
            short ev = 0;
            int stdin_full = c->type == C_ATTACH && c->want_in && S.stdin_open && buf_pending(&S.inbuf) >= INBUF_MAX;
            if (c->in_open && !stdin_full) ev |= POLLIN;
            if (buf_pending(&c->out)) ev |= POLLOUT;
            pc[n] = c;
            pf[n++] = (struct pollfd){ c->fd, ev, 0 };
        }
        int r = poll(pf, (nfds_t)n, S.exited ? 50 : -1);
        if (r > 0) {
            if (pf[0].revents) handle_signals();
            if (li >= 0 && (pf[li].revents & POLLIN)) accept_clients();
            for (int s = 0; s < 2; s++)
                if (oi[s] >= 0 && pf[oi[s]].revents) /* a few chunks per turn keeps clients served */
                    for (int k = 0; k < 8 && S.out_fd[s] >= 0 && !backlogged(); k++)
                        if (pump(s) <= 0) break;
            if (ii >= 0 && pf[ii].revents) flush_stdin();
            for (int i = ci; i < n; i++) {
                struct client *c = pc[i];
                short rev = pf[i].revents;
                if (c->dead || !rev) continue;
                if ((rev & POLLOUT) && buf_flush(&c->out, c->fd) < 0) c->dead = 1;
                if (rev & POLLIN) client_readable(c);
                else if (rev & (POLLHUP | POLLERR)) c->dead = 1; /* gone: never let it block output */
            }
        }
        sweep_clients();
        if (progress_exit()) return;
    }
}

/* --remove-state-dir: everything in it is a plain file of ours, the runtime's or berthd's process file. */
static void remove_state_dir(void) {
    DIR *d = opendir(".");
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    rmdir(S.state_dir);
}

static void finish(void) {
    char j[160];
    int n = snprintf(j, sizeof j, "{\"exitCode\":%d,\"finishedAt\":\"%s\"}\n", S.exit_code, S.finished_at);
    unlink("shim.sock"); /* new clients now find the exit file instead */
    close(S.lfd);
    for (int i = 0; i < S.nclients; i++) {
        struct client *c = S.clients[i];
        if (c->type == C_WAIT && !c->dead) write_all(c->fd, j, (size_t)n);
        client_free(c);
    }
    S.nclients = 0;
}

/* ------------------------------------------------------------------------------------------
 * Startup
 * ---------------------------------------------------------------------------------------- */
static void usage(void) {
    fprintf(stderr, "usage: berth-shim --mode container|exec --state-dir DIR --id ID [--bundle B] [--process P]\n"
                    "       [--log FILE [--log-max-size BYTES --log-max-file N]] [--tty] [--stdin] [--stdin-once] [--sync-fd N] [--runtime-fd N] [--no-fork]\n"
                    "       [--remove-state-dir]\n"
                    "       -- RUNTIME ARGS...\n");
    exit(2);
}

static void parse_args(int argc, char **argv) {
    const char *sd = NULL;
    S.sync_fd = 3;
    S.mode = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--") == 0) { S.rt_argv = argv + i + 1; S.rt_argc = argc - i - 1; break; }
        else if (strcmp(a, "--tty") == 0) S.tty = 1;
        else if (strcmp(a, "--stdin") == 0) S.open_stdin = 1;
        else if (strcmp(a, "--stdin-once") == 0) S.stdin_once = 1;
        else if (strcmp(a, "--no-fork") == 0) S.no_fork = 1;
        else if (strcmp(a, "--remove-state-dir") == 0) S.remove_state = 1;
        else if (!v) usage();
        else if (strcmp(a, "--mode") == 0) S.mode = strcmp(v, "exec") == 0 ? MODE_EXEC : strcmp(v, "container") == 0 ? MODE_CONTAINER : -1, i++;
        else if (strcmp(a, "--state-dir") == 0) sd = v, i++;
        else if (strcmp(a, "--id") == 0) S.id = v, i++;
        else if (strcmp(a, "--bundle") == 0) S.bundle = v, i++;
        else if (strcmp(a, "--process") == 0) S.process_json = v, i++;
        else if (strcmp(a, "--log") == 0) S.log_path = v, i++;
        else if (strcmp(a, "--log-max-size") == 0) S.log_max_size = atoll(v), i++;
        else if (strcmp(a, "--log-max-file") == 0) S.log_max_file = atoi(v), i++;
        else if (strcmp(a, "--sync-fd") == 0) S.sync_fd = atoi(v), i++;
        else if (strcmp(a, "--runtime-fd") == 0) S.rt_exe_fd = atoi(v), i++;
        else usage();
    }
    if (fcntl(S.sync_fd, F_GETFD) < 0) S.sync_fd = -1;
    /* Kept from the runtime's children and the container: execveat works through a close-on-exec fd. */
    if (S.rt_exe_fd > 2 && fcntl(S.rt_exe_fd, F_SETFD, FD_CLOEXEC) < 0) S.rt_exe_fd = -1;
    if (S.mode < 0 || !sd || !S.id || S.rt_argc < 1) usage();
    if (S.remove_state && S.mode != MODE_EXEC) usage();
    if ((S.mode == MODE_CONTAINER && !S.bundle) || (S.mode == MODE_EXEC && !S.process_json)) usage();
    if (!realpath(sd, S.state_dir)) die("state dir %s: %s", sd, strerror(errno));
}

/* ------------------------------------------------------------------------------------------
 * Spawner mode (see the top of the file)
 * ---------------------------------------------------------------------------------------- */
#define SP_MAX 256
struct pending { long id; int fd; char line[4096]; size_t len; };

static void spawner_reply(long id, const char *line) {
    char out[4200];
    int n = snprintf(out, sizeof out, "%ld %s\n", id, line);
    if (write_all(1, out, (size_t)(n < (int)sizeof out ? n : (int)sizeof out - 1)) < 0) exit(0); /* berthd gone */
}

/*
 * The runtime binary as a sealed memfd, made once per binary and handed to every shim on fd 4
 * (--runtime-fd). crun and runc protect themselves against a container overwriting their binary
 * (CVE-2019-5736) by copying themselves to a temp file and re-executing from it on *every* call,
 * unless /proc/self/exe already is a memfd sealed against writes: then they run as they are. So a
 * runtime call costs one exec instead of two (one dynamic load of ~10 libraries less: 4-8 ms each
 * on this machine, three calls per `run --rm`, one per exec), with the same protection. A binary
 * replaced on disk (an upgrade) is seen by its inode and mtime, and copied again.
 */
#define RT_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
static struct rt_image { char path[PATH_MAX]; dev_t dev; ino_t ino; struct timespec mtime; off_t size; int fd; } rt_images[4];

static int runtime_image(const char *path) {
    struct stat st;
    if (!path || path[0] != '/' || strlen(path) >= PATH_MAX || stat(path, &st) < 0 || !S_ISREG(st.st_mode)) return -1;
    struct rt_image *slot = NULL;
    for (size_t i = 0; i < sizeof rt_images / sizeof rt_images[0]; i++) {
        struct rt_image *r = &rt_images[i];
        if (r->fd > 0 && strcmp(r->path, path) == 0) {
            if (r->dev == st.st_dev && r->ino == st.st_ino && r->size == st.st_size && r->mtime.tv_sec == st.st_mtim.tv_sec &&
                r->mtime.tv_nsec == st.st_mtim.tv_nsec)
                return r->fd;
            close(r->fd); /* replaced on disk */
            r->fd = 0;
        }
        if (r->fd <= 0 && (!slot || slot->fd > 0)) slot = r;
    }
    if (!slot) return -1; /* more runtimes than slots: they run from their path */
    int src = open(path, O_RDONLY | O_CLOEXEC);
    if (src < 0) return -1;
    int fd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    off_t off = 0;
    while (fd >= 0 && off < st.st_size) {
        ssize_t n = sendfile(fd, src, &off, (size_t)(st.st_size - off));
        if (n <= 0 && !(n < 0 && errno == EINTR)) { close(fd); fd = -1; }
    }
    close(src);
    if (fd >= 0 && fcntl(fd, F_ADD_SEALS, RT_SEALS) < 0) { close(fd); fd = -1; }
    if (fd < 0) return -1;
    *slot = (struct rt_image){ .dev = st.st_dev, .ino = st.st_ino, .mtime = st.st_mtim, .size = st.st_size, .fd = fd };
    snprintf(slot->path, sizeof slot->path, "%s", path);
    return fd;
}

static void spawner_start(struct pending *sp, int *nsp, long id, char **args, const char *self) {
    int p[2];
    /* The runtime is the first argument after "--". */
    int rt_fd = -1;
    for (int k = 1; args[k]; k++)
        if (strcmp(args[k], "--") == 0) { rt_fd = runtime_image(args[k + 1]); break; }
    if (*nsp >= SP_MAX || pipe2(p, O_CLOEXEC) < 0) { spawner_reply(id, "error berth-shim spawner: too many pending spawns"); return; }
    pid_t pid = fork();
    if (pid < 0) { close(p[0]); close(p[1]); spawner_reply(id, "error berth-shim spawner: fork failed"); return; }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        int rt = rt_fd >= 0 ? fcntl(rt_fd, F_DUPFD_CLOEXEC, 10) : -1; /* out of the way of 3 and 4 */
        if (p[1] == 3) fcntl(3, F_SETFD, 0);
        else dup2(p[1], 3);
        /* Insert our own flags before the shim's arguments (args[0] is set below; room: argc <= 500 of 512). */
        int end = 1; /* args[end] is the terminating NULL */
        while (args[end]) end++;
        int ins = rt >= 0 && dup2(rt, 4) == 4 ? 3 : 1;
        memmove(args + 1 + ins, args + 1, (size_t)end * sizeof *args);
        /* This child is already detached: the spawner ignores SIGCHLD (the kernel reaps it) and
         * outlives nothing the shim needs, so the shim's own detaching fork would be a second
         * process creation per container and exec for nothing. */
        args[1] = "--no-fork";
        if (ins == 3) args[2] = "--runtime-fd", args[3] = "4";
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGCHLD, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        args[0] = "berth-shim";
        execv(self, args);
        _exit(127);
    }
    close(p[1]);
    set_nonblock(p[0]);
    sp[*nsp] = (struct pending){ .id = id, .fd = p[0] };
    (*nsp)++;
}

static int spawner_main(void) {
    static struct pending sp[SP_MAX];
    static char in[1 << 16];
    static char *args[512];
    char self[PATH_MAX];
    size_t inlen = 0;
    int nsp = 0, in_open = 1;
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) return 1;
    self[sl] = 0;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_IGN); /* the shims' first processes exit at once; the kernel reaps them */
    while (in_open || nsp > 0) {
        struct pollfd pf[SP_MAX + 1];
        int n = 0;
        if (in_open) pf[n++] = (struct pollfd){ 0, POLLIN, 0 };
        int base = n;
        for (int i = 0; i < nsp; i++) pf[n++] = (struct pollfd){ sp[i].fd, POLLIN, 0 };
        if (poll(pf, (nfds_t)n, -1) < 0) { if (errno == EINTR) continue; return 1; }
        for (int i = nsp - 1; i >= 0; i--) {
            if (!pf[base + i].revents) continue;
            struct pending *q = &sp[i];
            ssize_t r = read(q->fd, q->line + q->len, sizeof q->line - 1 - q->len);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r > 0) q->len += (size_t)r;
            char *nl = memchr(q->line, '\n', q->len);
            if (!nl && r > 0 && q->len < sizeof q->line - 1) continue;
            if (nl) *nl = 0;
            else q->line[q->len] = 0;
            spawner_reply(q->id, nl ? q->line : "error berth-shim exited without reporting");
            close(q->fd);
            sp[i] = sp[--nsp];
        }
        if (in_open && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r = read(0, in + inlen, sizeof in - inlen);
            if (r <= 0) { if (r < 0 && errno == EINTR) continue; in_open = 0; continue; }
            inlen += (size_t)r;
            /* Whole requests: a header line, then argc NUL-terminated strings. */
            for (;;) {
                char *nl = memchr(in, '\n', inlen);
                if (!nl) break;
                long id = 0;
                int argc = 0;
                if (sscanf(in, "%ld %d", &id, &argc) != 2 || argc < 1 || argc > 500) return 1; /* berthd's bug: stop */
                char *p = nl + 1, *end = in + inlen;
                int k = 1;
                for (; k <= argc && p < end; k++) {
                    char *z = memchr(p, 0, (size_t)(end - p));
                    if (!z) break;
                    args[k] = p;
                    p = z + 1;
                }
                if (k <= argc) break; /* incomplete: wait for more */
                args[argc + 1] = NULL;
                spawner_start(sp, &nsp, id, args, self);
                memmove(in, p, (size_t)(end - p));
                inlen = (size_t)(end - p);
            }
            if (inlen == sizeof in) return 1; /* a request larger than the buffer */
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--spawner") == 0) return spawner_main();
    S.lfd = S.sfd = S.log_fd = S.console_fd = S.rt_err_read = S.rt_exe_fd = -1;
    S.out_fd[0] = S.out_fd[1] = S.in_fd = -1;
    parse_args(argc, argv);
    for (int c = 0; c < 256; c++) esc_class[c] = c < 0x20 || c == '"' || c == '\\' ? 1 : c >= 0x80 ? 2 : 0;
    signal(SIGPIPE, SIG_IGN); /* a client vanishing mid-write must be an EPIPE, not our death */

    /* Detach: berthd spawned us and reaps this first process at once; the real shim is the
     * child, in its own session, reparented to init, so berthd can die and come back. Started by
     * the spawner (--no-fork), we already are such a process: its parent never waits for us. */
    if (!S.no_fork) {
        pid_t p = fork();
        if (p < 0) die("fork: %s", strerror(errno));
        if (p > 0) _exit(0);
    }
    setsid();
    if (chdir(S.state_dir) < 0) die("chdir %s: %s", S.state_dir, strerror(errno));
    int devnull = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; fd++)
        if (fd != S.sync_fd) dup2(devnull, fd);
    if (devnull > 2 && devnull != S.sync_fd) close(devnull);
    if (S.sync_fd >= 0) fcntl(S.sync_fd, F_SETFD, FD_CLOEXEC);
    /* The runtime's create/exec exits after forking the process; as subreaper we inherit it and
     * can waitpid() it for its exit status. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));

    char pidtxt[32];
    int pf = open("shim.pid", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (pf >= 0) { write_all(pf, pidtxt, (size_t)snprintf(pidtxt, sizeof pidtxt, "%d", (int)getpid())); close(pf); }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    S.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (S.sfd < 0) die("signalfd: %s", strerror(errno));

    if (S.log_path) {
        S.log_fd = open(S.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (S.log_fd < 0) die("open log %s: %s", S.log_path, strerror(errno));
        struct stat st;
        if (fstat(S.log_fd, &st) == 0) S.log_size = st.st_size; /* a restart appends to the same file */
    }
    S.lfd = listen_unix("shim.sock");
    if (S.lfd < 0) die("listen %s/shim.sock: %s", S.state_dir, strerror(errno));
    setup_stdio();

    if (S.mode == MODE_CONTAINER) {
        create_container();
        sync_reply("ok %d %d", (int)S.main_pid, (int)getpid());
    } else {
        sync_reply("ok 0 %d", (int)getpid());
    }
    loop();
    finish();
    if (S.remove_state) remove_state_dir();
    return 0;
}
