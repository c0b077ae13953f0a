// The free blocks of the reuse method, ordered by size so that the smallest sufficient one is found fast.

/**
 * Free blocks bucketed by size class (the distinct sizes a block can have, known up front: a block's size
 * is that of the tensor that opened it). A bitset over classes finds the next non-empty class at or above
 * a size in a few word scans; a sorted array with splices was quadratic on big devices.
 */
export class FreeBlockPool {
  private readonly sizes: Float64Array;
  /** Free block ids per size class, ascending, so that ties go to the earliest-opened block. */
  private readonly buckets: number[][];
  private readonly nonEmpty: Uint32Array;

  constructor(possibleSizes: Iterable<number>) {
    this.sizes = Float64Array.from(new Set(possibleSizes)).sort();
    this.buckets = Array.from({ length: this.sizes.length }, () => []);
    this.nonEmpty = new Uint32Array((this.sizes.length + 31) >>> 5);
  }

  add(id: number, sizeBytes: number): void {
    const c = this.classOf(sizeBytes);
    const bucket = this.buckets[c];
    let k = bucket.length;
    while (k > 0 && bucket[k - 1] > id) k--;
    bucket.splice(k, 0, id);
    this.nonEmpty[c >>> 5] |= 1 << (c & 31);
  }

  /**
   * Removes and returns the first free block, smallest size first, with at least `sizeBytes` that
   * `accept` takes (all, without it); -1 when there is none.
   */
  take(sizeBytes: number, accept?: (id: number) => boolean): number {
    for (let c = this.nextNonEmpty(this.lowestClassAtLeast(sizeBytes)); c >= 0; c = this.nextNonEmpty(c + 1)) {
      const bucket = this.buckets[c];
      for (let k = 0; k < bucket.length; k++) {
        const id = bucket[k];
        if (accept && !accept(id)) continue;
        bucket.splice(k, 1);
        if (bucket.length === 0) this.nonEmpty[c >>> 5] &= ~(1 << (c & 31));
        return id;
      }
    }
    return -1;
  }

  private classOf(sizeBytes: number): number {
    const c = this.lowestClassAtLeast(sizeBytes);
    if (this.sizes[c] !== sizeBytes) throw new Error(`block size ${sizeBytes} was not declared to the pool`);
    return c;
  }

  private lowestClassAtLeast(sizeBytes: number): number {
    let lo = 0;
    let hi = this.sizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sizes[mid] < sizeBytes) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private nextNonEmpty(from: number): number {
    const words = this.nonEmpty;
    let w = from >>> 5;
    if (w >= words.length) return -1;
    let bits = words[w] & (~0 << (from & 31));
    while (bits === 0) {
      if (++w >= words.length) return -1;
      bits = words[w];
    }
    return (w << 5) + (31 - Math.clz32(bits & -bits));
  }
}
