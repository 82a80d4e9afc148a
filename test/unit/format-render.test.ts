// The output format choice (runtime/format/render.ts): each session event as text and as JSON, which
// stream it goes to (output or message), -q and --raw-strings. The JSON lines were printed by
// bpftrace v0.17.0 for the command above them (`bpftrace -f json`), except tsbt's own map_full record;
// the text is what the CLI printed before the format choice existed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ValueKind } from '../../runtime/artifact.ts';
import type { SessionEvent } from '../../runtime/format/events.ts';
import type { MapDump } from '../../runtime/format/model.ts';
import { createRenderer } from '../../runtime/format/render.ts';

const t = suite('format: one renderer per output format');

const COUNT: ValueKind = { kind: 'count' };
const STATS: ValueKind = { kind: 'stats', signed: true };
const HIST: ValueKind = { kind: 'hist', k: 0 };

function map(name: string, keyed: boolean, valueKind: ValueKind, entries: MapDump['entries']): MapDump {
  return { name, keyed, keyFields: [], valueKind, entries };
}

const y = map('@y', false, COUNT, [{ key: [], value: 1n }]);
const x = map('@x', true, STATS, [{ key: [1n], value: { kind: 'stats', count: 1n, average: 5n, total: 5n } }]);
const h = map('@h', false, HIST, [{ key: [], value: { kind: 'hist', buckets: [{ index: 2, count: 3n }] } }]);
const empty = map('@e', true, COUNT, []);

const both = (event: SessionEvent, options = {}) => ({
  text: createRenderer('text', options).render(event),
  json: createRenderer('json', options).render(event),
});

t('attached: a message in text, a record in JSON; -q leaves it out of both', () => {
  // bpftrace -f json -e 'BEGIN { exit(); }'
  assert.equal(both({ kind: 'attached', probes: 1 }), {
    text: { output: '', message: 'Attached 1 probe\n' },
    json: { output: '{"type": "attached_probes", "data": {"probes": 1}}\n', message: '' },
  });
  assert.is(createRenderer('text').render({ kind: 'attached', probes: 3 }).message, 'Attached 3 probes\n');
  assert.equal(both({ kind: 'attached', probes: 2 }, { quiet: true }), { text: { output: '', message: '' }, json: { output: '', message: '' } });
});

t('printf, time, cat, system: the text as it is, or a record of its type', () => {
  // bpftrace --unsafe -f json -e 'BEGIN { printf("a\x01b\"\n"); time("%H\n"); cat("/proc/sys/kernel/ostype"); system("echo hi %d", 3); exit(); }'
  const cases: [SessionEvent, string][] = [
    [{ kind: 'printf', id: 1, text: 'a\x01b"\n', args: [] }, '{"type": "printf", "data": "a\\u0001b\\"\\n"}\n'],
    [{ kind: 'time', text: '06\n' }, '{"type": "time", "data": "06\\n"}\n'],
    [{ kind: 'cat', text: 'Linux\n' }, '{"type": "cat", "data": "Linux\\n"}\n'],
    [{ kind: 'system', text: 'hi 3\n' }, '{"type": "syscall", "data": "hi 3\\n"}\n'],
  ];
  for (const [event, line] of cases) {
    assert.equal(both(event), { text: { output: (event as { text: string }).text, message: '' }, json: { output: line, message: '' } });
    JSON.parse(line);
  }
});

t('print(value): escaped for the terminal in text unless raw; JSON escapes it its own way', () => {
  // bpftrace -f json -e 'BEGIN { print(-5); print("str"); print((1, "a")); exit(); }'
  assert.equal(both({ kind: 'value', value: -5n }), { text: { output: '-5\n', message: '' }, json: { output: '{"type": "value", "data": -5}\n', message: '' } });
  assert.equal(both({ kind: 'value', value: { kind: 'tuple', values: [1n, 'a'] } }).json.output, '{"type": "value", "data": [1,"a"]}\n');
  assert.equal(both({ kind: 'value', value: { kind: 'tuple', values: [1n, 'a'] } }).text.output, '(1, a)\n');
  const esc: SessionEvent = { kind: 'value', value: 'a\x1bb' };
  assert.is(createRenderer('text').render(esc).output, 'a\\x1bb\n');
  assert.is(createRenderer('text', { rawStrings: true }).render(esc).output, 'a\x1bb\n');
  assert.is(createRenderer('json').render(esc).output, '{"type": "value", "data": "a\\u001bb"}\n');
  assert.is(createRenderer('json', { rawStrings: true }).render(esc).output, '{"type": "value", "data": "a\\u001bb"}\n');
});

