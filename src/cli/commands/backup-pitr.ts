import { createPgBackRest, drillPointInTime } from "../../backup/index.js";
import { parse } from "../args.js";
import { EXIT, type Command } from "../cli-error.js";
import {
  date,
  json,
  printReceipt,
  readChecks,
  required,
  source,
  sourceUrl,
} from "./backup-cli-kit.js";

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
