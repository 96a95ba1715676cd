// Escape probes for test/integration/reliability/escape.test.ts: each tries one thing Docker's
// defaults block from inside a container and prints "allowed" or "blocked <errno name>".
// Built static in the test (gcc -static), bind-mounted into a busybox container.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <unistd.h>

static int report(long rc) {
  if (rc >= 0) {
    printf("allowed\n");
    return 0;
  }
  printf("blocked %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *p = argv[1];
  if (!strcmp(p, "mount")) return report(mount("none", "/tmp", "tmpfs", 0, NULL));
  if (!strcmp(p, "keyctl")) return report(syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, "berth-probe"));
  if (!strcmp(p, "add_key")) return report(syscall(SYS_add_key, "user", "berth-probe", "x", 1, -3 /* KEY_SPEC_SESSION_KEYRING */));
  if (!strcmp(p, "unshare-user")) return report(unshare(CLONE_NEWUSER));
  if (!strcmp(p, "unshare-mount")) return report(unshare(CLONE_NEWNS));
  if (!strcmp(p, "ptrace") && argc > 2) return report(ptrace(PTRACE_ATTACH, atoi(argv[2]), NULL, NULL));
  if (!strcmp(p, "finit_module")) {
    int fd = open("/probe", O_RDONLY);
    return report(syscall(SYS_finit_module, fd, "", 0));
  }
  if (!strcmp(p, "init_module")) {
    static char image[64];
    return report(syscall(SYS_init_module, image, sizeof image, ""));
  }
  if (!strcmp(p, "delete_module")) return report(syscall(SYS_delete_module, "loop", 0));
  if (!strcmp(p, "raw-socket")) return report(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  if (!strcmp(p, "open") && argc > 2) return report(open(argv[2], O_RDONLY));
  return 2;
}
