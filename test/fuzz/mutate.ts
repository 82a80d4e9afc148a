// Mutations of program text. Tokens are found with a small tokenizer of its own (not the grammar's
// lexer, so that a lexer bug cannot hide inputs from the fuzzer): words (probe specs included), maps,
// variables, numbers, strings, operators and punctuation. A mutation deletes, duplicates, swaps or
// replaces tokens (a replacement is usually of the same class, so the program still parses and the type
// checker, the resources pass and the lowering get inputs they have not seen), inserts vocabulary,
// cuts the text, drops or repeats lines, splices in part of another program, or flips characters.

import type { Random } from './random.ts';

type TokenClass = 'word' | 'spec' | 'map' | 'var' | 'number' | 'string' | 'op' | 'punct' | 'space' | 'comment' | 'other';

export interface Token {
  start: number;
  end: number;
  cls: TokenClass;
}

const TOKEN = new RegExp([
  String.raw`(?<space>\s+)`,
  String.raw`(?<comment>\/\/[^\n]*|\/\*[\s\S]*?\*\/)`,
  String.raw`(?<string>"(?:\\.|[^"\\\n])*"?)`,
  String.raw`(?<spec>[A-Za-z_][\w-]*:[^\s,{}<>;()"]*)`,
  String.raw`(?<word>[A-Za-z_]\w*)`,
  String.raw`(?<map>@\w*)`,
  String.raw`(?<var>\$(?:\w+|#))`,
  String.raw`(?<number>\d[\w]*)`,
  String.raw`(?<op><<=|>>=|->|\.\.|\+\+|--|&&|\|\||<<|>>|<=|>=|==|!=|[-+*/%&|^]=|[-+*/%&|^!~<>?:=])`,
  String.raw`(?<punct>[()[\]{};,.])`,
  String.raw`(?<other>[\s\S])`,
].join('|'), 'gy');

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(text)) !== null) {
    const cls = Object.entries(m.groups!).find(([, v]) => v !== undefined)![0] as TokenClass;
    out.push({ start: m.index, end: m.index + m[0].length, cls });
    if (m[0].length === 0) break;
  }
  return out;
}

