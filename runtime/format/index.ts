// The output layer: raw bytes → value model → session events → text or JSON (render.ts chooses). See each module for the bpftrace rules it follows.
export type {
  HistBucket,
  HistValue,
  MapDump,
  MapEntry,
  MapValue,
  Primitive,
  PrintfArg,
  StatsValue,
  TupleValue,
} from './model.ts';
export {
  bytesToText,
  decodeEventArgs,
  decodeEventValue,
  decodeField,
  decodeKey,
  decodeValue,
  readCStringBytes,
  readInt,
  valueSize,
} from './decode.ts';
export { buildMapDump, type RawMapEntry } from './dump.ts';
export { compareKeys, sortEntries, sortValue } from './order.ts';
export {
  HIST_MAX_K,
  hist2BucketEnd,
  hist2BucketStart,
  hist2Index,
  hist2Label,
  hist2MaxIndex,
  lhistBucketCount,
  lhistBucketEnd,
  lhistBucketStart,
  lhistIndex,
  lhistLabel,
} from './hist.ts';
export {
  decodeUtf8Lossless,
  displayString,
  escapeForTerminal,
  textToBytes,
  toWellFormed,
  type EscapeOptions,
} from './strings.ts';
export {
  bucketLabel,
  histRows,
  renderExitMaps,
  renderHistBuckets,
  renderKey,
  renderMap,
  renderMaps,
  renderValue,
  sortByName,
  type RenderOptions,
} from './text.ts';
export {
  jsonAttachedProbes,
  jsonExitMaps,
  jsonLostEvents,
  jsonMap,
  jsonMapFull,
  jsonMaps,
  jsonPrintf,
  jsonString,
  jsonText,
  jsonTime,
  jsonType,
  jsonValue,
} from './json.ts';
export { createRenderer, type OutputFormat, type Rendered, type Renderer } from './render.ts';
export type { SessionEvent } from './events.ts';
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
