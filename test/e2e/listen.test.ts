// Scenario 11, the listening-socket tracer, on the host kernel in its tracepoint and raw tracepoint
// forms: a TCP listener in a fresh network namespace is reported with its address, port, backlog and
// the namespace's inode.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kernelTestsEnabled, runTsbt } from './harness.ts';

const t = suite('listening-socket tracer');
const k = kernelTestsEnabled() ? t : t.skip;
const example = (name: string) => fileURLToPath(new URL(`../../docs/examples/${name}`, import.meta.url));

const forms = [['listen-tracepoint.bt', 'tracepoint'], ['listen-rawtracepoint.bt', 'raw tracepoint with typed args']];

for (const [script, form] of forms) k(`${form}: a listener in a new network namespace is reported with its port, backlog and namespace inode`, async () => {
  let namespace = '';
  const r = await runTsbt([example(script!)], {
    onAttached(child) {
      // python3 listens on 127.0.0.1:4242 with a backlog of 7 inside `unshare -n` and prints its netns link.
      const out = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up 2>/dev/null; python3 -c "import socket,os; s=socket.socket(); s.bind((\'127.0.0.1\',4242)); s.listen(7); print(os.readlink(\'/proc/self/ns/net\'))"'], { encoding: 'utf8' });
      namespace = /net:\[(\d+)\]/.exec(out.stdout)?.[1] ?? `(no namespace: ${out.stderr})`;
      setTimeout(() => child.kill('SIGINT'), 300);
    },
  });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `Listening on 127.0.0.1 4242 with 7 pending connections in container ${namespace}\n`);
});

t.run();