t('print(@m, top, div): the map as text or as its map/stats/hist record, top and div applied as bpftrace does', () => {
  // bpftrace -f json -e 'BEGIN { @x[1] = stats(5); @y = count(); print(@x, 1, 2); print(@y, 0, 2); @h = hist(1);
  //   @h = hist(1); @h = hist(1); print(@h, 0, 2); @e[1] = 1; delete(@e[1]); print(@e); exit(); }'
  const ev = (m: MapDump, top = 0, div = 1): SessionEvent => ({ kind: 'map', map: m, top, div });
  assert.is(createRenderer('json').render(ev(x, 1, 2)).output, '{"type": "stats", "data": {"@x": {"1": {"count": 1, "average": 5, "total": 5}}}}\n');
  assert.is(createRenderer('json').render(ev(y, 0, 2)).output, '{"type": "map", "data": {"@y": 0}}\n');
  assert.is(createRenderer('json').render(ev(h, 0, 2)).output, '{"type": "hist", "data": {"@h": [{"min": 1, "max": 1, "count": 1}]}}\n');
  assert.is(createRenderer('json').render(ev(empty)).output, '', 'an empty map writes no record');
  // The text of the same (bpftrace 0.17 prints `@h: ` with a trailing space; see text.ts).
  assert.is(createRenderer('text').render(ev(x, 1, 2)).output, '@x[1]: count 1, average 5, total 5\n\n');
  assert.is(createRenderer('text').render(ev(y, 0, 2)).output, '@y: 0\n');
  assert.is(createRenderer('text').render(ev(h, 0, 2)).output, '@h:\n[1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n');
  assert.is(createRenderer('text').render(ev(empty)).output, '\n');
});

t('the maps at exit: two newlines then the maps in text; one line per non-empty map in JSON', () => {
  const event: SessionEvent = { kind: 'exitMaps', maps: [y, empty, x] };
  // Sorted by name; in text the empty @e is a blank line, in JSON nothing.
  assert.equal(both(event), {
    text: { output: '\n\n\n@x[1]: count 1, average 5, total 5\n\n@y: 1\n', message: '' },
    json: { output: '{"type": "stats", "data": {"@x": {"1": {"count": 1, "average": 5, "total": 5}}}}\n{"type": "map", "data": {"@y": 1}}\n', message: '' },
  });
  assert.equal(both({ kind: 'exitMaps', maps: [] }), { text: { output: '\n\n', message: '' }, json: { output: '', message: '' } });
});

t('lost events, full maps and warnings: messages in text; lost_events and map_full records in JSON, warnings stay messages', () => {
  assert.equal(both({ kind: 'lost', events: 12 }), {
    text: { output: '', message: 'Lost 12 events\n' },
    json: { output: '{"type": "lost_events", "data": {"events": 12}}\n', message: '' },
  });
  const warning = 'tsbt: @full was full (4 entries): 6 updates dropped; raise its size with `config = { max_map_keys = N }` or `let @full = hash(N);`\n';
  assert.equal(both({ kind: 'mapFull', map: '@full', maxEntries: 4, droppedUpdates: 6 }), {
    text: { output: '', message: warning },
    json: { output: '{"type": "map_full", "data": {"@full": {"max_entries": 4, "dropped_updates": 6}}}\n', message: warning },
  });
  assert.match(createRenderer('text').render({ kind: 'mapFull', map: '@m', maxEntries: 1, droppedUpdates: 1 }).message, /: 1 update dropped;/);
  assert.equal(both({ kind: 'warning', message: 'cat: cannot read /x: ENOENT' }), {
    text: { output: '', message: 'tsbt: cat: cannot read /x: ENOENT\n' },
    json: { output: '', message: 'tsbt: cat: cannot read /x: ENOENT\n' },
  });
});

t('printf formats raw strings for JSON (its escaping is safe), for text only when asked', () => {
  assert.is(createRenderer('json').rawStrings, true);
  assert.is(createRenderer('text').rawStrings, false);
  assert.is(createRenderer('text', { rawStrings: true }).rawStrings, true);
  // Bytes that are not UTF-8, kept as lone surrogates by the lossless decoding, become U+FFFD.
  assert.is(createRenderer('json').render({ kind: 'printf', id: 1, text: 'a\udcff\n', args: [] }).output, '{"type": "printf", "data": "a\ufffd\\n"}\n');
});

t('an unknown format is an error', () => {
  assert.throws(() => createRenderer('yaml' as never), /unknown output format: yaml/);
});

t.run();
