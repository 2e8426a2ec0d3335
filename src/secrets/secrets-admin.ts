import type { Pool } from "../db/index.js";
import { createQueue } from "../jobs/index.js";
import type { KeyRing } from "./key-ring.js";
import { ROTATE_SECRETS_TASK, rotateSecretsTask } from "./rotate-secrets.js";
import type { SecretColumn } from "./secret-column.js";
import { listSecretAges } from "./secret-ages.js";
import { countSecretsByKey, listSecretColumns } from "./sql/secret-columns.js";

export interface SecretsStatus {
  /** The ring's primary key id, when the ring was given. */
  primaryKeyId: string | undefined;
  columns: (SecretColumn & { keys: { keyId: string; count: number }[] })[];
  /** Values per key id over every column. */
  totals: { keyId: string; count: number }[];
  /** Ring keys (not the primary) that no value uses: safe to remove from OPSKIT_SECRET_KEYS. */
  removableKeyIds: string[];
  /** Values the rotation cannot move: under a key the ring lacks, or not envelopes (`(plain)`). */
  stranded: { keyId: string; count: number }[];
  ages: { name: string; firstSeenAt: Date; ageSeconds: number; overdue: boolean }[];
}

export interface SecretsAdmin {
  /** Counts per key per column, removable and stranded keys, and each secret's age. */
  status(): Promise<SecretsStatus>;
  /** Adds the rotation job (one at a time: an unfinished one is returned instead). */
  rotate(): Promise<{ jobId: string; deduplicated: boolean }>;
}

export interface SecretsAdminOptions {
  pool: Pool;
  /** The key ring, to name the primary and the removable keys (optional for counts alone). */
  ring?: KeyRing | undefined;
  /** Age after which a secret is overdue; default 90 days. */
  rotationPeriodMs?: number;
}

/**
 * What an operator reads and does about encrypted columns and secret ages,
 * without a worker: `opskit secrets status|rotate` use it. The rotation runs
 * on the service's worker (the secrets part declares the task).
 *
 * @example
 * const admin = createSecretsAdmin({ pool, ring: createKeyRing(process.env.OPSKIT_SECRET_KEYS!) });
 * const { removableKeyIds } = await admin.status();
 */
export function createSecretsAdmin(options: SecretsAdminOptions): SecretsAdmin {
  const period = options.rotationPeriodMs ?? 90 * 86_400_000;
  return {
    async status() {
      const columns = await listSecretColumns(options.pool);
      const withCounts = [];
      const totals = new Map<string, number>();
      for (const column of columns) {
        const keys = await countSecretsByKey(options.pool, column);
        for (const k of keys) totals.set(k.keyId, (totals.get(k.keyId) ?? 0) + k.count);
        withCounts.push({ ...column, keys });
      }
      const ring = options.ring;
      const now = Date.now();
      const ages = (await listSecretAges(options.pool)).map((a) => {
        const ageMs = now - a.firstSeenAt.getTime();
        return {
          name: a.name,
          firstSeenAt: a.firstSeenAt,
          ageSeconds: Math.round(ageMs / 1000),
          overdue: ageMs > period,
        };
      });
      return {
        primaryKeyId: ring?.primary.id,
        columns: withCounts,
        totals: [...totals].map(([keyId, count]) => ({ keyId, count })),
        removableKeyIds: ring
          ? ring.ids.filter((id) => id !== ring.primary.id && !totals.get(id))
          : [],
        stranded: ring
          ? [...totals].filter(([id]) => !ring.get(id)).map(([keyId, count]) => ({ keyId, count }))
          : [],
        ages,
      };
    },
    async rotate() {
      // A queue only to add the job: the service's worker runs it with its own task.
      const task = rotateSecretsTask({
        pool: options.pool,
        box: () => undefined,
        columns: () => [],
      });
      const queue = createQueue({ pool: options.pool, tasks: [task] });
      try {
        const added = await queue.add(task, {}, { dedupeKey: ROTATE_SECRETS_TASK });
        return { jobId: added.id, deduplicated: added.deduplicated };
      } finally {
        await queue.close();
      }
    },
  };
}
