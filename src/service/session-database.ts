import { configError } from "../config/index.js";
import { checkDatabase, describeConnectionTarget, probePoolerMode } from "../db/index.js";
import { OpskitError } from "../errors.js";
import type { Logger } from "../log/index.js";
import type { Role } from "../service-part.js";

const DIRECT = "OPSKIT_DATABASE_DIRECT_URL";

/** Where the service's session work goes, and how its pool talks to the database. */
export interface SessionDatabase {
  /** The direct URL when given, otherwise the database URL. */
  sessionUrl: string;
  /** False when the database URL goes through a transaction-mode pooler. */
  preparedStatements: boolean;
}

/**
 * Probes `databaseUrl` for a transaction-mode pooler (every role: the pool's
 * prepared statements follow it) and decides where the work that needs a
 * server session goes. Behind such a pooler, a role other than `api` needs
 * `OPSKIT_DATABASE_DIRECT_URL` (refused without it, `POOLER_TRANSACTION_MODE`
 * naming the variable); a direct URL, when given to such a role, must reach
 * the same database and itself keep one session per connection.
 */
export async function resolveSessionDatabase(options: {
  databaseUrl: string;
  directUrl: string | undefined;
  /** The service started its own Postgres (DATABASE_URL unset): no pooler, nothing to probe. */
  embedded: boolean;
  role: Role;
  log: Logger;
}): Promise<SessionDatabase> {
  const { databaseUrl, directUrl, role, log } = options;
  if (options.embedded) {
    if (directUrl !== undefined) {
      // Otherwise the direct URL would be ignored for a database nobody meant.
      throw directUrlInvalid(
        "is set but DATABASE_URL is not (the service would start an embedded Postgres)",
        "set DATABASE_URL too, or unset it.",
      );
    }
    return { sessionUrl: databaseUrl, preparedStatements: true };
  }
  const pooler = await probePoolerMode(databaseUrl);
  const transaction = pooler.mode === "transaction";
  log.info(
    {
      target: describeConnectionTarget(databaseUrl),
      pooler: pooler.mode,
      evidence: pooler.evidence,
      direct: directUrl === undefined ? undefined : describeConnectionTarget(directUrl),
    },
    "database pooling",
  );
  const preparedStatements = !transaction;
  if (directUrl === undefined) {
    if (transaction && role !== "api") {
      throw new OpskitError(
        "POOLER_TRANSACTION_MODE",
        `DATABASE_URL (${describeConnectionTarget(databaseUrl)}) goes through a transaction-mode pooler ` +
          `(${pooler.evidence.join("; ")}), and the ${role} role has work that needs one server session ` +
          `(LISTEN, the alerts leader lock, the migration lock, backups). Set ${DIRECT} to a direct ` +
          "(or session-pooled) connection to the same database, or point DATABASE_URL past the pooler.",
        { details: { role, evidence: pooler.evidence, variable: DIRECT } },
      );
    }
    return { sessionUrl: databaseUrl, preparedStatements };
  }
  // Role api does no session work: its direct URL is neither used nor opened.
  if (role !== "api") await checkDirectUrl(databaseUrl, directUrl, role);
  return { sessionUrl: directUrl, preparedStatements };
}

async function checkDirectUrl(databaseUrl: string, directUrl: string, role: Role): Promise<void> {
  const target = describeConnectionTarget(directUrl);
  const [main, direct] = await Promise.all([
    checkDatabase(databaseUrl),
    checkDatabase(directUrl).catch((error: unknown) => {
      if (!(error instanceof OpskitError)) throw error;
      // The check's advice names DATABASE_URL; here it is about the direct one.
      throw new OpskitError(
        error.code,
        `${DIRECT}: ${error.message.replaceAll(/\bDATABASE_URL\b/g, DIRECT)}`,
        { details: { ...error.details, variable: DIRECT } },
      );
    }),
  ]);
  if (main.database !== direct.database) {
    throw directUrlInvalid(
      `reaches database "${direct.database}" at ${target}; DATABASE_URL reaches "${main.database}"`,
      "point it at the same database, past the pooler.",
    );
  }
  const probe = await probePoolerMode(directUrl);
  if (probe.mode === "transaction") {
    throw new OpskitError(
      "POOLER_TRANSACTION_MODE",
      `${DIRECT} (${target}) goes through a transaction-mode pooler too ` +
        `(${probe.evidence.join("; ")}): the ${role} role's session work needs one server session ` +
        `per connection. Point ${DIRECT} at Postgres itself or at a session-mode pool.`,
      { details: { role, evidence: probe.evidence, variable: DIRECT } },
    );
  }
}

/** `CONFIG_INVALID` with the report of one invalid variable (exit 2, the value never shown). */
function directUrlInvalid(detail: string, fix: string) {
  return configError({
    missing: [],
    invalid: [
      {
        name: DIRECT,
        expected: "a direct (session) connection to the same database as DATABASE_URL",
        type: "url",
        secret: true,
        detail,
        message: `${DIRECT} ${detail}: ${fix}`,
      },
    ],
    unknown: [],
  });
}
