// Histogram buckets exactly as bpftrace numbers and labels them.
//
// The value → index functions are the contract between the eBPF side (which bumps the count at
// `key ++ [index]`) and the runtime (which decodes and prints the buckets). They follow bpftrace's
// codegen (CodegenLLVM::createLog2Function and createLinearFunction in src/ast/passes/codegen_llvm.cpp)
// instruction for instruction; the labels follow its output code (hist_index_label, build_histogram,
// lhist_index_label in types_format.cpp and TextEmitter<Value::Histogram> in output/text.cpp).
//
// Everything is 64-bit: values are the 64-bit two's-complement pattern of the traced integer, as
// bpftrace has it after widening the argument to 64 bits (sign-extended if its type is signed,
// zero-extended if not). Both functions compare that pattern as a *signed* number, so an unsigned
// value of 2^63 or more lands in the "below" bucket, exactly as in bpftrace.

/** The largest `k` hist(n, k) accepts; bpftrace allows 0 <= k <= 5. */
export const HIST_MAX_K = 5;

/**
 * hist(n, k): the bucket index of `value`, as bpftrace's eBPF `log2(n, k)` computes it.
 *
 * Each power of two is split into 2^k equal sub-buckets. Step by step, with all arithmetic on
 * 64-bit integers and `n` the value's bit pattern read as a signed 64-bit integer:
 *
 * 1. If n < 0 (signed comparison): the index is 0.
 * 2. Let mask = 2^k - 1. If n <= mask: the index is n + 1.
 *    (With k = 0 that is only n = 0, index 1.)
 * 3. Otherwise let l be the position of the highest set bit of n, counting from 0 (so 2^l <= n <
 *    2^(l+1); n >= 1 here). bpftrace finds it branch-free: l = 0; then for i = 5, 4, 3, 2, 1, 0:
 *    s = (n >= 2^(2^i)) ? 2^i : 0; n >>= s; l += s. (Compare against the *shifted* n, keep the
 *    original value for step 5.)
 * 4. l = l - k. (l >= 0 here, since n > mask means the highest bit is at position >= k.)
 * 5. x = (original n >> l) & mask — the k bits just below the highest set bit.
 * 6. The index is ((l + 1) << k) + x + 1.
 *
 * Examples with k = 0: -1 → 0, 0 → 1, 1 → 2, 2..3 → 3, 4..7 → 4, 2^62..2^63-1 → 64.
 * With k = 2: 0..3 → 1..4, 4 → 5, 5 → 6, 6 → 7, 7 → 8, 8..9 → 9, 225 (0b11100001) → 28.
 * The largest index is (64 - k) << k (for 2^63 - 1), so a k = 0 histogram has at most 65 buckets.
 */
export function hist2Index(value: bigint, k: number): number {
  checkK(k);
  const original = BigInt.asIntN(64, value);
  if (original < 0n) return 0;
  const kk = BigInt(k);
  const mask = (1n << kk) - 1n;
  if (original <= mask) return Number(original) + 1;
  let n = original;
  let l = 0n;
  for (let i = 5; i >= 0; i--) {
    const shift = n >= 1n << (1n << BigInt(i)) ? BigInt(1 << i) : 0n;
    n >>= shift;
    l += shift;
  }
  l -= kk;
  const x = (original >> l) & mask;
  return Number(((l + 1n) << kk) + x + 1n);
}

/**
 * lhist(n, min, max, step): the bucket index of `value`, as bpftrace's eBPF `linear()` computes it.
 * `min`, `max` and `step` are the script's integer literals (bpftrace requires min >= 0, max > min,
 * step > 0). Step by step, `n` being the value's bit pattern read as a signed 64-bit integer:
 *
 * 1. If n < min (signed comparison): the index is 0 (the "(..., min)" bucket).
 * 2. If n > max (signed comparison): the index is 1 + (max - min) / step.
 * 3. Otherwise the index is 1 + (n - min) / step.
 *
 * Divisions are unsigned 64-bit and truncate. Note that n == max gives the same index as n > max
 * when (max - min) is a multiple of step: the last bucket is "[max, ...)", and the in-range buckets
 * are 1 .. (max - min) / step. There are (max - min) / step + 2 buckets in all.
 */
export function lhistIndex(value: bigint, min: number, max: number, step: number): number {
  checkLinear(min, max, step);
  const n = BigInt.asIntN(64, value);
  const lo = BigInt(min);
  const hi = BigInt(max);
  const st = BigInt(step);
  if (n < lo) return 0;
  if (n > hi) return Number(1n + (hi - lo) / st);
  return Number(1n + (n - lo) / st);
}

/** Number of buckets an lhist has: below min, (max - min) / step in range, and the last one. */
export function lhistBucketCount(min: number, max: number, step: number): number {
  checkLinear(min, max, step);
  return Math.floor((max - min) / step) + 2;
}

/** The index hist(n, k) gives its largest possible value (2^63 - 1). */
export function hist2MaxIndex(k: number): number {
  return hist2Index((1n << 63n) - 1n, k);
}

