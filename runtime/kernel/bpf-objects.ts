// The BPF programs and maps alive in the whole kernel (like `bpftool prog list`), by id and name, so
// tests and diagnostics can check that nothing named tsbt_* outlived its session.
import type { BpfObjectKind, Sys } from '../sys/sys.ts';
import { isSysError } from '../sys/sys.ts';

export interface BpfObject {
  kind: BpfObjectKind;
  id: number;
  name: string;
}

/** Every live program or map; objects that vanish while being listed are skipped. */
export function listBpfObjects(sys: Sys, kind: 'prog' | 'map'): BpfObject[] {
  const out: BpfObject[] = [];
  for (let id = sys.getNextId(kind, 0); id !== null; id = sys.getNextId(kind, id)) {
    let fd: number;
    try {
      fd = sys.getFdById(kind, id);
    } catch (err) {
      if (isSysError(err, 'ENOENT')) continue;
      throw err;
    }
    try {
      const name = kind === 'prog' ? sys.progGetInfo(fd).name : sys.mapGetInfo(fd).name;
      out.push({ kind, id, name });
    } finally {
      sys.close(fd);
    }
  }
  return out;
}

/** Live programs and maps whose name starts with `prefix` (tsbt names everything `tsbt_…`). */
export function listBpfObjectsNamed(sys: Sys, prefix: string): BpfObject[] {
  return [...listBpfObjects(sys, 'prog'), ...listBpfObjects(sys, 'map')].filter((o) => o.name.startsWith(prefix));
}
