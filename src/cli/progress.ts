/**
 * A one-line progress display on stderr (only when stderr is a TTY and the
 * run lasts more than a moment): packets, rate, percent of the file and ETA.
 */

/** Progress of a long run. */
export class Progress {
  private readonly start = Date.now();
  private last = 0;
  private shown = false;

  constructor(
    private readonly write: (s: string) => void,
    private readonly label: string,
  ) {}

  /** Updates the line (at most 5 times a second, after the first second). */
  update(packets: number, read: number, total: number): void {
    const now = Date.now();
    if (now - this.start < 1000 || now - this.last < 200) return;
    this.last = now;
    this.shown = true;
    const secs = (now - this.start) / 1000;
    const rate = packets / secs;
    const frac = total > 0 ? Math.min(1, read / total) : 0;
    const eta = frac > 0.01 ? ` ETA ${Math.max(0, Math.round(secs / frac - secs))} s` : '';
    const pct = total > 0 ? ` ${(100 * frac).toFixed(1)} %` : '';
    this.write(
      `\r${this.label}: ${packets.toLocaleString('en-US')} packets, ${(rate / 1e6).toFixed(2)} M/s${pct}${eta}   `,
    );
  }

  /** Clears the line. */
  done(): void {
    if (this.shown) this.write('\r\x1b[K');
  }
}