/** Replacements by class: valid and invalid names, numbers at the edges, format strings, specs. */
export const VOCABULARY: Record<TokenClass, string[]> = {
  word: [
    'pid', 'tid', 'uid', 'gid', 'comm', 'nsecs', 'cpu', 'rand', 'cgroup', 'curtask', 'ncpus', 'probe', 'args', 'retval', 'cpid',
    'arg0', 'arg1', 'arg5', 'arg6', 'arg11', 'arg12', 'kstack', 'ustack', 'func', 'elapsed', 'username',
    'count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist', 'printf', 'print', 'time', 'cat', 'exit', 'clear', 'zero', 'delete',
    'has_key', 'str', 'ntop', 'ntohs', 'ntohl', 'htons', 'htonl', 'bswap', 'system', 'strftime', 'buf', 'join',
    'if', 'else', 'while', 'for', 'unroll', 'let', 'break', 'continue', 'return', 'sizeof', 'offsetof', 'true', 'false', 'struct', 'config',
    'uint8', 'int8', 'uint16', 'int32', 'uint64', 'string', 'char', 'unsigned', 'long', 'bool', 'void', 'pid_t', 'size_t', 'u32', 's64',
    'sock', 'task_struct', 'list_head', 'file', 'mm_struct', 'in6_addr', 'sockaddr', 'nope',
    'pid', 'comm', 'skc_dport', 'sk_max_ack_backlog', 'parent', 'next', 'prev', 'tasks', 'in6_u', 'u6_addr8', 'sa_family', 'mm',
    'ret', 'filename', 'saddr', 'daddr_v6', 'sport', 'prev_comm', 'rwbs', 'weird', 'cmd', 'common_pid', 'flags', 'sk', 'p', 'code',
    'max_strlen', 'max_map_keys', 'print_maps_on_exit', 'hash', 'lruhash', 'percpuhash', 'percpulruhash', 'array',
    'BEGIN', 'END', 'x', 'a',
  ],
  spec: [
    'BEGIN', 'END', 'begin', 'end', 'kprobe:vfs_read', 'kretprobe:vfs_read', 'kprobe:vfs_read+16', 'kretprobe:vfs_read+16', 'kprobe:',
    'k:*', 'kprobe:a:b:c', 'tracepoint:syscalls:sys_exit_read', 'tracepoint:syscalls:sys_enter_openat', 'tracepoint:sched:sched_process_exec',
    'tracepoint:sock:inet_sock_set_state', 'tracepoint:block:block_rq_issue', 'tracepoint:nope:nope', 'tracepoint:syscalls:*', 't:*:*',
    'tracepoint:syscalls', 't:sched:sched_swich', 'rawtracepoint:sched_switch', 'rt:a:b:c', 'rawtracepoint:bad-name',
    'fentry:vfs_read', 'fexit:vfs_read', 'fentry:nope', 'fexit:do_exit', 'fentry:tcp_v4_connect', 'fexit:inet_csk_accept', 'fentry:vfs_*',
    'fentry:wake_up_new_task', 'kfunc:mod:vfs_read', 'uprobe:/usr/bin/bash:readline', 'uretprobe:/usr/bin/bash:readline',
    'uprobe:/usr/bin/bash:readline+4', 'uprobe:/usr/bin/bash:shell_name', 'uprobe:libc:memcpy', 'uprobe:libc:strlen', 'uprobe:libc:strlen+1',
    'uprobe:libc:*', 'uprobe:/nonexistent:f', 'uprobe:bash:0x0', 'uprobe:bash:0xd5a31', 'uprobe:bash:0xffffffff', 'uretprobe:bash:readline+1',
    'uprobe::readline', 'usdt:/opt/app/bin/server:app:request', 'usdt:/opt/app/bin/server:done', 'usdt:/opt/app/bin/server:other:done',
    'usdt:/opt/app/bin/server:*', 'usdt:/usr/bin/bash:x', 'usdt:a', 'interval:s:1', 'interval:s:0', 'interval:hz:1', 'interval:xs:1',
    'interval:99999999999999999999s', 'profile:hz:99', 'software:cpu-clock:0', 'software:nope', 'hardware:cycles:-1', 'h:cache-misses',
    'watchpoint:0x1000:8:w', 'iter:task', 'nope:x',
  ],
  map: ['@', '@a', '@b', '@x', '@start', '@bytes', '@count_by_comm', '@m0', '@very_long_map_name_that_exceeds_the_kernel_limit', '@_', '@9'],
  var: ['$x', '$i', '$s', '$t', '$p', '$kv', '$1', '$2', '$3', '$4', '$0', '$99', '$#', '$sk', '$task'],
  number: [
    '0', '1', '2', '7', '8', '15', '16', '63', '64', '65', '100', '101', '255', '256', '511', '512', '513', '1000', '1001', '4096', '4097',
    '65536', '16777216', '16777217', '2147483647', '2147483648', '4294967295', '4294967296', '9223372036854775807', '9223372036854775808',
    '18446744073709551615', '18446744073709551616', '0x', '0x1s', '089', '1e999', '1e-3', '1_', '5ms', '1d', '0xFFFFFFFFFFFFFFFF', '10ULL', '1.5',
  ],
  string: [
    '""', '"%d"', '"%s"', '"%d %s"', '"%"', '"%*d"', '"%f"', '"%lls"', '"%c"', '"%p"', '"%%"', '"%d %d %d %d %d %d %d %d"', '"\\x"', '"\\777"',
    '"\\q"', '"a\\0b"', `"${'x'.repeat(200)}"`, `"${'%d'.repeat(40)}"`, '"/proc/%d/status"', '"%H:%M:%S"', '"bash"', '"\u00e9\u{1f600}"',
  ],
  op: [
    '+', '-', '*', '/', '%', '<<', '>>', '<', '>', '<=', '>=', '==', '!=', '&', '|', '^', '&&', '||', '!', '~', '?', ':', '=', '++', '--',
    '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>=', '->', '..',
  ],
  punct: ['(', ')', '[', ']', '{', '}', ';', ',', '.', '<', '>'],
  space: [' ', '\n', '\t', '', '\r\n'],
  comment: ['/* */', '//\n', '/*', '*/'],
  other: ['#', '\\', "'a'", '`', '\0', '\u00a0', '\ufeff', '#include <x>\n', '#define X 1\n'],
};

