import { readFile } from "node:fs/promises";
import { z } from "zod";
import {
  createBackup,
  createPgBackRest,
  drillPointInTime,
  drillBackup,
  drillRestored,
  findBackup,
  listBackups,
  pruneBackups,
  restoreBackup,
  verifyBackup,
  type CheckResult,
  type DrillChecks,
  type DrillReceipt,
} from "../../backup/index.js";
import { parseDuration } from "../../config/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command, type Output } from "../cli-error.js";
import { terminalProgress } from "./backup-progress.js";

const json = { json: { type: "boolean" } } as const;
const source = { "database-url": { type: "string" } } as const;

function sourceUrl(values: { "database-url"?: string | undefined }): string {
  const url = values["database-url"] ?? process.env.DATABASE_URL;
  if (!url) throw new UsageError("Give --database-url URL or set DATABASE_URL.");
  return url;
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`Give ${flag}.`);
  return value;
}

function checksTable(checks: CheckResult[]): string {
  const width = Math.max(5, ...checks.map((c) => c.name.length));
  return checks
    .map(
      (c) => `${c.skipped ? "skip" : c.ok ? " ok " : "FAIL"}  ${c.name.padEnd(width)}  ${c.detail}`,
    )
    .join("\n");
}

const seconds = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(1)} s`);

export const backupCreate: Command = {
  name: "backup create",
  summary: "pg_dump -Fc in one snapshot, with a manifest (LSN, exact row counts, sha256)",
  usage: `opskit backup create --database-url URL --to DIR [--json]

Writes DIR/<id>/database.pgdump and DIR/<id>/manifest.json (docs/backup.md).`,
  async run(args, io) {
    const { values } = parse(args, { ...source, ...json, to: { type: "string" } });
    const progress = terminalProgress(values.json);
    const manifest = await createBackup({
      databaseUrl: sourceUrl(values),
      directory: required(values.to, "--to DIR"),
      ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
    }).finally(() => progress.done());
    const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0);
    io.out(
      values.json
        ? JSON.stringify(manifest)
        : `backup ${manifest.id}: ${manifest.files[0]!.bytes} bytes, ${Object.keys(manifest.tables).length} tables, ${rows} rows, LSN ${manifest.lsn}, newest migration ${manifest.migrations.newest ?? "(none)"}`,
    );
    return EXIT.ok;
  },
};

export const backupList: Command = {
  name: "backup list",
  summary: "The backups in a directory, newest first",
  usage: "opskit backup list --to DIR [--json]",
  async run(args, io) {
    const { values } = parse(args, { ...json, to: { type: "string" } });
    const backups = await listBackups(required(values.to, "--to DIR"));
    const rows = backups.map((b) => ({
      id: b.id,
      database: b.manifest.database,
      snapshot_at: b.manifest.snapshotAt,
      bytes: b.bytes,
      tables: Object.keys(b.manifest.tables).length,
      lsn: b.manifest.lsn,
      newest_migration: b.manifest.migrations.newest,
    }));
    io.out(
      values.json
        ? JSON.stringify({ backups: rows })
        : rows.length === 0
          ? "no backups"
          : rows
              .map(
                (r) =>
                  `${r.id}  ${r.snapshot_at}  ${r.database}  ${r.bytes} bytes  ${r.tables} tables  ${r.lsn}`,
              )
              .join("\n"),
    );
    return EXIT.ok;
  },
};

export const backupVerify: Command = {
  name: "backup verify",
  summary: "Checksums and pg_restore -l of a backup (default the newest)",
  usage: "opskit backup verify --to DIR [--id ID] [--json]\n\nExit 1 when a check fails.",
  async run(args, io) {
    const { values } = parse(args, { ...json, to: { type: "string" }, id: { type: "string" } });
    const backup = await findBackup(required(values.to, "--to DIR"), values.id);
    const checks = await verifyBackup(backup);
    const ok = checks.every((c) => c.ok);
    io.out(
      values.json
        ? JSON.stringify({ ok, id: backup.id, checks })
        : `backup ${backup.id}\n${checksTable(checks)}`,
    );
    return ok ? EXIT.ok : EXIT.failure;
  },
};

export const backupPrune: Command = {
  name: "backup prune",
  summary: "Retention: keep the newest N, drop older than D (never the newest)",
  usage:
    "opskit backup prune --to DIR --keep N [--max-age D] [--dry-run] [--json]\n\nD is a duration: 720h, 90m, …",
  async run(args, io) {
    const { values } = parse(args, {
      ...json,
      to: { type: "string" },
      keep: { type: "string" },
      "max-age": { type: "string" },
      "dry-run": { type: "boolean" },
    });
    const keep = Number(required(values.keep, "--keep N"));
    if (!Number.isInteger(keep) || keep < 1)
      throw new UsageError("--keep must be a whole number ≥ 1.");
    let maxAgeMs: number | undefined;
    try {
      maxAgeMs = values["max-age"] === undefined ? undefined : parseDuration(values["max-age"]);
    } catch {
      throw new UsageError("--max-age must be a duration like 720h or 90m.");
    }
    const result = await pruneBackups(required(values.to, "--to DIR"), {
      keep,
      ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
      dryRun: values["dry-run"] ?? false,
    });
    io.out(
      values.json
        ? JSON.stringify(result)
        : `${values["dry-run"] ? "would remove" : "removed"} ${result.removed.length} (${result.removed.join(", ") || "none"}), kept ${result.kept.length}`,
    );
    return EXIT.ok;
  },
};

const checksFile = z.object({
  invariants: z.array(z.object({ name: z.string(), sql: z.string() })).default([]),
  smoke: z
    .array(z.object({ name: z.string(), sql: z.string(), params: z.array(z.unknown()).optional() }))
    .default([]),
});

async function readChecks(file: string | undefined): Promise<DrillChecks> {
  if (file === undefined) return {};
  const parsed = checksFile.safeParse(JSON.parse(await readFile(file, "utf8")));
  if (!parsed.success) {
    throw new UsageError(
      `${file}: expected {"invariants":[{"name","sql"}],"smoke":[{"name","sql"}]}.`,
    );
  }
  return parsed.data;
}

function date(text: string | undefined, flag: string): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(text);
  if (Number.isNaN(d.getTime()))
    throw new UsageError(`${flag} must be an ISO time, e.g. 2026-05-01T12:00:00Z.`);
  return d;
}

/** The contract's keys first (`ok`, `rto_ms`, `rpo_ms`, `checks`), then the rest of the receipt. */
function receiptJson(r: DrillReceipt): Record<string, unknown> {
  const { ok, rto_ms, rpo_ms, checks, ...rest } = r;
  return { ok, rto_ms, rpo_ms, checks, ...rest };
}

function printReceipt(io: Output, asJson: boolean | undefined, r: DrillReceipt): number {
  io.out(
    asJson
      ? JSON.stringify(receiptJson(r))
      : [
          `drill ${r.id}: ${r.ok ? "PASSED" : "FAILED"}${r.backupId ? ` (backup ${r.backupId})` : ""}`,
          checksTable(r.checks),
          `RTO ${seconds(r.rto_ms)}  RPO ${seconds(r.rpo_ms)}  (docs/backup.md defines both)`,
        ].join("\n"),
  );
  return r.ok ? EXIT.ok : EXIT.failure;
}

export const backupDrill: Command = {
  name: "backup drill",
  summary: "Restore a backup into a scratch server (or check someone else's restore) and prove it",
  usage: `opskit backup drill --from DIR [--id ID] --database-url SOURCE_URL [--checks FILE] [--jobs N] [--json]
