import {
  migrate,
  migrationStatus,
  toolkitMigrationsDir,
  type MigrationSource,
} from "../../migrate/index.js";
import { describeConnectionTarget } from "../../db/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";

const options = {
  dir: { type: "string" },
  "database-url": { type: "string" },
  json: { type: "boolean" },
} as const;

function target(values: { dir?: string | undefined; "database-url"?: string | undefined }) {
  if (!values.dir) throw new UsageError("--dir DIR is required.");
  const url = values["database-url"] ?? process.env.DATABASE_URL;
  if (!url) throw new UsageError("Give --database-url URL or set DATABASE_URL.");
  const sources: MigrationSource[] = [
    { source: "opskit", dir: toolkitMigrationsDir },
    { source: "app", dir: values.dir },
  ];
  return { url, sources };
}

export const migrateUp: Command = {
  name: "migrate up",
  summary: "Apply pending migrations (the toolkit's own first), each in its own transaction",
  usage: `opskit migrate up --dir DIR [--database-url URL] [--json]

Exit 0 when everything is applied, 1 when a migration failed (it is rolled
back: the database is as it was before that file).`,
  async run(args, io) {
    const { values } = parse(args, options);
    const { url, sources } = target(values);
    const outcome = await migrate({
      connectionString: url,
      sources,
      onLockWait: (holder, waited) =>
        io.err(
          `waiting ${Math.round(waited / 1000)} s for the migration lock${holder ? ` held by pid ${holder.pid} (${holder.application_name}, ${holder.state ?? "?"})` : ""}`,
        ),
    });
    if (values.json) io.out(JSON.stringify(outcome));
    else {
      for (const r of outcome.results)
        io.out(`${r.status.padEnd(7)} ${r.source}/${r.name} (${r.durationMs} ms)`);
      if (outcome.error)
        io.err(
          `error: ${outcome.error.message}${outcome.error.sqlstate ? ` [SQLSTATE ${outcome.error.sqlstate}]` : ""}`,
        );
      else
        io.out(
          `${describeConnectionTarget(url)}: up to date (${outcome.results.length} applied now)`,
        );
    }
    return outcome.error ? EXIT.failure : EXIT.ok;
  },
};

export const migrateStatus: Command = {
  name: "migrate status",
  summary: "Show applied, pending and changed migrations",
  usage: `opskit migrate status --dir DIR [--database-url URL] [--json]

Warns when more than one migration is pending (deploy them one at a time).
Exit 1 when an applied file has changed.`,
  async run(args, io) {
    const { values } = parse(args, options);
    const { url, sources } = target(values);
    const status = await migrationStatus({ connectionString: url, sources });
    const pending = status.files.filter((f) => f.state === "pending");
    const changed = status.files.filter((f) => f.state === "changed");
    if (values.json) {
      io.out(
        JSON.stringify({
          files: status.files.map(({ source, name, state, checksum }) => ({
            source,
            name,
            state,
            checksum,
          })),
          missing: status.missing,
        }),
      );
    } else {
      for (const f of status.files) io.out(`${f.state.padEnd(8)} ${f.source}/${f.name}`);
      for (const m of status.missing)
        io.out(`missing  ${m.source}/${m.name} (applied, file not found)`);
      if (pending.length > 1)
        io.err(`warning: ${pending.length} migrations pending: deploy them one at a time`);
    }
    return changed.length ? EXIT.failure : EXIT.ok;
  },
};
