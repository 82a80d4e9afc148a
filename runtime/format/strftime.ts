// C strftime, for time() and strftime(): the conversions glibc has that a trace line needs, in local
// time. `%f` (microseconds) is bpftrace's own extension.

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const pad = (n: number, width = 2, fill = '0') => String(n).padStart(width, fill);

/** Format `date` (with `micros` for %f) as C's strftime would in the local time zone. */
export function strftime(format: string, date: Date, micros = date.getMilliseconds() * 1000): string {
  return format.replace(/%([%a-zA-Z])/g, (whole, c: string) => {
    const h12 = date.getHours() % 12 || 12;
    const offset = -date.getTimezoneOffset();
    const dayOfYear = Math.floor((Date.UTC(date.getFullYear(), date.getMonth(), date.getDate()) - Date.UTC(date.getFullYear(), 0, 1)) / 86400000) + 1;
    switch (c) {
      case '%': return '%';
      case 'a': return DAYS[date.getDay()]!.slice(0, 3);
      case 'A': return DAYS[date.getDay()]!;
      case 'b': case 'h': return MONTHS[date.getMonth()]!.slice(0, 3);
      case 'B': return MONTHS[date.getMonth()]!;
      case 'c': return `${DAYS[date.getDay()]!.slice(0, 3)} ${MONTHS[date.getMonth()]!.slice(0, 3)} ${pad(date.getDate(), 2, ' ')} ${strftime('%H:%M:%S', date)} ${date.getFullYear()}`;
      case 'C': return pad(Math.floor(date.getFullYear() / 100));
      case 'd': return pad(date.getDate());
      case 'D': return strftime('%m/%d/%y', date);
      case 'e': return pad(date.getDate(), 2, ' ');
      case 'f': return pad(micros, 6);
      case 'F': return strftime('%Y-%m-%d', date);
      case 'H': return pad(date.getHours());
      case 'I': return pad(h12);
      case 'j': return pad(dayOfYear, 3);
      case 'k': return pad(date.getHours(), 2, ' ');
      case 'l': return pad(h12, 2, ' ');
      case 'm': return pad(date.getMonth() + 1);
      case 'M': return pad(date.getMinutes());
      case 'n': return '\n';
      case 'p': return date.getHours() < 12 ? 'AM' : 'PM';
      case 'P': return date.getHours() < 12 ? 'am' : 'pm';
      case 'r': return strftime('%I:%M:%S %p', date);
      case 'R': return strftime('%H:%M', date);
      case 's': return String(Math.floor(date.getTime() / 1000));
      case 'S': return pad(date.getSeconds());
      case 't': return '\t';
      case 'T': return strftime('%H:%M:%S', date);
      case 'u': return String(date.getDay() || 7);
      case 'w': return String(date.getDay());
      case 'y': return pad(date.getFullYear() % 100);
      case 'Y': return String(date.getFullYear());
      case 'z': return `${offset >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
      case 'Z': return Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
      default: return whole;
    }
  });
}

/** Wall-clock time of a `nsecs` timestamp (CLOCK_MONOTONIC since boot), given "now" on both clocks. */
export function bootNsToDate(ns: bigint, nowMonotonicNs: bigint, nowWallMs: number): { date: Date; micros: number } {
  const wallNs = BigInt(nowWallMs) * 1_000_000n - (nowMonotonicNs - ns);
  return { date: new Date(Number(wallNs / 1_000_000n)), micros: Number((wallNs / 1000n) % 1_000_000n) };
}
