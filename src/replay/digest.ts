/**
 * The verdict digest of report@1: SHA-256 over every packet's outcome byte in
 * trace order (model/verdict.ts explains the byte). Two runs agree on every
 * verdict iff their digests are equal.
 */
import { createHash, type Hash } from 'node:crypto';

/** Incremental digest of outcome bytes. */
export class VerdictDigest {
  private readonly hash: Hash = createHash('sha256');
  private readonly buf = new Uint8Array(65536);
  private fill = 0;

  /** Adds one packet's outcome byte. */
  push(outcome: number): void {
    this.buf[this.fill++] = outcome;
    if (this.fill === this.buf.length) this.flush();
  }

  /** Adds a run of outcome bytes. */
  pushAll(outcomes: Uint8Array): void {
    this.flush();
    this.hash.update(outcomes);
  }

  /** The hex digest; the object is spent afterwards. */
  hex(): string {
    this.flush();
    return this.hash.digest('hex');
  }

  private flush(): void {
    if (this.fill > 0) {
      this.hash.update(this.buf.subarray(0, this.fill));
      this.fill = 0;
    }
  }
}
