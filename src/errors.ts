/**
 * One error class for the whole toolkit, with a stable string `code` from the
 * catalogue below. `docs/errors.md` lists the same codes (a test checks that
 * the two agree), so an operator can look up any code they see in a log line
 * or an HTTP response.
 *
 * A service adds its own codes with `defineErrorCodes` (the demo's
 * `INVALID_STAGE`), without editing the toolkit.
 *
 * @example
 * throw new OpskitError("JOB_NOT_FOUND", "No job 12; it may have been pruned.");
 */

/** Every code, with the HTTP status it maps to and what it means. */
export const ERROR_CODES = {
  BAD_REQUEST: { status: 400, summary: "The request is malformed or fails validation." },
  UNAUTHORIZED: { status: 401, summary: "Authentication is missing or wrong." },
  FORBIDDEN: { status: 403, summary: "The caller may not do this." },
  NOT_FOUND: { status: 404, summary: "No such route or resource." },
  CONFLICT: { status: 409, summary: "The request conflicts with the current state." },
  PAYLOAD_TOO_LARGE: { status: 413, summary: "The request body is over the size cap." },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    summary: "The route takes another content type (a JSON route: application/json).",
  },
  UNPROCESSABLE: {
    status: 422,
    summary: "The request is well-formed but breaks a rule of the data; nothing changed.",
  },
  INTERNAL: {
    status: 500,
    summary: "An unexpected error; the log line with the requestId has the detail.",
  },
  DEPENDENCY_FAILURE: {
    status: 503,
    summary: "A dependency (the database) is unavailable; retry later.",
  },
  CONFIG_INVALID: { status: 500, summary: "The configuration failed validation at boot." },
  DB_CONNECT_FAILED: { status: 503, summary: "The database could not be reached at boot." },
  EMBEDDED_POSTGRES_FAILED: {
    status: 500,
    summary: "The embedded Postgres could not be initialised or started.",
  },
  POOLER_TRANSACTION_MODE: {
    status: 500,
    summary: "A transaction-mode pooler was detected where session semantics are required.",
  },
  MIGRATION_FAILED: {
    status: 500,
    summary: "A migration failed; the database is as it was before it.",
  },
  MIGRATION_CHECKSUM_MISMATCH: {
    status: 500,
    summary: "An applied migration file has changed since it was applied.",
  },
  MIGRATION_OUT_OF_ORDER: {
    status: 500,
    summary: "An unapplied migration sorts before the newest applied one; refused unless allowed.",
  },
  MIGRATION_DUPLICATE_VERSION: {
    status: 500,
    summary: "Two migration files of one directory share a version prefix; refused.",
  },
  MIGRATION_PREVIOUSLY_FAILED: {
    status: 500,
    summary:
      "Another tool's history records a migration as failed (started, neither finished nor rolled back).",
  },
  MIGRATION_MIXED_TRANSACTION: {
    status: 500,
    summary: "A migration mixes statements that cannot run in a transaction with ones that can.",
  },
  MIGRATION_LOCK_TIMEOUT: {
    status: 500,
    summary: "Another runner holds the migration lock past the wait limit.",
  },
  MIGRATION_PARSE_ERROR: {
    status: 500,
    summary: "A migration file is not valid SQL or has a bad `-- opskit:` directive.",
  },
  HEALTH_CHECK_TIMEOUT: {
    status: 503,
    summary: "A health check did not finish within its timeout; it reports fail.",
  },
  HEALTH_CONFIG_INVALID: {
    status: 500,
    summary: "Health options or a health check are invalid (duplicate key, bad timeout).",
  },
  SHUTTING_DOWN: { status: 503, summary: "The service is draining for shutdown; retry elsewhere." },
  SERVICE_PART_INVALID: {
    status: 500,
    summary: "A service part is misdeclared (two parts share a name).",
  },
  CONFIG_MANIFEST_INVALID: {
    status: 500,
    summary:
      "A config manifest is malformed (duplicate or undescribed variable, bad default or example).",
  },
  ALERT_RULE_INVALID: {
    status: 500,
    summary:
      "An alert rule or the alerts part's options are invalid (name, severity, label, duration, duplicate).",
  },
  ALERT_NOTIFIER_FAILED: {
    status: 502,
    summary: "A notifier's receiver refused or did not answer a notification.",
  },
  JOB_TASK_INVALID: {
    status: 500,
    summary: "A task or schedule definition is invalid (bad name, option, cron or time zone).",
  },
  JOB_UNKNOWN_TASK: { status: 400, summary: "A job was added for a task the queue does not know." },
  JOB_PAYLOAD_INVALID: {
    status: 400,
    summary: "A job's payload failed its task's schema; nothing was added (or the job is dead).",
  },
  JOB_TIMEOUT: {
    status: 500,
    summary: "A job ran past its timeout; it was aborted and will retry.",
  },
  JOB_CANCELLED: { status: 409, summary: "A job was cancelled by an operator while it ran." },
  JOB_LEASE_LOST: {
    status: 503,
    summary: "A worker lost its lease on a running job; another worker may run it.",
  },
  JOB_INTERRUPTED: {
    status: 503,
    summary: "A running job was aborted by a worker's shutdown; it retries from its checkpoint.",
  },
  JOB_NOT_FOUND: { status: 404, summary: "No job, queue or schedule with that id or name." },
  INBOX_CONFIG_INVALID: {
    status: 500,
    summary:
      "An inbox source or verifier is misconfigured (no secret, bad key rule, duplicate name).",
  },
  WEBHOOK_UNVERIFIED: {
    status: 401,
    // Sent as is: one message for every cause, so a forger learns nothing.
    summary: "The webhook could not be verified.",
  },
  INBOX_BUSY: {
    status: 503,
    summary: "The inbox could not store the event in time; nothing was acknowledged, retry later.",
  },
  OUTBOX_EVENT_INVALID: {
    status: 422,
    summary:
      "An outbox event or endpoint is invalid (empty aggregate or type, a payload that is not JSON, a bad URL or secret); nothing was written.",
  },
  OUTBOX_CONFIG_INVALID: {
    status: 500,
    summary: "The outbox is misconfigured (two handlers with one name, a bad handler name).",
  },
  OUTBOX_NOT_FOUND: {
    status: 404,
    summary: "No outbox event, delivery or endpoint with that id or name.",
  },
  AUTH_CONFIG_INVALID: {
    status: 500,
    summary:
      "Authentication is misconfigured (a short HS secret, a bad JWKS URL or algorithm, a development token asked for outside development).",
  },
  SECRETS_CONFIG_INVALID: {
    status: 500,
    summary:
      "The secrets key ring or a registered column is misconfigured (bad key, duplicate id).",
  },
  SECRET_KEY_UNKNOWN: {
    status: 500,
    summary: "A stored secret names a key id the key ring does not hold (removed too early?).",
  },
  SECRET_DECRYPT_FAILED: {
    status: 500,
    summary:
      "A stored secret failed authentication: tampered, truncated, or copied from another row or column.",
  },
  BACKUP_TOOL_MISSING: {
    status: 500,
    summary: "pg_dump, pg_restore or pg_amcheck of the server's major version was not found.",
  },
  BACKUP_FAILED: {
    status: 500,
    summary: "A backup, a restore or a drill could not run to its end.",
  },
  BACKUP_NOT_FOUND: { status: 404, summary: "No backup with that id in the backup directory." },
  BACKUP_TARGET_REFUSED: {
    status: 409,
    summary:
      "A restore was refused: its target is the source, or holds tables and --replace was not given.",
  },
  OUTBOX_LOGICAL_UNAVAILABLE: {
    status: 503,
    summary:
      "The outbox's logical reader cannot run: wal_level is not logical or the role lacks REPLICATION.",
  },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** What a code means: its HTTP status and a one-line summary (what docs/errors.md lists). */
