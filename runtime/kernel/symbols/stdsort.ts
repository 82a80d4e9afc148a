// libstdc++'s std::sort (GCC 12, bits/stl_algo.h), step for step, on an Int32Array of element ids.
//
// Why copy an unstable sort: bcc (which bpftrace links) sorts its symbol tables with std::sort on the
// address alone, then takes the last of several names at one address (`upper_bound` then one step
// back). Which alias that is depends on exactly how introsort moved equal elements, so printing the
// same name as bpftrace for an aliased address (`_stext`/`_text`, `__clock_gettime`/`clock_gettime`)
// needs the very same sequence of swaps. The algorithm: introsort with a depth limit of
// 2*floor(log2 n), median-of-three pivot moved to the front, unguarded Hoare partition, heapsort when
// the depth runs out, ranges of 16 or fewer left for a final insertion sort.
//
// `stdSort(ids, key)`: the elements are ids into `key` (a Float64Array of exact integers: addresses below 2^53, or ranks);
// `ids` is permuted in place and `key` is left alone. Comparing keys read from a typed array, rather
// than calling a comparator, keeps 120k kernel symbols under ~15 ms.

const THRESHOLD = 16;

export function stdSort(ids: Int32Array, key: Float64Array): void {
  const a = ids;
  const k = key;
  const n = a.length;
  if (n === 0) return;
  // __introsort_loop, its recursion turned into a stack of ranges (ranges are disjoint, so the order
  // they are worked through does not change the result) and its helpers written inline: one function
  // with hot loops gets optimized early, which matters because this runs once, cold.
  const stack: number[] = [0, n, 2 * floorLog2(n)];
  while (stack.length > 0) {
    let depth = stack.pop()!;
    let last = stack.pop()!;
    const first = stack.pop()!;
    while (last - first > THRESHOLD) {
      if (depth === 0) {
        heapSort(a, first, last, k);
        break;
      }
      depth--;
      // __unguarded_partition_pivot: __move_median_to_first(first, first+1, mid, last-1) ...
      const x = first + 1;
      const y = first + ((last - first) >> 1);
      const z = last - 1;
      const A = k[a[x]!]!;
      const B = k[a[y]!]!;
      const C = k[a[z]!]!;
      let m: number;
      if (A < B) m = B < C ? y : A < C ? z : x;
      else m = A < C ? x : B < C ? z : y;
      let t = a[first]!;
      a[first] = a[m]!;
      a[m] = t;
      // ... then __unguarded_partition(first+1, last, first).
      const p = k[a[first]!]!;
      let lo = first + 1;
      let hi = last;
      for (;;) {
        while (k[a[lo]!]! < p) lo++;
        hi--;
        while (p < k[a[hi]!]!) hi--;
        if (!(lo < hi)) break;
        t = a[lo]!;
        a[lo] = a[hi]!;
        a[hi] = t;
        lo++;
      }
      stack.push(lo, last, depth);
      last = lo;
    }
  }
  finalInsertionSort(a, 0, n, k);
}

function floorLog2(n: number): number {
  return 31 - Math.clz32(n);
}

// __final_insertion_sort: a guarded insertion sort of the first 16, then unguarded linear inserts
// (the minimum is already among the first 16, so no bounds check is needed).
function finalInsertionSort(a: Int32Array, first: number, last: number, k: Float64Array): void {
  const guarded = last - first > THRESHOLD ? first + THRESHOLD : last;
  for (let i = first + 1; i < guarded; i++) {
    const v = a[i]!;
    const kv = k[v]!;
    if (kv < k[a[first]!]!) {
      a.copyWithin(first + 1, first, i);
      a[first] = v;
    } else {
      let j = i;
      while (kv < k[a[j - 1]!]!) {
        a[j] = a[j - 1]!;
        j--;
      }
      a[j] = v;
    }
  }
  for (let i = guarded; i < last; i++) {
    const v = a[i]!;
    const kv = k[v]!;
    let j = i;
    while (kv < k[a[j - 1]!]!) {
      a[j] = a[j - 1]!;
      j--;
    }
    a[j] = v;
  }
}

// std::__partial_sort(first, last, last): make_heap over the whole range, then sort_heap.
function heapSort(a: Int32Array, first: number, last: number, k: Float64Array): void {
  const len = last - first;
  if (len >= 2) {
    for (let parent = (len - 2) >> 1; ; parent--) {
      adjustHeap(a, first, parent, len, a[first + parent]!, k);
      if (parent === 0) break;
    }
  }
  while (last - first > 1) {
    last--;
    const v = a[last]!;
    a[last] = a[first]!;
    adjustHeap(a, first, 0, last - first, v, k);
  }
}

function adjustHeap(a: Int32Array, first: number, hole: number, len: number, value: number, k: Float64Array): void {
  const top = hole;
  let child = hole;
  while (child < ((len - 1) >> 1)) {
    child = 2 * (child + 1);
    if (k[a[first + child]!]! < k[a[first + child - 1]!]!) child--;
    a[first + hole] = a[first + child]!;
    hole = child;
  }
  if ((len & 1) === 0 && child === ((len - 2) >> 1)) {
    child = 2 * (child + 1);
    a[first + hole] = a[first + child - 1]!;
    hole = child - 1;
  }
  // __push_heap
  let parent = (hole - 1) >> 1;
  while (hole > top && k[a[first + parent]!]! < k[value]!) {
    a[first + hole] = a[first + parent]!;
    hole = parent;
    parent = (hole - 1) >> 1;
  }
  a[first + hole] = value;
}

/** Heapsort alone (std::partial_sort over the whole range), exported for tests against libstdc++. */
export function stdPartialSortAll(ids: Int32Array, key: Float64Array): void {
  heapSort(ids, 0, ids.length, key);
}
