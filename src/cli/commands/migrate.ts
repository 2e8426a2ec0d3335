import {
  acceptChecksum,
  describeHolder,
  dryRunMigrations,
  migrate,
  replayMigrations,
  type MigrationFailure,
  migrationStatus,
  toolkitMigrationsDir,
  unlockMigrations,
  type MigrationSource,
} from "../../migrate/index.js";
import { describeConnectionTarget } from "../../db/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";
import {
  databaseOptions as connection,
  sessionDatabaseUrl,
  parseDurationFlag,
} from "../command-kit.js";

const withDir = { ...connection, dir: { type: "string" } } as const;

/** The toolkit's own migrations, then the service's directory: the runner's order. */
export function migrationSources(dir: string | undefined): MigrationSource[] {
  if (!dir) throw new UsageError("--dir DIR is required.");
  return [
    { source: "opskit", dir: toolkitMigrationsDir },
    { source: "app", dir },
  ];
}

export const migrateUp: Command = {
  name: "migrate up",
  summary: "Apply pending migrations (the toolkit's own first), each in its own transaction",
  usage: `opskit migrate up --dir DIR [--database-url URL] [--json]
                  [--lock-wait 60s] [--stale-lock 60s] [--allow-out-of-order]

Exit 0 when everything is applied, 1 when a migration failed (it is rolled
back: the database is as it was before that file) or the run was refused
(changed applied file, a migration Prisma recorded as failed, duplicate
version, out-of-order file, lock timeout, transaction-mode pooler). A
Prisma or Supabase history (_prisma_migrations, supabase_migrations) is
adopted in place and kept written. A lock holder that is an idle opskit runner
session older than --stale-lock is terminated and audited.`,
  async run(args, io) {
    const { values } = parse(args, {
      ...withDir,
      "lock-wait": { type: "string" },
      "stale-lock": { type: "string" },
      "allow-out-of-order": { type: "boolean" },
    });
    const url = sessionDatabaseUrl(values);
    const lockWaitMs = parseDurationFlag(values["lock-wait"], "--lock-wait");
    const staleLockMs = parseDurationFlag(values["stale-lock"], "--stale-lock");
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
      onAdopted: (adopted) => {
        if (values.json) return;
        if (adopted.mirrored.length)
          io.out(
            `adopted ${adopted.mirrored.length} migration(s) applied by another tool into opskit's history (audited)`,
          );
        if (adopted.backfilled.length)
          io.out(
            `recorded ${adopted.backfilled.length} migration(s) opskit applied in the other tool's history table`,
          );
      },
    });
    if (values.json) io.out(JSON.stringify(outcome));
    else {
      for (const r of outcome.results)
        io.out(`${r.status.padEnd(7)} ${r.source}/${r.name} (${r.durationMs} ms)`);
      if (outcome.error) io.err(failureLine(outcome.error));
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
stopped part-way), failed (Prisma recorded it neither finished nor rolled
back: resolve it with \`opskit migrate resolve\`). A Prisma or Supabase
directory's own history table is read as the applied history. Warns when
more than one migration is pending (deploy them one at a time). Exit 1 when
the next run would be refused (changed, failed, out of order, duplicate
version).`,
  async run(args, io) {
    const { values } = parse(args, withDir);
    const status = await migrationStatus({
      connectionString: sessionDatabaseUrl(values),
      sources: migrationSources(values.dir),
    });
    const pending = status.files.filter(
      (f) => f.state !== "applied" && f.state !== "changed" && f.state !== "failed",
    );
    const blocking = status.files.filter(
      (f) => f.state === "changed" || f.state === "out_of_order" || f.state === "failed",
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
          sources: status.sources,
          warnings,
        }),
      );
    } else {
      for (const f of status.files) {
        const when = f.appliedAt ? `  ${f.appliedAt.toISOString()} by ${f.appliedBy}` : "";
        const part = f.statementsDone === undefined ? "" : ` (${f.statementsDone} statements done)`;
        io.out(`${f.state.padEnd(12)} ${f.source}/${f.name}${part}${when}`);
      }
      for (const s of status.sources) {
        if (s.history !== "opskit")
          io.out(
            `${s.source}: ${s.history} history${s.table ? `, read from and kept in ${s.table}` : ""}`,
          );
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
      connectionString: sessionDatabaseUrl(values),
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
    const outcome = await unlockMigrations({
      connectionString: sessionDatabaseUrl(values),
      staleSeconds,
    });
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

function failureLine(failure: MigrationFailure): string {
  return `error: ${failure.message}${failure.sqlstate ? ` [SQLSTATE ${failure.sqlstate}]` : ""}`;
}

/** The first failure's position at the top level of --json output, where scripts look. */
function failureFields(failure: MigrationFailure | undefined) {
  return {
    file: failure?.file ?? null,
    line: failure?.line ?? null,
    sqlstate: failure?.sqlstate ?? null,
  };
}

export const migrateDryRun: Command = {
  name: "migrate dry-run",
  summary:
    "Apply pending migrations to a target and leave it exactly as it was; data prechecks first",
  usage: `opskit migrate dry-run --dir DIR --database-url URL [--json] [--allow-out-of-order]

Counts, read-only, the rows that would make a data-dependent operation fail
(NULLs under SET NOT NULL, duplicates under a new UNIQUE or primary key,
orphans under a new foreign key, rows violating a new CHECK, rows under a
new NOT NULL column without a default). Then applies every pending file in
one transaction that is rolled back (or, when a file must run outside a
transaction, on a scratch copy that is dropped), and reports per file the
locks it took, the tables it rewrote and its duration, or the failure with
file, line and SQLSTATE. The target's locks are real while it runs.
Exit 0 when everything would apply cleanly, 1 otherwise.`,
  async run(args, io) {
    const { values } = parse(args, { ...withDir, "allow-out-of-order": { type: "boolean" } });
    if (!values["database-url"])
      throw new UsageError("--database-url URL is required (the target to rehearse on).");
    const url = sessionDatabaseUrl(values);
    const report = await dryRunMigrations({
      connectionString: url,
      sources: migrationSources(values.dir),
      allowOutOfOrder: values["allow-out-of-order"] ?? false,
    });
    if (values.json) {
      io.out(JSON.stringify({ ...report, ...failureFields(report.error) }));
      return report.ok ? EXIT.ok : EXIT.failure;
    }
    io.out(
      `dry-run on ${describeConnectionTarget(url)}: ${report.mode === "rolled_back" ? "one transaction, rolled back" : "a scratch copy, dropped"}; the target is unchanged`,
    );
    if (report.prechecks.length) io.out("data prechecks:");
    for (const p of report.prechecks) {
      const mark = p.violations === undefined ? "skip" : p.violations ? "FAIL" : "ok  ";
      const count =
        p.violations === undefined
          ? `(${p.skipped})`
          : p.violations
            ? `: ${p.violations} violate`
            : "";
      io.out(`  ${mark} ${p.source}/${p.file}:${p.line}  ${p.description}${count}`);
    }
    if (report.files.length) io.out("migrations:");
    for (const f of report.files) {
      const locks = f.locks.map((l) => `${l.relation} ${l.mode}`).join(", ");
      io.out(
        `  ${f.status.padEnd(7)} ${f.source}/${f.name}  ${f.durationMs} ms${f.transactional ? "" : " (outside a transaction)"}` +
          (locks ? `\n            locks: ${locks}` : "") +
          (f.rewrites.length ? `\n            rewrites: ${f.rewrites.join(", ")}` : ""),
      );
    }
    if (report.error) io.err(failureLine(report.error));
    else if (!report.ok)
      io.err("error: data prechecks found rows that would make a migration fail");
    else io.out(`ok: ${report.files.length} migration(s) would apply`);
    return report.ok ? EXIT.ok : EXIT.failure;
  },
};

export const migrateReplay: Command = {
  name: "migrate replay",
  summary: "Apply the whole history in runner order to a fresh scratch database",
  usage: `opskit migrate replay --dir DIR [--database-url URL] [--json]

Starts an embedded Postgres in a temporary folder (or, with --database-url,
creates a scratch database on that server), applies the toolkit's and the
service's migrations from scratch, reports the first failure with file, line
and SQLSTATE, and removes the scratch database. Exit 0 when the history
replays, 1 otherwise.`,
  async run(args, io) {
    const { values } = parse(args, withDir);
    const report = await replayMigrations({
      sources: migrationSources(values.dir),
      ...(values["database-url"] ? { serverUrl: values["database-url"] } : {}),
    });
    if (values.json) io.out(JSON.stringify({ ...report, ...failureFields(report.error) }));
    else {
      for (const r of report.results)
        io.out(`${r.status.padEnd(7)} ${r.source}/${r.name} (${r.durationMs} ms)`);
      if (report.error) io.err(failureLine(report.error));
      else io.out(`ok: the history replays from scratch (${report.results.length} migrations)`);
    }
    return report.error ? EXIT.failure : EXIT.ok;
  },
};
