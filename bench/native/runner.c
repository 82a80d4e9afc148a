// bench/native/runner.c: fork/exec one command and report, on fd 3, when it started (CLOCK_MONOTONIC,
// the clock of Node's process.hrtime), its pid, and at the end its exit status, peak RSS (wait4's
// ru_maxrss), end time and CPU time (user + system, µs: less disturbed than wall time on a busy machine). Like /usr/bin/time, but with nanosecond times and without printing on the
// command's own streams. The runner ignores SIGINT/SIGTERM: the harness signals the whole process
// group, and the traced tool decides what to do with the signal.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: runner COMMAND [ARGS...]   (reports on fd 3)\n");
    return 2;
  }
  int report = fcntl(3, F_GETFD) == -1 ? 2 : 3;
  if (report == 3) fcntl(3, F_SETFD, FD_CLOEXEC);
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  long long t0 = now_ns();
  pid_t pid = fork();
  if (pid < 0) {
    perror("runner: fork");
    return 127;
  }
  if (pid == 0) {
    // Ignored signals stay ignored across exec: give the command the default dispositions back.
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execvp(argv[1], argv + 1);
    fprintf(stderr, "runner: cannot run %s: %m\n", argv[1]);
    _exit(127);
  }
  dprintf(report, "fork %d %lld\n", (int)pid, t0);
  int status = 0;
  struct rusage ru = {0};
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      perror("runner: wait4");
      return 127;
    }
  }
  long long t1 = now_ns();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  long long cpu_us = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  dprintf(report, "exit %d %d %ld %lld %lld\n", code, sig, ru.ru_maxrss, t1, cpu_us);
  return code >= 0 ? code : 128 + sig;
}
