/**
 * Values remembered across evaluation rounds, in the leader's memory: what
 * growth and counter-rate rules compare against. A new leader starts empty,
 * so such a rule needs one window of history before it can fire again (as a
 * fresh Prometheus would); its `for` then counts as usual.
 */
export interface SeriesWindow {
  /**
   * Records `value` for `key` at `now` and returns how much it grew over
   * `windowMs` (counter resets handled as Prometheus does: a drop restarts
   * from 0); undefined until a sample at least half a window old exists.
   */
  increase(key: string, value: number, windowMs: number, now: number): number | undefined;
  /** Records `value` and returns the change since the oldest sample within `windowMs` (gauges); undefined before half a window. */
  delta(key: string, value: number, windowMs: number, now: number): number | undefined;
  /** Forgets everything (leadership lost). */
  clear(): void;
}

export function createSeriesWindow(): SeriesWindow {
  const series = new Map<string, { at: number; value: number; total: number }[]>();
  const record = (key: string, value: number, windowMs: number, now: number) => {
    const points = series.get(key) ?? [];
    const last = points[points.length - 1];
    // `total` accumulates across counter resets, so increases stay monotonic.
    const total =
      last === undefined ? value : last.total + (value >= last.value ? value - last.value : value);
    points.push({ at: now, value, total });
    while (points.length > 1 && points[1]!.at <= now - windowMs) points.shift();
    series.set(key, points);
    return points;
  };
  const oldEnough = (points: { at: number }[], windowMs: number, now: number) =>
    points.length > 1 && now - points[0]!.at >= windowMs / 2;
  return {
    increase(key, value, windowMs, now) {
      const points = record(key, value, windowMs, now);
      if (!oldEnough(points, windowMs, now)) return undefined;
      return points[points.length - 1]!.total - points[0]!.total;
    },
    delta(key, value, windowMs, now) {
      const points = record(key, value, windowMs, now);
      if (!oldEnough(points, windowMs, now)) return undefined;
      return value - points[0]!.value;
    },
    clear: () => series.clear(),
  };
}
