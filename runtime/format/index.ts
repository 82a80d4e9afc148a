// The output layer: raw bytes → value model → text. See each module for the bpftrace rules it follows.
export type { MapDump, MapEntry, MapValue, Primitive, PrintfArg } from './model.ts';
export {
  bytesToText,
  decodeEventArgs,
  decodeField,
  decodeKey,
  decodeValue,
  readCStringBytes,
  readInt,
  valueSize,
} from './decode.ts';
export { buildMapDump, type RawMapEntry } from './dump.ts';
export { compareKeys, sortEntries } from './order.ts';
export { renderExitMaps, renderKey, renderMap, renderMaps } from './text.ts';
export { formatPrintf, formatPrintfBytes } from './printf.ts';
export {
  parsePrintfFormat,
  type LengthModifier,
  type PrintfArgKind,
  type PrintfConversion,
  type PrintfFlags,
  type PrintfFormat,
  type PrintfFormatError,
  type PrintfParseResult,
  type PrintfPiece,
} from '../../grammar/printf-format.ts';