/**
 * The smallest value in bucket `index` of hist(n, k); undefined for bucket 0, which holds every
 * negative value. Buckets 1 .. 2^(k+1) hold one value each (index - 1); above that, with j = index - 1,
 * bucket `index` starts at 2^((j >> k) - 1) * (2^k + (j & (2^k - 1))) (bpftrace's hist_index_label(j, k)).
 */
export function hist2BucketStart(index: number, k: number): bigint | undefined {
  checkK(k);
  if (index <= 0) return undefined;
  if (index <= 2 << k) return BigInt(index - 1);
  return histIndexLabelValue(index - 1, k);
}

/** One past the largest value in bucket `index` of hist(n, k) (the next bucket's start). */
export function hist2BucketEnd(index: number, k: number): bigint {
  checkK(k);
  if (index < 0) throw new RangeError(`hist bucket index ${index} is negative`);
  if (index < 2 << k) return BigInt(index);
  return histIndexLabelValue(index, k);
}

/**
 * The label bpftrace prints for bucket `index` of hist(n, k): `(..., 0)` for bucket 0, `[v]` for the
 * single-value buckets 1 .. 2^(k+1), else `[start, end)` with both bounds written with a power-of-1024
 * suffix (`[512, 1K)`, `[1M, 2M)`, `[4E, 8E)`; with k > 0 also `[1536, 2K)`).
 */
export function hist2Label(index: number, k: number): string {
  checkK(k);
  if (index <= 0) return '(..., 0)';
  if (index <= 2 << k) return `[${index - 1}]`;
  return `[${hist2BoundText(index - 1, k)}, ${hist2BoundText(index, k)})`;
}

/**
 * The label bpftrace prints for bucket `index` of lhist(n, min, max, step): `(..., min)` for bucket
 * 0, `[max, ...)` for the last one, else `[min + (index-1)*step, min + index*step)`. Bounds that are
 * whole multiples of 1M or 1K are written `3M`, `4K` (bpftrace 0.17 does this whatever the step; newer
 * bpftrace source only does it when step is a multiple of 1024 — its docs show no such label, so we
 * keep 0.17's). Single-value buckets (step 1) still print as ranges: `[3, 4)`, as in 0.17 and in the
 * lhist example of the newest docs/stdlib.md.
 */
export function lhistLabel(index: number, min: number, max: number, step: number): string {
  const last = lhistBucketCount(min, max, step) - 1;
  if (index <= 0) return `(..., ${lhistBoundText(min)})`;
  if (index >= last) return `[${lhistBoundText(max)}, ...)`;
  return `[${lhistBoundText(min + (index - 1) * step)}, ${lhistBoundText(min + index * step)})`;
}

/** The smallest value in bucket `index` of an lhist; undefined for bucket 0 (everything below min). */
export function lhistBucketStart(index: number, min: number, max: number, step: number): bigint | undefined {
  const last = lhistBucketCount(min, max, step) - 1;
  if (index <= 0) return undefined;
  if (index >= last) return BigInt(max);
  return BigInt(min) + BigInt(index - 1) * BigInt(step);
}

/** One past the largest value in bucket `index` of an lhist; undefined for the last bucket (no end). */
export function lhistBucketEnd(index: number, min: number, max: number, step: number): bigint | undefined {
  const last = lhistBucketCount(min, max, step) - 1;
  if (index >= last) return undefined;
  return BigInt(min) + BigInt(Math.max(index, 0)) * BigInt(step);
}

// bpftrace's hist_index_label(index, k): the value where bucket index + 1 starts.
function histIndexLabelValue(index: number, k: number): bigint {
  const n = 1n << BigInt(k);
  const interval = BigInt(index) & (n - 1n);
  const power = BigInt((index >> k) - 1);
  return (1n << power) * (n + interval);
}

// A bound above the single-value buckets, with the suffix of its largest power of 1024 (by the
// power of two of the bucket size, as bpftrace chooses it).
function hist2BoundText(index: number, k: number): string {
  if (index <= 2 << k) return String(index);
  const n = 1n << BigInt(k);
  const interval = BigInt(index) & (n - 1n);
  let power = (index >> k) - 1;
  const decade = Math.floor(power / 10);
  power -= 10 * decade;
  return `${(1n << BigInt(power)) * (n + interval)}${['', 'K', 'M', 'G', 'T', 'P', 'E'][decade] ?? ''}`;
}

function lhistBoundText(n: number): string {
  const mega = 1024 * 1024;
  const kilo = 1024;
  if (n === 0) return '0';
  if (n % mega === 0) return `${n / mega}M`;
  if (n % kilo === 0) return `${n / kilo}K`;
  return String(n);
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 0 || k > HIST_MAX_K) {
    throw new RangeError(`hist() k must be an integer from 0 to ${HIST_MAX_K}, got ${k}`);
  }
}

function checkLinear(min: number, max: number, step: number): void {
  if (![min, max, step].every(Number.isSafeInteger) || min < 0 || max <= min || step <= 0) {
    throw new RangeError(`lhist() needs integers 0 <= min < max and step > 0, got ${min}, ${max}, ${step}`);
  }
}
