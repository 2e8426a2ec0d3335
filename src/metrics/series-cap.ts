/** Admits at most `max` distinct label sets; later new ones are refused. */
export interface SeriesCap {
  admit(labels: Record<string, string>): boolean;
  size(): number;
}

/**
 * A per-metric guard against label-cardinality blow-ups: each series costs
 * memory for the life of the process and scrape time on every scrape, so a
 * bug that mints label values must not grow them without bound.
 *
 * @example
 * const cap = createSeriesCap(1000);
 * if (cap.admit(labels)) histogram.observe(labels, seconds);
 * else dropped.inc({ metric: "http_server_request_duration_seconds" });
 */
export function createSeriesCap(max: number): SeriesCap {
  const seen = new Set<string>();
  return {
    admit(labels) {
      const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
      if (seen.has(key)) return true;
      if (seen.size >= max) return false;
      seen.add(key);
      return true;
    },
    size: () => seen.size,
  };
}
