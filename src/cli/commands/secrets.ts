import { createKeyRing, createSecretsAdmin, type SecretsStatus } from "../../secrets/index.js";
import { parseDuration } from "../../config/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";
import { databaseOptions as baseOptions, table, withCliPool } from "../command-kit.js";

function ring() {
  const keys = process.env.OPSKIT_SECRET_KEYS;
  return keys ? createKeyRing(keys) : undefined;
}

function findings(status: SecretsStatus): boolean {
  const behind = status.totals.some((t) => t.keyId !== status.primaryKeyId);
  return behind || status.stranded.length > 0 || status.ages.some((a) => a.overdue);
}

export const secretsStatus: Command = {
  name: "secrets status",
  summary: "Encrypted values per key and column, keys safe to remove, and each secret's age",
  usage: `opskit secrets status [--database-url URL] [--json]

Reads OPSKIT_SECRET_KEYS (if set) to name the primary key and the keys that
no value uses any more (safe to remove). Exit 1 when values are under an old
or unknown key, or a secret is older than OPSKIT_SECRET_ROTATION_PERIOD (90 days).`,
  async run(args, io) {
    const { values } = parse(args, baseOptions);
    const period = process.env.OPSKIT_SECRET_ROTATION_PERIOD;
    return withCliPool(values, async (pool) => {
      const status = await createSecretsAdmin({
        pool,
        ring: ring(),
        ...(period ? { rotationPeriodMs: parseDuration(period) } : {}),
      }).status();
      if (values.json) io.out(JSON.stringify(status));
      else {
        io.out(`primary key: ${status.primaryKeyId ?? "(OPSKIT_SECRET_KEYS not set)"}`);
        io.out(
          table(
            status.columns.flatMap((c) =>
              c.keys.map((k) => ({
                table: c.table,
                column: c.column,
                key: k.keyId,
                values: k.count,
              })),
            ),
          ),
        );
        if (status.removableKeyIds.length)
          io.out(`removable keys: ${status.removableKeyIds.join(", ")}`);
        for (const s of status.stranded) {
          io.out(
            `stranded: ${s.count} values under ${s.keyId} (not in the ring; see SECRET_KEY_UNKNOWN)`,
          );
        }
        io.out(
          table(
            status.ages.map((a) => ({
              secret: a.name,
              first_seen: a.firstSeenAt,
              age_days: Math.floor(a.ageSeconds / 86_400),
              overdue: a.overdue ? "yes" : "no",
            })),
          ),
        );
      }
      return findings(status) ? EXIT.failure : EXIT.ok;
    });
  },
};

export const secretsRotate: Command = {
  name: "secrets rotate",
  summary: "Re-encrypt every registered column under the primary key (a resumable job)",
  usage: `opskit secrets rotate [--database-url URL] [--json]

Adds the rotation job (one at a time); the service's worker runs it in
batches, resuming from its checkpoint after a restart. Follow it with
opskit secrets status (values per key) or opskit jobs show ID.`,
  async run(args, io) {
    const { values, positionals } = parse(args, baseOptions);
    if (positionals.length) throw new UsageError(`unexpected argument: ${positionals[0]}`);
    return withCliPool(values, async (pool) => {
      const added = await createSecretsAdmin({ pool }).rotate();
      io.out(
        values.json
          ? JSON.stringify(added)
          : `${added.deduplicated ? "rotation already queued" : "rotation queued"}: job ${added.jobId}`,
      );
      return EXIT.ok;
    });
  },
};
