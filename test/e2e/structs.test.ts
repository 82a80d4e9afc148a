// Structs defined in the script, read from user memory through a uprobe's argument, C layout rules.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelTestsEnabled, runTsbt } from './harness.ts';

const t = suite('script-defined structs');
const k = kernelTestsEnabled() ? t : t.skip;

k('struct conn { ... } in the script reads a C program\'s struct, following its pointer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbt-structs-'));
  try {
    const bin = join(dir, 'conn');
    // -O0 keeps the structs in memory (the probed function does not read them itself).
    execFileSync('cc', ['-O0', '-o', bin, fileURLToPath(new URL('../fixtures/structs/conn.c', import.meta.url))]);
    const script = `struct conn { uint32 id; char name[16]; uint16 port; struct conn *next; }
      uprobe:${bin}:tsbt_handle { $c = (struct conn *)arg0;
        printf("%d %s %d -> %d %s %d (size %d)\\n", $c->id, $c->name, $c->port, $c->next->id, $c->next->name, $c->next->port, sizeof(struct conn)); exit(); }`;
    const r = await runTsbt(['-e', script], { onAttached: () => void execFileSync(bin) });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, '42 alpha 443 -> 7 beta 8080 (size 32)\n\n\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
