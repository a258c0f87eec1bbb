/**
 * Per-packet processing time as an HDR histogram (hdr-histogram-js). Time is
 * measured per batch and recorded as batch time ÷ batch size with the batch
 * size as count (DESIGN.md "latency"), so recording costs one call per batch.
 */
import * as hdr from 'hdr-histogram-js';

/** The `latency` object of report@1. */
export interface LatencySummary {
  unit: 'ns';
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Records per-packet latencies of batches. */
export class LatencyRecorder {
  readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000_000,
    numberOfSignificantValueDigits: 3,
  });

  /** Records a batch of `packets` packets that took `ns` nanoseconds. */
  recordBatch(ns: number, packets: number): void {
    if (packets <= 0) return;
    const per = Math.max(1, Math.round(ns / packets));
    this.histogram.recordValueWithCount(Math.min(per, 3_600_000_000_000), packets);
  }

  /** Adds another recorder's histogram (from another worker). */
  add(other: LatencyRecorder): void {
    this.histogram.add(other.histogram);
  }

  /** Percentiles in ns. */
  summary(): LatencySummary {
    const h = this.histogram;
    if (h.totalCount === 0) return { unit: 'ns', p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
    return {
      unit: 'ns',
      p50: h.getValueAtPercentile(50),
      p90: h.getValueAtPercentile(90),
      p99: h.getValueAtPercentile(99),
      p999: h.getValueAtPercentile(99.9),
      max: h.maxValue,
    };
  }
}
