// bench/native/attached.c: LD_PRELOAD shim that tells when bpftrace 0.17 has attached its probes.
// bpftrace 0.17 prints "Attaching N probes..." *before* attaching and has no
// __BPFTRACE_NOTIFY_PROBES_ATTACHED (that came in later versions). It attaches every probe through
// libbcc: perf_event_open, then ioctl(PERF_EVENT_IOC_SET_BPF) and ioctl(PERF_EVENT_IOC_ENABLE); BEGIN
// runs; then it enters its event loop, which waits in epoll_wait. So the first epoll_wait call is the
// first moment at which every probe is attached and enabled. There the shim writes one line to stderr:
//   __BENCH_ATTACHED <attach ioctls> <ns of the last attach ioctl> <ns now>   (CLOCK_MONOTONIC)
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static unsigned long attach_calls;
static long long last_attach_ns;
static int notified;

int ioctl(int fd, unsigned long request, ...) {
  static int (*real)(int, unsigned long, ...);
  if (!real) real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
  va_list ap;
  va_start(ap, request);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  int r = real(fd, request, arg);
  if (r == 0 && (request == PERF_EVENT_IOC_ENABLE || request == PERF_EVENT_IOC_SET_BPF)) {
    attach_calls++;
    last_attach_ns = now_ns();
  }
  return r;
}

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
  static int (*real)(int, struct epoll_event *, int, int);
  if (!real) real = (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT, "epoll_wait");
  if (!notified) {
    notified = 1;
    dprintf(2, "__BENCH_ATTACHED %lu %lld %lld\n", attach_calls, last_attach_ns, now_ns());
  }
  return real(epfd, events, maxevents, timeout);
}
