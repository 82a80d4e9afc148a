// Host-side checks of the kernel-matrix harness (test/kernels/), so a broken batch file or a broken
// vmlinux extraction shows up in the main suite, without booting anything. `npm run test:kernels`
// runs the batch itself in the guest kernels.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchGroups, bundleBatch } from '../kernels/bundle.ts';
import { extractVmlinux } from '../kernels/fetch.ts';

const t = suite('kernel matrix harness');

t('the guest batch bundles, and every batch file registers tests', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbt-km-'));
  try {
    const out = join(dir, 'batch.mjs');
    const groups = await bundleBatch(out);
    assert.ok(groups.includes('kprobe') && groups.includes('kretprobe'), groups.join(', '));
    const plan = JSON.parse(execFileSync(process.execPath, [out, '--list'], { encoding: 'utf8' })) as Array<{ group: string; name: string }>;
    for (const g of batchGroups()) assert.ok(plan.some((p) => p.group === g), `batch/${g}.ts registers no test`);
    const names = plan.map((p) => `${p.group}: ${p.name}`);
    assert.is(new Set(names).size, names.length, 'two tests with the same name');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [tool, magic] of [['xz', 'fd377a585a00'], ['gzip', '1f8b08']] as const) {
  const has = spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
  (has ? t : t.skip)(`extractVmlinux finds the ${tool} stream inside a bzImage-like file`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbt-km-'));
    try {
      const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(4000, 7)]);
      const packed = execFileSync(tool, ['-c'], { input: elf });
      assert.is(packed.subarray(0, magic.length / 2).toString('hex'), magic);
      // A setup header that happens to contain the magic of another format, then the stream, then junk.
      const image = Buffer.concat([Buffer.alloc(512, 0x28), Buffer.from('BZh9'), Buffer.alloc(100), packed, Buffer.alloc(300, 0xff)]);
      writeFileSync(join(dir, 'vmlinuz'), image);
      assert.ok(extractVmlinux(join(dir, 'vmlinuz'), join(dir, 'vmlinux')));
      assert.ok(readFileSync(join(dir, 'vmlinux')).equals(elf));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

t.run();
