import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { OpskitError } from "../errors.js";
import { directoryLayout } from "./native-history.js";
import { compareNames, duplicateVersions } from "./migration-versions.js";

/**
 * - `plain`: `0007_name.sql` (the width of the existing numbers, else 4).
 * - `dated`: `20240312a_name`, several a day by letter (`a` … `z`).
 * - `timestamp`: `20240312093000_name` (Prisma's and the Supabase CLI's own).
 */
export type NamingScheme = "plain" | "dated" | "timestamp";

export interface NewMigrationOptions {
  dir: string;
  /** Words of the name; made snake_case (`Add orders` → `add_orders`). */
  name: string;
  /** The clock the version comes from (UTC); default now. */
  now?: Date;
}

export interface NewMigration {
  /** The file created (`DIR/0007_x.sql`, or `DIR/<name>/migration.sql` for Prisma). */
  path: string;
  /** The migration's name as the history will carry it. */
  name: string;
  scheme: NamingScheme;
  /** Prisma's layout: a folder with `migration.sql`. */
  folder: boolean;
}

/**
 * Creates the next migration of a directory in the directory's own naming
 * scheme, read from its newest entry (or its layout when empty: Prisma's
 * and Supabase's take a timestamp, a plain directory `0001`). The version
 * always sorts after every existing one and never shares one: the runner's
 * rule (migration-versions.ts) holds for the result.
 *
 * @example
 * const { path } = await newMigration({ dir: "migrations", name: "add orders" });
 */
export async function newMigration(options: NewMigrationOptions): Promise<NewMigration> {
  const slug = options.name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (!slug) {
    throw new OpskitError(
      "BAD_REQUEST",
      `"${options.name}" gives no name: use letters or digits (add_orders).`,
    );
  }
  await mkdir(options.dir, { recursive: true });
  const layout = directoryLayout(options.dir);
  const entries = (await readdir(options.dir, { withFileTypes: true }))
    .filter((e) => (e.isDirectory() ? layout === "prisma" : e.name.endsWith(".sql")))
    .map((e) => e.name)
    .sort(compareNames);
  const newest = entries.at(-1);
  const folder = layout === "prisma";
  const scheme: NamingScheme =
    newest === undefined
      ? layout === "opskit"
        ? "plain"
        : "timestamp"
      : /^\d{14}_/.test(newest)
        ? "timestamp"
        : /^\d{8}[a-z]?_/.test(newest)
          ? "dated"
          : "plain";
  const now = options.now ?? new Date();
  const version = nextVersion(scheme, entries, now);
  const name = `${version}_${slug}${folder ? "" : ".sql"}`;
  if (
    duplicateVersions([...entries, name]).length > 0 ||
    (newest && compareNames(name, newest) <= 0)
  ) {
    throw new OpskitError(
      "CONFLICT",
      `${name} would not sort after ${newest ?? "nothing"} with a version of its own; rename the newest migration or pass a name that sorts after it.`,
    );
  }
  const file = folder
    ? path.join(options.dir, name, "migration.sql")
    : path.join(options.dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `-- ${slug.replace(/_/g, " ")}\n`, { flag: "wx" });
  return { path: file, name, scheme, folder };
}

function utcDigits(now: Date): string {
  return now.toISOString().replace(/\D/g, "").slice(0, 14);
}

function nextVersion(scheme: NamingScheme, entries: string[], now: Date): string {
  if (scheme === "plain") {
    const numbers = entries.flatMap((e) => {
      const m = /^(\d+)_/.exec(e);
      return m ? [m[1]!] : [];
    });
    const width = Math.max(4, ...numbers.map((n) => n.length));
    const max = numbers.reduce((m, n) => (BigInt(n) > m ? BigInt(n) : m), 0n);
    return String(max + 1n).padStart(width, "0");
  }
  if (scheme === "timestamp") {
    const latest = entries
      .flatMap((e) => /^(\d{14})_/.exec(e)?.[1] ?? [])
      .reduce((m, v) => (v > m ? v : m), "");
    let stamp = utcDigits(now);
    // A clock behind the newest version (or two in one second): one second after it.
    if (stamp <= latest) stamp = utcDigits(new Date(parseStamp(latest).getTime() + 1000));
    return stamp;
  }
  const today = utcDigits(now).slice(0, 8);
  const dated = entries.flatMap((e) => {
    const m = /^(\d{8})([a-z]?)_/.exec(e);
    return m ? [{ day: m[1]!, letter: m[2]! }] : [];
  });
  const lastDay = dated.reduce((m, d) => (d.day > m ? d.day : m), "");
  const day = today > lastDay ? today : lastDay;
  const letters = dated.filter((d) => d.day === day).map((d) => d.letter);
  if (letters.length === 0) return `${day}a`;
  const last = letters.reduce((m, l) => (l > m ? l : m), "");
  if (last === "z") {
    throw new OpskitError(
      "CONFLICT",
      `${day} already has migrations a to z; add the next one tomorrow or fold some together.`,
    );
  }
  return `${day}${last === "" ? "a" : String.fromCharCode(last.charCodeAt(0) + 1)}`;
}

function parseStamp(stamp: string): Date {
  const [y, mo, d, h, mi, s] = [0, 4, 6, 8, 10, 12].map((i, k) =>
    Number(stamp.slice(i, k === 0 ? 4 : i + 2)),
  );
  return new Date(Date.UTC(y!, mo! - 1, d, h, mi, s));
}
