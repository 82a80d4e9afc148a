// bench/native/load.c: the fixed syscall workloads of the benchmark. Prints one JSON object per line.
//   load getppid N                 N getppid() system calls, as fast as possible
//   load steps RATE:COUNT ...      step i makes COUNT getpgid(seq) calls, seq = (i+1)*10000000 + j,
//                                  paced at RATE calls per second (0 = as fast as possible), with a
//                                  pause between steps so that a tracer can drain its buffer; a step
//                                  stops early at its deadline (twice its planned time, or 1 s when
//                                  unpaced), since a tracer may slow every call down a lot
// getpgid(seq) on a pid that does not exist fails at once with ESRCH; a tracer prints args->pid, so
// every line it delivers says which step and which call it came from.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc >= 3 && argv[1][0] == 'g') {
    long n = atol(argv[2]);
    long long t0 = now_ns();
    for (long i = 0; i < n; i++) syscall(SYS_getppid);
    printf("{\"n\":%ld,\"ns\":%lld}\n", n, now_ns() - t0);
    return 0;
  }
  if (argc >= 3 && argv[1][0] == 's') {
    long pause_ms = getenv("LOAD_PAUSE_MS") ? atol(getenv("LOAD_PAUSE_MS")) : 300;
    for (int s = 2; s < argc; s++) {
      long rate = 0, count = 0;
      if (sscanf(argv[s], "%ld:%ld", &rate, &count) != 2) return 2;
      long base = (long)(s - 1) * 10000000L;
      long long t0 = now_ns();
      long long deadline = t0 + (rate > 0 ? (long long)(2e9 * (double)count / (double)rate) : 1000000000LL);
      long j = 0;
      for (; j < count; j++) {
        if ((j & 15) == 0) {
          long long t = now_ns();
          if (t > deadline) break;
          if (rate > 0) {
            long long due = t0 + (long long)((double)j * 1e9 / (double)rate);
            while (t < due) t = now_ns();
          }
        }
        syscall(SYS_getpgid, (pid_t)(base + j));
      }
      count = j;
      long long ns = now_ns() - t0;
      printf("{\"step\":%d,\"base\":%ld,\"rate\":%ld,\"sent\":%ld,\"ns\":%lld}\n", s - 2, base, rate, count, ns);
      fflush(stdout);
      struct timespec p = { pause_ms / 1000, (pause_ms % 1000) * 1000000L };
      nanosleep(&p, NULL);
    }
    return 0;
  }
  fprintf(stderr, "usage: load getppid N | load steps RATE:COUNT ...\n");
  return 2;
}
