import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import pg from "pg";
import { withClient } from "../db/index.js";
import { OpskitError } from "../errors.js";

const run = promisify(execFile);

export interface ScratchDatabase {
  url: string;
  name: string;
  /** How the copy was made: `empty`, `template` (CREATE DATABASE … TEMPLATE) or `dump` (pg_dump | pg_restore). */
  method: "empty" | "template" | "dump";
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || "postgres";
}

/** Runs `fn` on a maintenance connection of the server (its `postgres` database). */
async function onServer<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(withDatabase(url, "postgres"), { application_name: "opskit-scratch" }, fn);
}

/**
 * A throwaway database on the same server as `url`: empty, or a copy of the
 * database `url` names. A copy is made with CREATE DATABASE … TEMPLATE when
 * nobody else is connected to the source (instant, file-level), otherwise
 * with `pg_dump | pg_restore` (Debian's postgresql-client; a live database
 * cannot serve as a template).
 *
 * @example
 * const scratch = await createScratchDatabase(url, { copy: true });
 * try { … } finally { await scratch.drop(); }
 */
export async function createScratchDatabase(
  url: string,
  options: { copy: boolean; prefix?: string },
): Promise<ScratchDatabase> {
  const name = `${options.prefix ?? "opskit_scratch"}_${randomBytes(5).toString("hex")}`;
  const scratchUrl = withDatabase(url, name);
  const drop = () =>
    onServer(url, (c) =>
      c.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`),
    ).then(() => undefined);
  const source = databaseOf(url);
  if (!options.copy) {
    await onServer(url, (c) =>
      c.query(`create database ${pg.escapeIdentifier(name)} template template0`),
    );
    return { url: scratchUrl, name, method: "empty", drop };
  }
  const templated = await onServer(url, (c) =>
    c
      .query(`create database ${pg.escapeIdentifier(name)} template ${pg.escapeIdentifier(source)}`)
      .then(
        () => true,
        (error: { code?: string }) => {
          if (error.code === "55006") return false; // the source has other sessions
          throw error;
        },
      ),
  );
  if (templated) return { url: scratchUrl, name, method: "template", drop };
  await onServer(url, (c) =>
    c.query(`create database ${pg.escapeIdentifier(name)} template template0`),
  );
  try {
    await dumpInto(url, scratchUrl);
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
  return { url: scratchUrl, name, method: "dump", drop };
}

async function dumpInto(from: string, to: string): Promise<void> {
  try {
    await run(
      "bash",
      [
        "-o",
        "pipefail",
        "-c",
        'pg_dump --format=custom --no-owner --no-privileges "$FROM" | pg_restore --no-owner --no-privileges --exit-on-error --dbname="$TO"',
      ],
      { env: { ...process.env, FROM: from, TO: to }, maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new OpskitError(
      "INTERNAL",
      /not found/.test(stderr)
        ? "Copying a database in use needs pg_dump and pg_restore (Debian: apt-get install postgresql-client-15)."
        : `Copying the database with pg_dump | pg_restore failed: ${stderr.trim().split("\n").slice(-3).join(" ")}`,
      { cause: error },
    );
  }
}
