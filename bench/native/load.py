# bench/native/load.py: the same workloads as load.c, for machines without a C compiler (slower).
import json, os, sys, time
if len(sys.argv) >= 3 and sys.argv[1] == 'getppid':
    n = int(sys.argv[2]); g = os.getppid; t0 = time.monotonic_ns()
    for _ in range(n): g()
    print(json.dumps({'n': n, 'ns': time.monotonic_ns() - t0}))
elif len(sys.argv) >= 3 and sys.argv[1] == 'steps':
    pause = int(os.environ.get('LOAD_PAUSE_MS', '300')) / 1000
    for s, spec in enumerate(sys.argv[2:]):
        rate, count = (int(x) for x in spec.split(':'))
        base = (s + 1) * 10000000; t0 = time.monotonic_ns()
        deadline = t0 + (2e9 * count / rate if rate > 0 else 1e9)
        sent = 0
        for j in range(count):
            if j % 16 == 0:
                if time.monotonic_ns() > deadline: break
                if rate > 0:
                    due = t0 + j * 1e9 / rate
                    while time.monotonic_ns() < due: pass
            try: os.getpgid(base + j)
            except OSError: pass
            sent += 1
        count = sent
        print(json.dumps({'step': s, 'base': base, 'rate': rate, 'sent': count, 'ns': time.monotonic_ns() - t0}), flush=True)
        time.sleep(pause)
else:
    sys.exit('usage: load.py getppid N | load.py steps RATE:COUNT ...')
