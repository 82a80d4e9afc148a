// BEGIN and END: raw-tracepoint programs that the runtime runs once each, through BPF_PROG_TEST_RUN,
// before the other probes are attached and after they are detached.

import { error } from '../../grammar/diagnostics.ts';
import type { ProbeProvider } from '../../compiler/registry.ts';

function special(name: 'BEGIN' | 'END', alias: string, summary: string): ProbeProvider {
  return {
    name,
    aliases: [alias],
    summary,
    usage: name,
    expand(spec) {
      if (spec.parts.length > 0) return error(`\`${name}\` takes no arguments`, spec.span, `write just \`${name}\``);
      return [{
        provider: this, name, spec, programType: 'raw_tracepoint',
        attach: { kind: name === 'BEGIN' ? 'begin' : 'end' },
      }];
    },
  };
}

export const begin = special('BEGIN', 'begin', 'runs once, before any other probe is attached');
export const end = special('END', 'end', 'runs once, after every other probe is detached');
