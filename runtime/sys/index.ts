// Entry point of the sys layer: the interface, its errors, and the shared real implementation (tests
// import FakeSys from fake-sys.ts directly, so production code never loads it).
// Importing this does not load koffi; the first kernel operation does.
import { KoffiSys } from './koffi-sys.ts';
import type { Sys } from './sys.ts';

export * from './sys.ts';
export { KoffiSys };

let shared: Sys | undefined;

/** The process-wide real Sys. */
export function realSys(): Sys {
  return (shared ??= new KoffiSys());
}