opskit backup drill --restored-url URL --database-url SOURCE_URL [--checks FILE]
                    [--install-amcheck] [--restore-started-at T] [--restored-to T] [--receipts DIR] [--json]

--checks FILE: {"invariants":[{"name","sql"}],"smoke":[{"name","sql"}]}: invariant SQL must
return no rows; smoke SQL must run (rolled back). --json prints
{"ok","rto_ms","rpo_ms","checks":[{"name","ok","detail"}],…}. Exit 1 on any failed check.`,
  async run(args, io) {
    const { values } = parse(args, {
      ...source,
      ...json,
      from: { type: "string" },
      id: { type: "string" },
      "restored-url": { type: "string" },
      checks: { type: "string" },
      jobs: { type: "string" },
      "install-amcheck": { type: "boolean" },
      "restore-started-at": { type: "string" },
      "restored-to": { type: "string" },
      receipts: { type: "string" },
    });
    const checks = await readChecks(values.checks);
    const from = values.from;
    const restored = values["restored-url"];
    if ((from === undefined) === (restored === undefined)) {
      throw new UsageError(
        "Give either --from DIR (drill a backup) or --restored-url URL (drill a restore).",
      );
    }
    const url = sourceUrl(values);
    if (restored !== undefined) {
      const startedAt = date(values["restore-started-at"], "--restore-started-at");
      const restoredTo = date(values["restored-to"], "--restored-to");
      const receipt = await drillRestored({
        restoredUrl: restored,
        sourceUrl: url,
        ...checks,
        installAmcheck: values["install-amcheck"] ?? false,
        ...(startedAt ? { restoreStartedAt: startedAt } : {}),
        ...(restoredTo ? { restoredTo } : {}),
        ...(values.receipts ? { receiptDir: values.receipts } : {}),
      });
      return printReceipt(io, values.json, receipt);
    }
    const jobs = values.jobs === undefined ? 2 : Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1)
      throw new UsageError("--jobs must be a whole number ≥ 1.");
    const progress = terminalProgress(values.json);
    const receipt = await drillBackup({
      directory: from!,
      ...(values.id ? { id: values.id } : {}),
      sourceUrl: url,
      jobs,
      ...checks,
      ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
    }).finally(() => progress.done());
    return printReceipt(io, values.json, receipt);
  },
};

export const backupRestore: Command = {
  name: "backup restore",
  summary: "Restore a backup into a database that is not its source (pg_restore -e)",
  usage: `opskit backup restore --from DIR [--id ID] --target-url URL [--database-url SOURCE_URL] [--replace] [--jobs N] [--json]

