/**
 * The one ordering and version rule of a migration directory, used by the
 * runner (`up`, `status`, `dry-run`, `replay`) and by the linter, so that
 * lint never passes what the runner refuses.
 *
 * - **Order**: by name, byte-wise (UTF-8), as Prisma and the Supabase CLI
 *   order their folders and files.
 * - **Version**: the leading groups of digits, plus one lowercase letter
 *   right after them when a separator (or the end) follows:
 *   `0002_add_x.sql` → `0002`, `20240101_0900_accounts.sql` →
 *   `20240101_0900`, `20240312a_add_orders` → `20240312a`, Prisma's
 *   `20240101120000_init` → `20240101120000`. Same-day letter-suffixed
 *   versions (`20240312a`, `20240312b`) are distinct, ordered by the letter
 *   (and an unsuffixed `20240312` sorts before `20240312a`: `_` < `a`).
 * - **Duplicate**: two names of one directory with the same version: their
 *   order would hang on the rest of their names.
 */

const VERSION = /^(\d+(?:[_-]\d+)*)(?![\d])([a-z](?![a-z0-9]))?/;

/** The version a migration name starts with; none → undefined. */
export function versionOf(name: string): string | undefined {
  const m = VERSION.exec(name);
  return m ? `${m[1]}${m[2] ?? ""}` : undefined;
}

/** Byte-wise (UTF-8) comparison of two names: the runner's order. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Sorts names (or items with a name) in runner order, in place. */
export function sortByName<T extends { name: string }>(items: T[]): T[] {
  return items.sort((a, b) => compareNames(a.name, b.name));
}

export interface VersionClash {
  version: string;
  /** In runner order. */
  names: string[];
}

/** Versions used by more than one name (names without a version are never duplicates). */
export function duplicateVersions(names: readonly string[]): VersionClash[] {
  const byVersion = new Map<string, string[]>();
  for (const name of [...names].sort(compareNames)) {
    const version = versionOf(name);
    if (version !== undefined) byVersion.set(version, [...(byVersion.get(version) ?? []), name]);
  }
  return [...byVersion]
    .filter(([, list]) => list.length > 1)
    .map(([version, list]) => ({ version, names: list }));
}
