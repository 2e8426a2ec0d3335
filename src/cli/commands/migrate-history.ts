import { baselineMigrations, newMigration, resolveMigration } from "../../migrate/index.js";
import { describeConnectionTarget } from "../../db/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";
import { databaseOptions as connection, sessionDatabaseUrl } from "../command-kit.js";
import { migrationSources } from "./migrate.js";

const withDir = { ...connection, dir: { type: "string" } } as const;

export const migrateNew: Command = {
  name: "migrate new",
  summary: "Create the next migration in the directory's own naming scheme and print its path",
  usage: `opskit migrate new NAME --dir DIR [--json]

The scheme is the directory's own, read from its newest entry: plain
0007_name.sql, dated 20240312a_name (several a day by letter), or a
timestamp 20240312093000_name (Prisma's folder with migration.sql, the
Supabase CLI's file). An empty directory takes Prisma's scheme when it has
a migration_lock.toml, Supabase's when it is supabase/migrations, else 0001.`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      dir: { type: "string" },
      json: { type: "boolean" },
    });
    const [name] = positionals;
    if (!name || positionals.length > 1) throw new UsageError("Give exactly one migration NAME.");
    if (!values.dir) throw new UsageError("--dir DIR is required.");
    const created = await newMigration({ dir: values.dir, name });
    if (values.json) io.out(JSON.stringify(created));
    else io.out(created.path);
    return EXIT.ok;
  },
};

export const migrateResolve: Command = {
  name: "migrate resolve",
  summary:
    "Mark a failed migration rolled back (it runs again) or applied (audited; nothing is run)",
  usage: `opskit migrate resolve (--rolled-back NAME | --applied NAME) --dir DIR [--database-url URL] [--json]

For a migration that failed part-way: a Prisma row neither finished nor
rolled back (the runner refuses to go on, MIGRATION_PREVIOUSLY_FAILED), or
a no-transaction file stopped part-way (partial).
  --rolled-back NAME  you undid what it applied: the next up runs it again
                      from its first statement
  --applied NAME      you finished it by hand: it is recorded as applied
Written to opskit's history and to _prisma_migrations (as \`prisma migrate
resolve\` would), with the audit row, in one transaction.`,
  async run(args, io) {
    const { values } = parse(args, {
      ...withDir,
      "rolled-back": { type: "string" },
      applied: { type: "string" },
    });
    const rolledBack = values["rolled-back"];
    const applied = values.applied;
    if ((rolledBack === undefined) === (applied === undefined))
      throw new UsageError("Give one of --rolled-back NAME or --applied NAME.");
    const resolved = await resolveMigration({
      connectionString: sessionDatabaseUrl(values),
      sources: migrationSources(values.dir),
      name: (rolledBack ?? applied)!,
      as: rolledBack !== undefined ? "rolled-back" : "applied",
    });
    if (values.json) io.out(JSON.stringify(resolved));
    else
      io.out(
        `${resolved.source}/${resolved.name}: ${resolved.was} → ${resolved.as}` +
          (resolved.native ? ` (also in ${resolved.native})` : "") +
          (resolved.as === "rolled-back" ? "; the next up runs it again" : ""),
      );
    return EXIT.ok;
  },
};

export const migrateBaseline: Command = {
  name: "migrate baseline",
  summary: "Record an existing schema as migrated, once a replay of the history matches it",
  usage: `opskit migrate baseline --dir DIR --database-url URL [--yes] [--force REASON]
                        [--replay-url URL] [--json]

Replays the directory's history on a scratch database (on the target's
server, or --replay-url's), compares the schema with the target's (tables,
columns with type/nullability/default, constraints, indexes, views,
functions, enums, triggers, policies) and prints the difference. Exit 1,
recording nothing, when they differ (unless --force REASON: the reason and
the difference go to the audit log). Otherwise every migration not applied
yet is recorded as applied (opskit's history, and _prisma_migrations or
Supabase's table), audited. Nothing runs on the target. Without --yes it
only compares.`,
  async run(args, io) {
    const { values } = parse(args, {
      ...withDir,
      yes: { type: "boolean" },
      force: { type: "string" },
      "replay-url": { type: "string" },
    });
    if (!values["database-url"])
      throw new UsageError("--database-url URL is required (the database to record).");
    if (values.force !== undefined && !values.force.trim())
      throw new UsageError("--force needs a REASON (kept in the audit log).");
    const url = sessionDatabaseUrl(values);
    const sources = migrationSources(values.dir);
    const compareOnly = !values.yes;
    const report = await baselineMigrations({
      connectionString: url,
      sources,
      ...(values["replay-url"] ? { serverUrl: values["replay-url"] } : {}),
      ...(values.force !== undefined ? { force: { reason: values.force } } : {}),
      dryRun: compareOnly,
    });
    const ok =
      !report.error && (report.differences.length === 0 || (report.forced && !compareOnly));
    if (values.json) {
      io.out(JSON.stringify({ ...report, ok, recordedNothing: report.recorded.length === 0 }));
      return ok ? EXIT.ok : EXIT.failure;
    }
    if (report.error) {
      io.err(`error: the history does not replay: ${report.error.message}`);
      return EXIT.failure;
    }
    for (const d of report.differences) io.out(`${d.op} ${d.line}`);
    const target = describeConnectionTarget(url);
    if (report.differences.length && (!report.forced || compareOnly)) {
      io.err(
        `error: ${target}: the schema differs from the history's (- only the history has it, + only the database); nothing recorded`,
      );
      return EXIT.failure;
    }
    if (compareOnly) {
      io.out(`${target}: the schema matches the history; run again with --yes to record it`);
      return EXIT.ok;
    }
    io.out(
      `${target}: recorded ${report.recorded.length} migration(s) as applied` +
        (report.forced ? " despite the differences above (--force, audited)" : "") +
        ` (${report.alreadyApplied} were already)`,
    );
    return EXIT.ok;
  },
};

export const MIGRATE_HISTORY_COMMANDS: Command[] = [migrateNew, migrateResolve, migrateBaseline];
