// A small C program the reliability tests run as traced load, compiled with cc at test time (once per
// test process): it makes exactly the system calls asked for, so tests can count events exactly.
//   child flood N          getppid N times (raw syscalls: glibc could cache or skip nothing here)
//   child name HEX N       set its comm to the bytes HEX (prctl PR_SET_NAME), then getppid N times
//   child open HEX         open() the path whose bytes are HEX (it need not exist)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCE = String.raw`
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void unhex(const char *h, char *out, size_t cap) {
  size_t n = strlen(h) / 2;
  if (n >= cap) n = cap - 1;
  for (size_t i = 0; i < n; i++) sscanf(h + 2 * i, "%2hhx", (unsigned char *)&out[i]);
  out[n] = 0;
}

static void getppids(long n) {
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "flood") == 0) {
    getppids(atol(argv[2]));
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "name") == 0) {
    char name[17];
    unhex(argv[2], name, sizeof name);
    prctl(PR_SET_NAME, name);
    getppids(atol(argv[3]));
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "open") == 0) {
    char path[256];
    unhex(argv[2], path, sizeof path);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) close(fd);
    return 0;
  }
  fprintf(stderr, "usage: child flood N | name HEX N | open HEX\n");
  return 2;
}
`;

let built: string | undefined;

/** The path of the compiled child. */
export function childBinary(): string {
  if (built) return built;
  const dir = mkdtempSync(join(tmpdir(), 'tsbt-reliability-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'child.c'), SOURCE);
  execFileSync('cc', ['-O2', '-o', join(dir, 'child'), join(dir, 'child.c')], { stdio: 'inherit' });
  built = join(dir, 'child');
  return built;
}

export const hex = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('hex');
