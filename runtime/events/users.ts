// `username`: a user id → the user's name from /etc/passwd, looked up when the value prints (as bpftrace
// does), so a name added while tracing is found. The file is read again only when it changes.

import { readFileSync, statSync } from 'node:fs';

const PASSWD = '/etc/passwd';

let cache: { stamp: string; names: Map<bigint, string> } | undefined;

/** The first name /etc/passwd gives the uid, or '' when it has none (or the file cannot be read). */
export function userName(uid: bigint, path = PASSWD): string {
  let stamp: string;
  try {
    const st = statSync(path);
    stamp = `${path}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
  if (cache?.stamp !== stamp) cache = { stamp, names: parsePasswd(readFileSync(path, 'utf8')) };
  return cache.names.get(uid) ?? '';
}

/** `name:password:uid:gid:...` lines; the first line for a uid wins, as getpwuid() finds it. */
export function parsePasswd(text: string): Map<bigint, string> {
  const names = new Map<bigint, string>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3 || !/^\d+$/.test(fields[2]!)) continue;
    const uid = BigInt(fields[2]!);
    if (!names.has(uid)) names.set(uid, fields[0]!);
  }
  return names;
}
