/**
 * The instance-type catalog of conntrack allowances (SPEC S17). AWS publishes
 * no per-type table, so every value carries its source; types not listed
 * here are unknown and the instance's allowance is unlimited unless the
 * config sets `allowance`.
 */

/** One measured allowance and where the number comes from. */
export interface CatalogEntry {
  readonly type: string;
  readonly allowance: number;
  readonly source: string;
}

/** Built-in measurements. Never add a number without a source. */
export const BUILTIN_CATALOG: readonly CatalogEntry[] = [
  {
    type: 'm7i-flex.large',
    allowance: 76957,
    source:
      'community measurement: ENA conntrack_allowance_available read with `ethtool -S eth0` on an idle m7i-flex.large',
  },
];

/** The catalog entry for an instance type, if one is known. */
export function catalogLookup(type: string): CatalogEntry | undefined {
  return BUILTIN_CATALOG.find((e) => e.type === type);
}