export interface ErrorCodeInfo {
  status: number;
  summary: string;
}

declare const appErrorCode: unique symbol;
/** A code a service registered with `defineErrorCodes` (made only by its `error()`). */
export type AppErrorCode = string & { readonly [appErrorCode]: true };

const appCodes = new Map<string, ErrorCodeInfo>();

/**
 * Registers a service's own error codes beside the toolkit's: each keeps its
 * status in the HTTP error envelope and its message reaches the client.
 * A code the toolkit already has, or one registered with another meaning, is
 * refused. Returns a typed way to throw them.
 *
 * @example
 * const bakeryErrors = defineErrorCodes({
 *   INVALID_STAGE: { status: 409, summary: "A stage change out of order was refused." },
 * });
 * throw bakeryErrors.error("INVALID_STAGE", "Order 12 is in Filling; next is Covering.");
 */
export function defineErrorCodes<const T extends Record<string, ErrorCodeInfo>>(
  codes: T,
): {
  codes: T;
  error(code: keyof T & string, message: string, options?: OpskitErrorOptions): OpskitError;
} {
  for (const [code, info] of Object.entries(codes)) {
    const known = errorCodeInfo(code);
    if (known && (known.status !== info.status || known.summary !== info.summary)) {
      throw new OpskitError(
        "SERVICE_PART_INVALID",
        `Error code ${code} is already defined (${known.status}: ${known.summary}); choose another name.`,
      );
    }
    if (!/^[A-Z][A-Z0-9_]*$/.test(code) || info.status < 400 || info.status > 599) {
      throw new OpskitError(
        "SERVICE_PART_INVALID",
        `Error code ${code} must be UPPER_SNAKE_CASE with an HTTP status from 400 to 599.`,
      );
    }
    appCodes.set(code, info);
  }
  return {
    codes,
    error: (code, message, options) => new OpskitError(code as AppErrorCode, message, options),
  };
}

/** The catalogue entry of a toolkit code or a registered one. */
export function errorCodeInfo(code: string): ErrorCodeInfo | undefined {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode] : appCodes.get(code);
}

export interface OpskitErrorOptions {
  cause?: unknown;
  /** Extra structured detail, safe to log (never secrets). Not sent to HTTP clients. */
  details?: Record<string, unknown>;
  /** Override the HTTP status of the code. */
  status?: number;
}

export class OpskitError extends Error {
  readonly code: ErrorCode | AppErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  /** `code` is the toolkit's or one registered with `defineErrorCodes` (an unknown one maps to 500). */
  constructor(code: ErrorCode | AppErrorCode, message: string, options: OpskitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OpskitError";
    this.code = code;
    this.status = options.status ?? errorCodeInfo(code)?.status ?? 500;
    this.details = options.details;
  }
}

/** Turns anything thrown into an `Error`: the one place `unknown` becomes `Error`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === "string") return new Error(value);
  try {
    return new Error(`Non-error thrown: ${JSON.stringify(value)}`);
  } catch {
    return new Error("Non-error thrown (not serialisable)");
  }
}

export function isOpskitError(
  value: unknown,
  code?: ErrorCode | AppErrorCode,
): value is OpskitError {
  return value instanceof OpskitError && (code === undefined || value.code === code);
}
