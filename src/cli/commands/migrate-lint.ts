import { readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
// The linter's own index rather than the migrate area's: that one pulls in
// the runner (pg, the db area), and a lint in a pre-commit hook should start
// fast. The database side is loaded only with --database-url.
import {
  formatFindings,
  LINT_FORMATS,
  lintMigrations,
  parsePgVersion,
  type LintFormat,
} from "../../migrate/lint/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";

const options = {
  format: { type: "string" },
  "pg-version": { type: "string" },
  "database-url": { type: "string" },
} as const;

function opskitVersion(): string {
  const url = new URL(
    import.meta.url.includes("/dist/") ? "../../../../package.json" : "../../../package.json",
    import.meta.url,
  );
  try {
    return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

/**
 * What the runner counts as applied: opskit's history, and for a Prisma or
 * Supabase directory its tool's table (read the same way as `migrate up`).
 */
async function appliedMigrations(url: string, dirs: string[]) {
  const [{ withClient }, { readHistory, migrationStatus, toolkitMigrationsDir }] =
    await Promise.all([import("../../db/index.js"), import("../../migrate/index.js")]);
  const path = await import("node:path");
  const sources = [];
  for (const dir of dirs) {
    if (!(await stat(dir)).isDirectory()) continue;
    const source = path.resolve(dir) === path.resolve(toolkitMigrationsDir) ? "opskit" : "app";
    sources.push({ source, dir });
  }
  const status = await migrationStatus({ connectionString: url, sources });
  const fromStatus = status.files
    .filter((f) => f.state === "applied" || f.state === "changed")
    .map(({ source, name }) => ({ source, name }));
  const fromHistory = await withClient(
    url,
    { application_name: "opskit-migrate-lint" },
    async (client) => (await readHistory(client)).map(({ source, name }) => ({ source, name })),
  );
  return [...fromStatus, ...fromHistory];
}

export const migrateLint: Command = {
  name: "migrate lint",
  summary: "Lint migrations as the runner will execute them (locks, deploy failures, ordering)",
  usage: `opskit migrate lint DIR... [--format text|json|sarif|github] [--pg-version N] [--database-url URL]

Each DIR is a migration directory (DIR/*.sql or Prisma's DIR/<name>/migration.sql),
linted in runner order (directories in the order given, files by name), or a
single .sql file. --pg-version is the target server (default 15; 14.2 gives a
minor). With --database-url, files already applied (opskit.schema_migrations,
and _prisma_migrations or Supabase's table for such a directory) are known:
objects created by unapplied files count as new.
Exit 0 when no finding is an error, 1 when one is, 2 on a usage error.`,
  async run(args, io) {
    const { values, positionals } = parse(args, options);
    if (positionals.length === 0) throw new UsageError("Give at least one migration directory.");
    const format = (values.format ?? "text") as LintFormat;
    if (!LINT_FORMATS.includes(format))
      throw new UsageError(`--format must be one of ${LINT_FORMATS.join(", ")} (got "${format}").`);
    let pgVersion: string | undefined;
    try {
      pgVersion = values["pg-version"];
      parsePgVersion(pgVersion);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    for (const dir of positionals) {
      const found = await stat(dir).then(
        (s) => s.isDirectory() || s.isFile(),
        () => false,
      );
      if (!found) throw new UsageError(`${dir}: no such directory or file.`);
    }
    const applied = values["database-url"]
      ? await appliedMigrations(values["database-url"], positionals)
      : undefined;
    const { findings, files } = await lintMigrations({ dirs: positionals, pgVersion, applied });
    const output = formatFindings(findings, format, {
      version: opskitVersion(),
      files: files.length,
    });
    if (output) io.out(output);
    return findings.some((f) => f.severity === "error") ? EXIT.failure : EXIT.ok;
  },
};
