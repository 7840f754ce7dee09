import { cos, floor, imul, log, PI, sqrt } from './math.js';
/**
 * A small seeded PRNG (sfc32) for the engine: the same seed gives the same draws on every machine, so a run
 * is reproducible. `fork(label)` gives an independent stream per part (per tree, per k-means start).
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return floor(this.next() * n);
  }

  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return sqrt(-2 * log(u)) * cos(2 * PI * v);
  }

  fork(label: string | number): Random {
    return new Random(hashSeed(this.d ^ this.a, String(label)));
  }
}

/** FNV-1a of a label mixed with a seed: stable child seeds. */
export function hashSeed(seed: number, label: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < label.length; i++) h = imul(h ^ label.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A stable number in [0, 1) from a string (e.g. a record id), independent of the order records come in. */
export function unitHash(seed: number, key: string): number {
  let h = hashSeed(seed, key);
  h ^= h >>> 16;
  h = imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