Refuses the source (same system identifier and database name) and a target
holding user tables unless --replace (drops the backup's objects first).
docs/runbooks/restore-a-backup.md.`,
  async run(args, io) {
    const { values } = parse(args, {
      ...source,
      ...json,
      from: { type: "string" },
      id: { type: "string" },
      "target-url": { type: "string" },
      replace: { type: "boolean" },
      jobs: { type: "string" },
    });
    const backup = await findBackup(required(values.from, "--from DIR"), values.id);
    const jobs = values.jobs === undefined ? 2 : Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1)
      throw new UsageError("--jobs must be a whole number ≥ 1.");
    const sourceUrl = values["database-url"] ?? process.env.DATABASE_URL;
    const progress = terminalProgress(values.json);
    const { durationMs } = await restoreBackup({
      backup,
      targetUrl: required(values["target-url"], "--target-url URL"),
      ...(sourceUrl ? { sourceUrl } : {}),
      replace: values.replace ?? false,
      jobs,
      ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
    }).finally(() => progress.done());
    io.out(
      values.json
        ? JSON.stringify({ ok: true, id: backup.id, duration_ms: durationMs })
        : `restored backup ${backup.id} in ${seconds(durationMs)}; run opskit backup drill --restored-url … to check it`,
    );
    return EXIT.ok;
  },
};

const pitrOptions = {
  ...json,
  stanza: { type: "string" },
  config: { type: "string" },
} as const;

function pgbackrestOf(values: { stanza?: string | undefined; config?: string | undefined }) {
  return createPgBackRest({
    stanza: required(values.stanza, "--stanza NAME"),
    configFile: values.config ?? "/etc/pgbackrest.conf",
  });
}

export const backupPitrInfo: Command = {
  name: "backup pitr-info",
  summary: "pgBackRest's backups, WAL archive and status (for monitoring)",
  usage: `opskit backup pitr-info --stanza NAME [--config FILE] [--json]

Reads pgbackrest info --output=json (FILE default /etc/pgbackrest.conf).
Exit 1 when pgBackRest reports the stanza unhealthy or holds no backup.`,
  async run(args, io) {
    const { values } = parse(args, pitrOptions);
    const info = await pgbackrestOf(values).info();
    const ok = info.status.code === 0 && info.backups.length > 0;
    io.out(
      values.json
        ? JSON.stringify({ ok, ...info })
        : [
            `status ${info.status.code} ${info.status.message}; WAL archive ${info.archive.min ?? "-"} → ${info.archive.max ?? "-"}`,
            ...info.backups.map(
              (b) =>
                `${b.label}  ${b.type.padEnd(4)}  ${b.startedAt.toISOString()} → ${b.stoppedAt.toISOString()}`,
            ),
          ].join("\n"),
    );
    return ok ? EXIT.ok : EXIT.failure;
  },
};

export const backupPitrDrill: Command = {
  name: "backup pitr-drill",
  summary: "Restore pgBackRest's stanza to a (random) time into a scratch server and prove it",
  usage: `opskit backup pitr-drill --stanza NAME [--config FILE] --database-url SOURCE_URL [--target T]
                          [--checks FILE] [--no-check] [--receipts DIR] [--json]

Runs pgbackrest check (archives the current WAL; --no-check skips it), picks
a random time inside the recovery window (or --target), restores into a
scratch data folder with --type=time, promotes, and checks it: the recovery
target, pg_amcheck, the migration history as of the target, invariants and
smoke queries (--checks as for drill). Exit 1 on any failed check.`,
  async run(args, io) {
    const { values } = parse(args, {
      ...pitrOptions,
      ...source,
      target: { type: "string" },
      checks: { type: "string" },
      "no-check": { type: "boolean" },
      receipts: { type: "string" },
    });
    const target = date(values.target, "--target");
    const receipt = await drillPointInTime({
      pgbackrest: pgbackrestOf(values),
      sourceUrl: sourceUrl(values),
      ...(await readChecks(values.checks)),
      ...(target ? { target } : {}),
      refreshArchive: !values["no-check"],
      ...(values.receipts ? { receiptDir: values.receipts } : {}),
    });
    return printReceipt(io, values.json, receipt);
  },
};

export const backupCommands: Command[] = [
  backupCreate,
  backupList,
  backupVerify,
  backupPrune,
  backupDrill,
  backupRestore,
  backupPitrInfo,
  backupPitrDrill,
];
