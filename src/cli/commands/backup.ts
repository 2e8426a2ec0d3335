import {
  createBackup,
  drillBackup,
  drillRestored,
  findBackup,
  listBackups,
  pruneBackups,
  restoreBackup,
  verifyBackup,
} from "../../backup/index.js";
import { parseDuration } from "../../config/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";
import {
  checksTable,
  date,
  json,
  printReceipt,
  readChecks,
  required,
  seconds,
  source,
  sourceUrl,
} from "./backup-cli-kit.js";
import { terminalProgress } from "./backup-progress.js";

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

import { backupPitrDrill, backupPitrInfo } from "./backup-pitr.js";

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
