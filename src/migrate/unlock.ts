import { withClient } from "../db/index.js";
import { recordAudit } from "../audit/index.js";
import { qualified } from "./history.js";
import {
  findLockHolder,
  findPrismaLockHolder,
  isStaleHolder,
  PRISMA_LOCK_KEY,
  RUNNER_APPLICATION_NAME,
  terminateHolder,
  type LockHolder,
} from "./migration-lock.js";
import { lockKeyOf, runnerIdentity } from "./runner.js";

export interface UnlockOptions {
  connectionString: string;
  /** Terminate the holder only if it is a runner session idle at least this long. */
  staleSeconds: number;
  lockName?: string;
  actor?: string;
}

export interface UnlockOutcome {
  /** Who held the runner's lock (undefined: it was free). */
  holder: LockHolder | undefined;
  terminated: boolean;
  /** Why the holder was or was not terminated, in words. */
  reason: string;
  /** Who holds Prisma Migrate's lock, and how to clear it (never terminated here). */
  prisma: { holder: LockHolder; advice: string } | undefined;
}

/**
 * Frees the migration lock when its holder is an orphaned runner: a session
 * tagged `opskit-migrate` that has been idle at least `staleSeconds`. A holder
 * that is running a statement, is in a transaction, or is not the runner's is
 * never terminated; the outcome says why. The audit log records a termination.
 *
 * @example
 * const { terminated, holder, reason } = await unlockMigrations({ connectionString, staleSeconds: 120 });
 */
export async function unlockMigrations(options: UnlockOptions): Promise<UnlockOutcome> {
  return withClient(
    options.connectionString,
    { application_name: "opskit-migrate-unlock" },
    async (client) => {
      const holder = await findLockHolder(client, lockKeyOf(options));
      const prismaHolder = await findPrismaLockHolder(client);
      const prisma = prismaHolder && {
        holder: prismaHolder,
        advice:
          `Prisma Migrate's lock (${PRISMA_LOCK_KEY}) is held by pid ${prismaHolder.pid}. If no \`prisma migrate\` ` +
          `is running, end that session: select pg_terminate_backend(${prismaHolder.pid});`,
      };
      if (!holder)
        return { holder, terminated: false, reason: "the migration lock is free", prisma };
      if (!isStaleHolder(holder, options.staleSeconds * 1000)) {
        return {
          holder,
          terminated: false,
          reason: whyNotStale(holder, options.staleSeconds),
          prisma,
        };
      }
      const terminated = await terminateHolder(client, holder);
      const audit = await client.query<{ ok: boolean }>(
        "select to_regclass($1) is not null as ok",
        [qualified("audit_log")],
      );
      if (terminated && audit.rows[0]?.ok) {
        await recordAudit(client, {
          actor: options.actor ?? runnerIdentity(),
          action: "migrate.unlock",
          target: `pid ${holder.pid}`,
          params: { ...holder, stale_seconds: options.staleSeconds },
          result: "terminated",
        });
      }
      return {
        holder,
        terminated,
        reason: terminated
          ? `terminated: a runner session idle for ${holder.age_seconds} s (≥ ${options.staleSeconds} s)`
          : "pg_terminate_backend returned false (the session had already ended, or permission denied)",
        prisma,
      };
    },
  );
}

function whyNotStale(holder: LockHolder, staleSeconds: number): string {
  if (holder.application_name !== RUNNER_APPLICATION_NAME) {
    return `not terminated: the holder's application_name is "${holder.application_name}", not ${RUNNER_APPLICATION_NAME}`;
  }
  if (holder.state !== "idle") {
    return `not terminated: the runner is ${holder.state ?? "in an unknown state"} (a live runner at work)`;
  }
  return `not terminated: idle for ${holder.age_seconds} s, under --stale ${staleSeconds}`;
}
