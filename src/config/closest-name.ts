/**
 * The declared name closest to a typo, when it is close enough to be the
 * intended one (edit distance at most 2, or 3 for long names).
 *
 * @example
 * closestName("OPSKIT_SHUTDOWN_TIMOUT", ["OPSKIT_SHUTDOWN_TIMEOUT", "PORT"]); // "OPSKIT_SHUTDOWN_TIMEOUT"
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const limit = name.length >= 16 ? 3 : 2;
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name.toUpperCase(), candidate.toUpperCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { name: candidate, distance };
    }
  }
  return best?.name;
}

// Levenshtein over two short strings: small enough that a dependency is not worth it.
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
