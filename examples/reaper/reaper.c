// berth-reaper: a small stand-in for testcontainers' Ryuk (testcontainers/ryuk lives on Docker
// Hub). It speaks Ryuk's protocol: clients connect to TCP 8080 and send filter lines such as
// "label=org.testcontainers.session-id=X" (several "k=v" joined by '&'); each line is answered
// "ACK\n". Once every client has gone and RYUK_RECONNECTION_TIMEOUT (default 10s) passes with no
// new one, it removes the containers, networks, volumes and images those filters match, through
// the Engine API on the bind-mounted /var/run/docker.sock, and exits. If nobody connects within
// RYUK_CONNECTION_TIMEOUT (default 60s) it exits too.
// Build: gcc -static -O2 -o reaper reaper.c
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 64
#define MAX_FILTERS 64
#define LINE_MAX_LEN 4096

static const char *docker_sock = "/var/run/docker.sock";
static char *filters[MAX_FILTERS]; // each a JSON object: {"label":["a=b"],...}
static int nfilters;
static char response[1 << 20];

static long seconds_env(const char *name, long dflt) {
  const char *v = getenv(name);
  if (!v || !*v) return dflt;
  char *end;
  double n = strtod(v, &end);
  // The common forms of the Go durations Ryuk takes: "10s", "5", "1m", "500ms".
  if (end[0] == 'm' && end[1] == 's') n /= 1000;
  else if (end[0] == 'm') n *= 60;
  return n < 0 ? dflt : (long)(n + 0.999);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// One Engine API call over the unix socket (HTTP/1.0: the reply ends when the daemon closes).
static int api(const char *method, const char *path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  strncpy(sa.sun_path, docker_sock, sizeof sa.sun_path - 1);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    fprintf(stderr, "connect %s: %s\n", docker_sock, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  dprintf(fd, "%s %s HTTP/1.0\r\nHost: docker\r\nContent-Length: 0\r\n\r\n", method, path);
  size_t got = 0;
  ssize_t n;
  while (got < sizeof response - 1 && (n = read(fd, response + got, sizeof response - 1 - got)) > 0) got += n;
  response[got] = 0;
  close(fd);
  int status = 0;
  sscanf(response, "HTTP/%*s %d", &status);
  return status;
}

static void urlencode(const char *in, char *out, size_t outsz) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (; *in && o + 4 < outsz; in++) {
    unsigned char c = *in;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') out[o++] = c;
    else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  out[o] = 0;
}

// "label=a=b&label=c=d" -> {"label":["a=b"],"label":...}: the daemon's filter parser joins
// repeated keys, so each pair becomes its own key/value array.
static void add_filter(const char *line) {
  char json[LINE_MAX_LEN * 2] = "{";
  char copy[LINE_MAX_LEN];
  snprintf(copy, sizeof copy, "%s", line);
  char *save, *pair = strtok_r(copy, "&", &save);
  int first = 1;
  for (; pair; pair = strtok_r(NULL, "&", &save)) {
    char *eq = strchr(pair, '=');
    if (!eq || strpbrk(pair, "\"\\")) continue;
    *eq = 0;
    size_t len = strlen(json);
    snprintf(json + len, sizeof json - len, "%s\"%s\":[\"%s\"]", first ? "" : ",", pair, eq + 1);
    first = 0;
  }
  strncat(json, "}", sizeof json - strlen(json) - 1);
  if (first) return;
  for (int i = 0; i < nfilters; i++)
    if (!strcmp(filters[i], json)) return;
  if (nfilters < MAX_FILTERS) filters[nfilters++] = strdup(json);
}

// Adds a key to a filter's JSON object: {"a":["b"]} + "dangling","false" -> {"a":["b"],"dangling":["false"]}.
static void with_key(const char *json, const char *k, const char *v, char *out, size_t outsz) {
  snprintf(out, outsz, "%.*s,\"%s\":[\"%s\"]}", (int)strlen(json) - 1, json, k, v);
}

static void reap(void) {
  char enc[LINE_MAX_LEN * 6], extra[LINE_MAX_LEN * 3], path[LINE_MAX_LEN * 7];
  int removed = 0;
  char self[65] = ""; // the container's hostname is its short ID unless --hostname set another
  if (gethostname(self, sizeof self - 1) < 0 || strspn(self, "0123456789abcdef") != strlen(self)) self[0] = 0;
  for (int i = 0; i < nfilters; i++) {
    urlencode(filters[i], enc, sizeof enc);
    snprintf(path, sizeof path, "/containers/json?all=1&filters=%s", enc);
    if (api("GET", path) == 200) {
      char ids[256][65];
      int nids = 0;
      for (char *p = response; (p = strstr(p, "\"Id\":\"")) && nids < 256; p += 6) {
        if (sscanf(p + 6, "%64[0-9a-f]", ids[nids]) == 1) nids++;
      }
      for (int j = 0; j < nids; j++) {
        if (*self && !strncmp(ids[j], self, strlen(self))) continue; // its own container goes last (or by AutoRemove)
        snprintf(path, sizeof path, "/containers/%s?force=1&v=1", ids[j]);
        if (api("DELETE", path) / 100 == 2) removed++;
      }
    }
    snprintf(path, sizeof path, "/networks/prune?filters=%s", enc);
    api("POST", path);
    with_key(filters[i], "all", "true", extra, sizeof extra); // named volumes too (API 1.42+)
    urlencode(extra, enc, sizeof enc);
    snprintf(path, sizeof path, "/volumes/prune?filters=%s", enc);
    api("POST", path);
    with_key(filters[i], "dangling", "false", extra, sizeof extra); // tagged images too
    urlencode(extra, enc, sizeof enc);
    snprintf(path, sizeof path, "/images/prune?filters=%s", enc);
    api("POST", path);
  }
  printf("Removed %d container(s) for %d filter(s)\n", removed, nfilters);
  fflush(stdout);
}

int main(void) {
  long reconnect = seconds_env("RYUK_RECONNECTION_TIMEOUT", 10), first_wait = seconds_env("RYUK_CONNECTION_TIMEOUT", 60);
  int port = (int)seconds_env("RYUK_PORT", 8080);
  int lfd = socket(AF_INET6, SOCK_STREAM, 0), one = 1, zero = 0;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any};
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 16) < 0) {
    perror("listen");
    return 1;
  }
  printf("Started on port %d\n", port);
  fflush(stdout);

  struct pollfd fds[MAX_CLIENTS + 1] = {{.fd = lfd, .events = POLLIN}};
  char bufs[MAX_CLIENTS + 1][LINE_MAX_LEN];
  size_t lens[MAX_CLIENTS + 1] = {0};
  int nfds = 1, ever = 0;
  double deadline = now() + first_wait;
  for (;;) {
    int wait_ms = nfds > 1 ? -1 : (int)((deadline - now()) * 1000);
    if (nfds == 1 && wait_ms <= 0) break;
    if (poll(fds, nfds, wait_ms) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      int c = accept(lfd, NULL, NULL);
      if (c >= 0 && nfds <= MAX_CLIENTS) {
        fds[nfds] = (struct pollfd){.fd = c, .events = POLLIN};
        lens[nfds++] = 0;
        ever = 1;
      } else if (c >= 0) close(c);
    }
    for (int i = 1; i < nfds; i++) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, bufs[i] + lens[i], sizeof bufs[i] - 1 - lens[i]);
      if (n <= 0) { // gone: drop it, and start the reconnection clock when it was the last
        close(fds[i].fd);
        fds[i] = fds[nfds - 1];
        memcpy(bufs[i], bufs[nfds - 1], lens[nfds - 1]);
        lens[i] = lens[nfds - 1];
        nfds--;
        i--;
        if (nfds == 1) deadline = now() + reconnect;
        continue;
      }
      lens[i] += n;
      char *nl;
      while ((nl = memchr(bufs[i], '\n', lens[i]))) {
        *nl = 0;
        if (nl > bufs[i] && nl[-1] == '\r') nl[-1] = 0;
        if (bufs[i][0]) {
          add_filter(bufs[i]);
          if (write(fds[i].fd, "ACK\n", 4) < 0) { /* the close shows up on the next read */
          }
        }
        size_t rest = lens[i] - (nl + 1 - bufs[i]);
        memmove(bufs[i], nl + 1, rest);
        lens[i] = rest;
      }
      if (lens[i] == sizeof bufs[i] - 1) lens[i] = 0; // a line too long for a filter: drop it
    }
  }
  if (ever) reap();
  return 0;
}
