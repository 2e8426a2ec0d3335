/** A bounded set of the most recently added keys (the oldest is forgotten first). */
export interface RecentKeys {
  has(key: string): boolean;
  add(key: string): void;
}

/**
 * The last `max` keys added, in a Map kept in insertion order: adding a key
 * again moves it to the newest end; past `max` the oldest goes.
 *
 * @example
 * const recent = createRecentKeys(2);
 * recent.add("a"); recent.add("b"); recent.add("c");
 * recent.has("a"); // false
 */
export function createRecentKeys(max: number): RecentKeys {
  const keys = new Map<string, true>();
  return {
    has: (key) => keys.has(key),
    add(key) {
      if (max <= 0) return;
      keys.delete(key);
      keys.set(key, true);
      if (keys.size > max) keys.delete(keys.keys().next().value!);
    },
  };
}
