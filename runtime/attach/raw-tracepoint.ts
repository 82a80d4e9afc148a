// rawtracepoint:<name> (and fentry/fexit, whose target is in the program: no name) through
// BPF_RAW_TRACEPOINT_OPEN. Opening the link attaches at once, so the link
// is opened at enable() time: a session enables every probe together, after BEGIN.
import type { Sys } from '../sys/sys.ts';
import type { Attachment } from './attachment.ts';

export function attachRawTracepoint(sys: Sys, probe: string, progFd: number, name: string | undefined): Attachment {
  let link: number | undefined;
  return {
    probe,
    enable() {
      if (link === undefined) link = sys.rawTracepointOpen(progFd, name);
    },
    detach() {
      if (link !== undefined) sys.close(link);
      link = undefined;
    },
  };
}