const INSERTS = [
  ...VOCABULARY.punct, ...VOCABULARY.op, 'if (1) {', '} else {', 'while (1) {', 'for ($i : 0..3) {', 'unroll(3) {', 'let $x', 'let @m = hash(1);',
  'config = { max_strlen = 1 }', '@x = count();', '@x = 1;', '@x = "s";', '$x = 1;', '$x = "s";', 'exit();', 'return;', 'break;', 'continue;',
  'print(@x);', 'delete(@x);', 'clear(@x);', '(struct sock *)', '(uint8[4])', '->comm', '.0', '[0]', '[1, 2]', '(1, "a")', 'str(arg0)',
  'BEGIN {', 'END <', 'kprobe:f {', '/pid/', '"', '$', '@', '\n', 'struct x { int a; };',
];

function pickToken(tokens: Token[], r: Random, solid = true): Token | undefined {
  const pool = solid ? tokens.filter((t) => t.cls !== 'space') : tokens;
  return pool.length ? r.pick(pool) : undefined;
}

/** One mutation of `text`; `other` is a second program to splice from. */
export function mutateOnce(text: string, r: Random, other?: string): string {
  const tokens = tokenize(text);
  const cut = (t: Token, by = '') => text.slice(0, t.start) + by + text.slice(t.end);
  const op = r.weighted([
    [5, 'delete'], [3, 'duplicate'], [3, 'swap'], [7, 'replace'], [3, 'insert'], [1, 'truncate'], [1.5, 'line'], [1, 'splice'], [1.5, 'char'],
    [1, 'retype'],
  ] as const);
  switch (op) {
    case 'delete': {
      const t = pickToken(tokens, r);
      return t ? cut(t) : text;
    }
    case 'duplicate': {
      const t = pickToken(tokens, r);
      return t ? text.slice(0, t.end) + r.pick(['', ' ']) + text.slice(t.start) : text;
    }
    case 'swap': {
      const a = pickToken(tokens, r);
      const b = pickToken(tokens, r);
      if (!a || !b || a === b) return text;
      const [x, y] = a.start < b.start ? [a, b] : [b, a];
      return text.slice(0, x.start) + text.slice(y.start, y.end) + text.slice(x.end, y.start) + text.slice(x.start, x.end) + text.slice(y.end);
    }
    case 'replace': {
      const t = pickToken(tokens, r);
      if (!t) return text;
      // Mostly a token of the same class; sometimes of any class.
      const cls = r.chance(0.85) ? t.cls : r.pick(Object.keys(VOCABULARY) as TokenClass[]);
      return cut(t, r.pick(VOCABULARY[cls]));
    }
    case 'insert': {
      const t = pickToken(tokens, r, false);
      const at = t ? (r.chance(0.5) ? t.start : t.end) : 0;
      return text.slice(0, at) + r.pick(INSERTS) + text.slice(at);
    }
    case 'truncate':
      return text.slice(0, r.int(text.length + 1));
    case 'line': {
      const lines = text.split('\n');
      const i = r.int(lines.length);
      const what = r.int(3);
      if (what === 0) lines.splice(i, 1);
      else if (what === 1) lines.splice(i, 0, lines[r.int(lines.length)]!);
      else {
        const j = r.int(lines.length);
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      }
      return lines.join('\n');
    }
    case 'splice': {
      const src = other ?? text;
      const a = r.int(src.length + 1);
      const b = Math.min(src.length, a + r.int(200));
      const at = r.int(text.length + 1);
      return text.slice(0, at) + src.slice(a, b) + text.slice(at);
    }
    case 'char': {
      if (text.length === 0) return String.fromCharCode(r.int(256));
      const at = r.int(text.length);
      const c = String.fromCharCode(r.chance(0.7) ? r.range(32, 126) : r.int(0x3000));
      return r.chance(0.5) ? text.slice(0, at) + c + text.slice(at + 1) : text.slice(0, at) + c + text.slice(at);
    }
    case 'retype': {
      // Same-class replacement of every occurrence of one word: a map or variable used consistently
      // under another name, a builtin replaced everywhere, a probe spec for another.
      const t = pickToken(tokens.filter((x) => x.cls === 'word' || x.cls === 'map' || x.cls === 'var' || x.cls === 'spec'), r);
      if (!t) return text;
      const from = text.slice(t.start, t.end);
      const to = r.pick(VOCABULARY[t.cls]);
      let out = '';
      let last = 0;
      for (const x of tokens) {
        if (x.cls === t.cls && text.slice(x.start, x.end) === from) {
          out += text.slice(last, x.start) + to;
          last = x.end;
        }
      }
      return out + text.slice(last);
    }
  }
}

export function mutate(text: string, r: Random, rounds: number, other?: string): string {
  for (let i = 0; i < rounds; i++) text = mutateOnce(text, r, other);
  return text;
}
