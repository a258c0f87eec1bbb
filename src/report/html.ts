/** Placeholder until the HTML report lands. */
import type { CapacityReport } from '../capacity/capacity.js';
export function renderCapacityHtml(_r: CapacityReport): string {
  throw new Error('not yet');
}
