import {
  acceptChecksum,
  describeHolder,
  migrate,
  migrationStatus,
  toolkitMigrationsDir,
  unlockMigrations,
  type MigrationSource,
} from "../../migrate/index.js";
import { describeConnectionTarget } from "../../db/index.js";
import { parseDuration } from "../../config/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";

const connection = {
  "database-url": { type: "string" },
  json: { type: "boolean" },
} as const;

const withDir = { ...connection, dir: { type: "string" } } as const;

export function databaseUrl(values: { "database-url"?: string | undefined }): string {
  const url = values["database-url"] ?? process.env.DATABASE_URL;
  if (!url) throw new UsageError("Give --database-url URL or set DATABASE_URL.");
  return url;
}

/** The toolkit's own migrations, then the service's directory: the runner's order. */
export function migrationSources(dir: string | undefined): MigrationSource[] {
  if (!dir) throw new UsageError("--dir DIR is required.");
  return [
    { source: "opskit", dir: toolkitMigrationsDir },
    { source: "app", dir },
  ];
}

function milliseconds(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDuration(text);
  } catch {
    throw new UsageError(`${flag} expects a duration like 500ms, 30s, 2m.`);
  }
}

export const migrateUp: Command = {
  name: "migrate up",
  summary: "Apply pending migrations (the toolkit's own first), each in its own transaction",
  usage: `opskit migrate up --dir DIR [--database-url URL] [--json]
                  [--lock-wait 60s] [--stale-lock 60s] [--allow-out-of-order]

Exit 0 when everything is applied, 1 when a migration failed (it is rolled
back: the database is as it was before that file) or the run was refused
(changed applied file, duplicate version, out-of-order file, lock timeout,
transaction-mode pooler). A lock holder that is an idle opskit runner
session older than --stale-lock is terminated and audited.`,
  async run(args, io) {
    const { values } = parse(args, {
      ...withDir,
      "lock-wait": { type: "string" },
      "stale-lock": { type: "string" },
      "allow-out-of-order": { type: "boolean" },
    });
    const url = databaseUrl(values);
    const lockWaitMs = milliseconds(values["lock-wait"], "--lock-wait");
    const staleLockMs = milliseconds(values["stale-lock"], "--stale-lock");
    const outcome = await migrate({
      connectionString: url,
      sources: migrationSources(values.dir),
      ...(lockWaitMs === undefined ? {} : { lockWaitMs }),
      ...(staleLockMs === undefined ? {} : { staleLockMs }),
      allowOutOfOrder: values["allow-out-of-order"] ?? false,
      onLockWait: (holder, waited) =>
        io.err(
          `waiting ${Math.round(waited / 1000)} s for the migration lock${holder ? ` held by ${describeHolder(holder)}: ${holder.query}` : ""}`,
        ),
      onStaleLockTerminated: (holder) =>
        io.err(`terminated a stale runner session holding the lock: ${describeHolder(holder)}`),
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
  summary: "Show applied, pending, changed and out-of-order migrations",
  usage: `opskit migrate status --dir DIR [--database-url URL] [--json]

States: applied, pending, changed (edited since applied), out_of_order (not
applied, sorts before an applied file), partial (a non-transactional file
stopped part-way). Warns when more than one migration is pending (deploy
them one at a time). Exit 1 when the next run would be refused (changed,
out of order, duplicate version).`,
  async run(args, io) {
    const { values } = parse(args, withDir);
    const status = await migrationStatus({
      connectionString: databaseUrl(values),
      sources: migrationSources(values.dir),
    });
    const pending = status.files.filter((f) => f.state !== "applied" && f.state !== "changed");
    const blocking = status.files.filter(
      (f) => f.state === "changed" || f.state === "out_of_order",
    );
    const warnings: string[] = [];
    if (pending.length > 1)
      warnings.push(`${pending.length} migrations pending: deploy them one at a time`);
    for (const d of status.duplicates)
      warnings.push(`${d.source}: version ${d.version} is used by ${d.names.join(", ")}`);
    for (const m of status.missing)
      warnings.push(`${m.source}/${m.name} is applied but its file is gone`);
    if (values.json) {
      io.out(
        JSON.stringify({
          files: status.files.map((f) => ({
            source: f.source,
            name: f.name,
            state: f.state,
            checksum: f.checksum,
            appliedAt: f.appliedAt ?? null,
            appliedBy: f.appliedBy ?? null,
            ...(f.statementsDone === undefined ? {} : { statementsDone: f.statementsDone }),
          })),
          missing: status.missing,
          duplicates: status.duplicates,
          warnings,
        }),
      );
    } else {
      for (const f of status.files) {
        const when = f.appliedAt ? `  ${f.appliedAt.toISOString()} by ${f.appliedBy}` : "";
        const part = f.statementsDone === undefined ? "" : ` (${f.statementsDone} statements done)`;
        io.out(`${f.state.padEnd(12)} ${f.source}/${f.name}${part}${when}`);
      }
      for (const w of warnings) io.err(`warning: ${w}`);
    }
    const duplicateBlocks = status.duplicates.some((d) =>
      d.names.some(
        (n) => status.files.find((f) => f.source === d.source && f.name === n)?.state !== "applied",
      ),
    );
    return blocking.length || duplicateBlocks ? EXIT.failure : EXIT.ok;
  },
};

export const migrateAccept: Command = {
  name: "migrate accept",
  summary: "Accept the edited content of an applied migration (audited; nothing is run)",
  usage: `opskit migrate accept NAME --dir DIR --reason TEXT [--database-url URL] [--json]

For an applied file whose content changed harmlessly (a comment, layout):
its history row takes the new checksum and the audit log records who, why
and both checksums. A real change belongs in a new migration instead.`,
  async run(args, io) {
    const { values, positionals } = parse(args, { ...withDir, reason: { type: "string" } });
    const [name] = positionals;
    if (!name || positionals.length > 1) throw new UsageError("Give exactly one migration NAME.");
    if (!values.reason?.trim())
      throw new UsageError("--reason TEXT is required (kept in the audit log).");
    const accepted = await acceptChecksum({
      connectionString: databaseUrl(values),
      sources: migrationSources(values.dir),
      name,
      reason: values.reason,
    });
    if (values.json) io.out(JSON.stringify(accepted));
    else
      io.out(
        `accepted ${accepted.source}/${accepted.name}: checksum ${accepted.previous.slice(0, 12)}… → ${accepted.accepted.slice(0, 12)}…`,
      );
    return EXIT.ok;
  },
};

export const migrateUnlock: Command = {
  name: "migrate unlock",
  summary: "Free the migration lock held by an orphaned (idle) runner session",
  usage: `opskit migrate unlock [--stale SECONDS] [--database-url URL] [--json]

Terminates the lock's holder only if it is an opskit runner session
(application_name opskit-migrate) idle for at least --stale seconds
(default 60), and prints what it terminated. A holder at work or not the
runner's is left alone. Also reports Prisma Migrate's lock (72707369) and
how to clear it. Exit 0 when the lock is free or was freed, 1 otherwise.`,
  async run(args, io) {
    const { values } = parse(args, { ...connection, stale: { type: "string", default: "60" } });
    const staleSeconds = Number(values.stale);
    if (!Number.isFinite(staleSeconds) || staleSeconds < 0)
      throw new UsageError("--stale expects a number of seconds.");
    const outcome = await unlockMigrations({ connectionString: databaseUrl(values), staleSeconds });
    if (values.json) io.out(JSON.stringify(outcome));
    else {
      if (outcome.holder)
        io.out(`holder: ${describeHolder(outcome.holder)}: ${outcome.holder.query}`);
      io.out(outcome.reason);
      if (outcome.prisma) io.err(outcome.prisma.advice);
    }
    return outcome.holder === undefined || outcome.terminated ? EXIT.ok : EXIT.failure;
  },
};
