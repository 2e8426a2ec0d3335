import { defineManifest } from "./manifest.js";
import { z } from "zod";
import { v } from "./v.js";

// name:role:password; the password may hold colons. Only the shape is checked
// here: the console parses the entries (src/console/console-credentials.ts).
const consoleUser = v.custom({
  schema: z.string().regex(/^[A-Za-z0-9._@-]{1,64}:(viewer|operator|admin):.{12,}$/),
  type: "name:role:password",
  expected:
    "name:role:password with role viewer, operator or admin and a password of 12+ characters",
});

// idpRole:consoleRole, for the console's single sign-on (src/console/console-sso.ts).
const ssoRole = v.custom({
  schema: z.string().regex(/^[^:\s]{1,200}:(viewer|operator|admin)$/),
  type: "idpRole:consoleRole",
  expected: "idpRole:viewer|operator|admin, e.g. manager:admin",
});

// name:scrypt-hash:role (the auth area parses them: src/auth/basic-credentials.ts).
const basicUser = v.custom({
  schema: z.string().regex(/^[A-Za-z0-9._@-]{1,64}:scrypt\$[^:]+:[A-Za-z0-9._-]{1,64}$/),
  type: "name:scrypt-hash:role",
  expected: "name:scrypt-hash:role with the hash from opskit console hash-password",
});

// RFC 7518 §3.2: an HMAC key at least as long as the hash (32 bytes for HS256).
// jose accepts any length, so the boot refuses a short one (exit 2, value not echoed).
const jwtSecretOptions = {
  schema: z.string().refine((text) => Buffer.byteLength(text) >= 32),
  type: "secret (32+ bytes)",
  expected: "a shared secret of at least 32 bytes (openssl rand -base64 48)",
};

// id:base64key,… — every key 32 bytes once decoded, ids unique. The secrets
// area parses them (src/secrets/key-ring.ts); the shape is checked here so a
// bad ring stops the boot with the config report.
const secretKeysOptions = {
  schema: z.string().refine((text) => {
    const ids = new Set<string>();
    for (const item of text.split(",").map((part) => part.trim())) {
      const m = /^([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/]+={0,2})$/.exec(item);
      if (!m || ids.has(m[1]!) || Buffer.from(m[2]!, "base64").length !== 32) return false;
      ids.add(m[1]!);
    }
    return ids.size > 0;
  }),
  type: "id:base64key,…",
  expected:
    "comma-separated id:base64key pairs with unique ids and 32-byte keys (openssl rand -base64 32)",
};
// A croner pattern of 5 fields (or 6, seconds first); the jobs area parses it
// again when the schedule is defined.
const cronPattern = <const O extends { default: string; description: string; example: string }>(
  options: O,
) =>
  v.custom({
    schema: z.string().regex(/^\S+(\s+\S+){4,5}$/),
    type: "cron",
    expected: "a cron pattern of 5 fields (minute hour day month weekday), e.g. 0 3 * * *",
    ...options,
  });

/**
 * The toolkit's own variables; a service extends it with its own manifest.
 *
 * @example
 * const config = loadConfigOrExit(extendManifest(baseManifest, bakeryManifest));
 */
export const baseManifest = defineManifest({
  prefixes: ["OPSKIT_"],
  vars: {
    DATABASE_URL: v.url({
      protocols: ["postgres", "postgresql"],
      optional: true,
      secret: true,
      description:
        "PostgreSQL connection URL. When unset, the service starts an embedded Postgres in OPSKIT_DATA_DIR.",
      example: "postgres://app:secret@db.internal:5432/app",
    }),
    OPSKIT_DATABASE_DIRECT_URL: v.url({
      protocols: ["postgres", "postgresql"],
      optional: true,
      secret: true,
      description:
        "A direct (session) connection to the same database, past a transaction-mode pooler in DATABASE_URL: LISTEN, the alerts leader lock, migrations, backups and the outbox's logical relay use it (docs/scaling.md).",
      example: "postgres://app:secret@db.internal:5432/app",
    }),
    PORT: v.port({
      default: 3000,
      description: "TCP port of the HTTP server (API, probes, metrics).",
      example: "8080",
    }),
    HOST: v.string({
      default: "0.0.0.0",
      description: "Interface the HTTP server listens on (127.0.0.1 for local only).",
      example: "127.0.0.1",
    }),
    NODE_ENV: v.enum(["development", "test", "production"], {
      default: "development",
      description: "Runtime environment; in development the shutdown drain delay is 0 unless set.",
      example: "production",
    }),
    OPSKIT_ROLE: v.enum(["api", "worker", "migrate", "all"], {
      default: "all",
      description:
        "What this process runs: api (HTTP), worker (jobs), migrate (apply migrations and exit), all.",
      example: "api",
    }),
    LOG_LEVEL: v.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], {
      default: "info",
      description: "Lowest log level written.",
      example: "debug",
    }),
    OPSKIT_ACCESS_LOG: v.enum(["off", "on", "full"], {
      default: "on",
      description:
        "The per-request log line: off, on (method, route, status, duration), full (also the request headers, secret ones left out; for staging).",
      example: "full",
    }),
    OPSKIT_RELEASE_ID: v.string({
      optional: true,
      description: "Release identifier shown in /health as releaseId, e.g. the git commit sha.",
      example: "3f9c2e1",
    }),
    OPSKIT_VERSION: v.string({
      optional: true,
      description: "Version shown in /health; defaults in code to the service's package version.",
      example: "1.4.0",
    }),
    OPSKIT_SHUTDOWN_DRAIN_DELAY: v.duration({
      default: "5s",
      description:
        "On shutdown, how long readiness fails before the server stops accepting, so load balancers stop routing first.",
      example: "10s",
    }),
    OPSKIT_SHUTDOWN_TIMEOUT: v.duration({
      default: "25s",
      description:
        "Total shutdown budget (drain delay included); keep it under the orchestrator's grace period.",
      example: "55s",
    }),
    OPSKIT_SLOW_QUERY_THRESHOLD: v.duration({
      default: "500ms",
      description: "Queries slower than this are logged as warnings (category slow_query).",
      example: "1s",
    }),
    OPSKIT_HEALTH_CHECK_TIMEOUT: v.duration({
      default: "500ms",
      description: "Timeout of each readiness check that sets none of its own.",
      example: "1s",
    }),
    OPSKIT_DATA_DIR: v.string({
      default: ".data",
      description: "Folder for local data; the embedded Postgres lives in <dir>/postgres.",
      example: "/var/lib/bakery",
    }),
    OPSKIT_DB_POOL_MAX: v.int({
      min: 1,
      max: 1000,
      default: 10,
      description: "Most connections in the database pool of this process.",
      example: "20",
    }),
    OPSKIT_JOBS_CONCURRENCY: v.int({
      min: 1,
      max: 1000,
      default: 10,
      description: "Jobs a worker process (role worker or all) runs at once.",
      example: "20",
    }),
    OPSKIT_JOBS_LEASE: v.duration({
      default: "30s",
      description:
        "Lease of a claimed job, renewed by the worker's heartbeat; a crashed worker's jobs run again after it.",
      example: "1m",
    }),
    OPSKIT_JOBS_POLL_INTERVAL: v.duration({
      default: "1s",
      description:
        "Backstop poll for new jobs (notifications wake workers sooner); also the maintenance and cron tick.",
      example: "500ms",
    }),
    OPSKIT_JOBS_LISTEN: v.bool({
      default: true,
      description:
        "Wake workers with LISTEN/NOTIFY (on OPSKIT_DATABASE_DIRECT_URL when set); false polls only.",
      example: "false",
    }),
    OPSKIT_JOBS_HISTORY_RETENTION: v.duration({
      default: "168h",
      description: "How long completed and cancelled jobs stay in opskit.job_history.",
      example: "24h",
    }),
    OPSKIT_ALERTS_EVALUATION_INTERVAL: v.duration({
      default: "15s",
      description:
        "How often the alert evaluator (one leader among the worker processes) evaluates every rule; a replica takes over within one interval.",
      example: "30s",
    }),
    OPSKIT_ALERTS_SLACK_WEBHOOK_URL: v.url({
      protocols: ["https", "http"],
      optional: true,
      secret: true,
      description:
        "Slack incoming webhook that receives alert notifications (critical, warning, info).",
      example: "https://hooks.slack.com/services/T000/B000/XXXX",
    }),
    OPSKIT_ALERTS_PAGERDUTY_ROUTING_KEY: v.string({
      optional: true,
      secret: true,
      description:
        "PagerDuty Events API v2 routing key (integration key); critical alerts trigger and resolve incidents.",
    }),
    OPSKIT_ALERTS_PAGERDUTY_URL: v.url({
      protocols: ["https", "http"],
      default: "https://events.pagerduty.com/v2/enqueue",
      description: "PagerDuty Events API v2 endpoint (another region, or a test receiver).",
      example: "https://events.eu.pagerduty.com/v2/enqueue",
    }),
    OPSKIT_ALERTS_WEBHOOK_URL: v.url({
      protocols: ["https", "http"],
      optional: true,
      secret: true,
      description:
        "Generic webhook receiving every alert notification as Alertmanager's webhook payload (version 4).",
      example: "https://ops.example.com/hooks/alerts",
    }),
    OPSKIT_ALERTS_WEBHOOK_SECRET: v.custom({
      schema: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/),
      type: "whsec_ secret",
      expected: "a Standard Webhooks secret: whsec_ followed by base64",
      optional: true,
      secret: true,
      description:
        "Signs the generic webhook per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).",
    }),
    OPSKIT_ALERTS_ALERTMANAGER_URL: v.url({
      protocols: ["https", "http"],
      optional: true,
      secret: true,
      description:
        "A Prometheus Alertmanager's base URL; firing and resolved alerts are pushed to its /api/v2/alerts.",
      example: "http://alertmanager:9093",
    }),
    OPSKIT_BACKUP_DIR: v.string({
      optional: true,
      description:
        "Backup directory (a mounted volume). When set, worker processes take scheduled pg_dump backups and restore drills into it (docs/backup.md).",
      example: "/var/backups/bakery",
    }),
    OPSKIT_BACKUP_SCHEDULE: cronPattern({
      default: "0 3 * * *",
      description: "When the scheduled backup runs: a cron pattern, in UTC.",
      example: "0 */6 * * *",
    }),
    OPSKIT_BACKUP_DRILL_SCHEDULE: cronPattern({
      default: "0 5 * * 0",
      description:
        "When the restore drill of the newest backup runs (a scratch server, pg_amcheck, counts, invariants): a cron pattern, in UTC.",
      example: "0 5 * * *",
    }),
    OPSKIT_BACKUP_KEEP: v.int({
      min: 1,
      max: 10_000,
      default: 14,
      description: "Backups kept after each scheduled backup (newest first).",
      example: "30",
    }),
    OPSKIT_BACKUP_MAX_AGE: v.duration({
      optional: true,
      description:
        "Also remove backups older than this after each scheduled backup (the newest always stays).",
      example: "720h",
    }),
    OPSKIT_CONSOLE: v.bool({
      default: true,
      description:
        "Serve the operator's console under /ops (roles api and all). Outside development it needs at least one login below.",
      example: "false",
    }),
    OPSKIT_CONSOLE_ADMIN_TOKENS: v.list({
      item: v.secret({ encoding: "hex", minBytes: 16 }),
      optional: true,
      secret: true,
      description:
        "Console login tokens with the admin role (every action), comma-separated hex of at least 16 bytes (openssl rand -hex 32).",
    }),
    OPSKIT_CONSOLE_OPERATOR_TOKENS: v.list({
      item: v.secret({ encoding: "hex", minBytes: 16 }),
      optional: true,
      secret: true,
      description:
        "Console login tokens with the operator role (retry, cancel, replay, pause; no delete or backend termination).",
    }),
    OPSKIT_CONSOLE_VIEWER_TOKENS: v.list({
      item: v.secret({ encoding: "hex", minBytes: 16 }),
      optional: true,
      secret: true,
      description: "Console login tokens with the viewer role (read only).",
    }),
    OPSKIT_CONSOLE_USERS: v.list({
      item: consoleUser,
      optional: true,
      secret: true,
      description:
        "Console logins by name and password: name:role:password entries, comma-separated; role viewer, operator or admin; passwords of 12 characters or more, or their hash from opskit console hash-password.",
    }),
    OPSKIT_CONSOLE_SSO_ROLES: v.list({
      item: ssoRole,
      optional: true,
      description:
        "Console single sign-on: the login form also takes bearer tokens the service's auth accepts (OPSKIT_AUTH_*), granting the console role mapped from the token's roles (the strongest wins); idpRole:viewer|operator|admin entries, comma-separated.",
      example: "manager:admin,staff:viewer",
    }),
    OPSKIT_CONSOLE_SESSION_TTL: v.duration({
      default: "8h",
      description: "How long a console login lasts.",
      example: "1h",
    }),
    OPSKIT_CONSOLE_TRUST_PROXY: v.bool({
      default: false,
      description:
        "Trust X-Forwarded-Proto from the proxy in front of the service: the console's cookie is marked Secure when it says https.",
      example: "true",
    }),
    OPSKIT_CONSOLE_BULK_CAP: v.int({
      min: 1,
      max: 100_000,
      default: 1000,
      description: "Most jobs or events one bulk action of the console touches.",
      example: "5000",
    }),
    OPSKIT_AUTH_JWT_SECRET: v.custom({
      ...jwtSecretOptions,
      optional: true,
      secret: true,
      description:
        "Shared secret verifying HS256 bearer tokens (Supabase: the project's JWT secret); at least 32 bytes.",
    }),
    OPSKIT_AUTH_JWKS_URL: v.url({
      protocols: ["https", "http"],
      optional: true,
      description:
        "JWKS of the identity service whose ES256/RS256/EdDSA tokens are accepted (http only to a loopback host).",
      example: "https://id.example.com/.well-known/jwks.json",
    }),
    OPSKIT_AUTH_ISSUER: v.string({
      optional: true,
      description: "Required iss of bearer tokens; when set, a token without it is refused.",
      example: "https://abc.supabase.co/auth/v1",
    }),
    OPSKIT_AUTH_AUDIENCE: v.list({
      optional: true,
      description:
        "Required aud of bearer tokens (any of these, comma-separated); when set, a token without it is refused.",
      example: "authenticated",
    }),
    OPSKIT_AUTH_ROLES_CLAIM: v.string({
      default: "roles",
      description: "Dotted path of the claim holding the caller's roles (a string or an array).",
      example: "app_metadata.roles",
    }),
    OPSKIT_AUTH_CLOCK_TOLERANCE: v.duration({
      default: "30s",
      description: "Leeway for exp and nbf of bearer tokens (at most 5m).",
      example: "10s",
    }),
    OPSKIT_AUTH_BASIC_USERS: v.list({
      item: basicUser,
      optional: true,
      secret: true,
      description:
        "HTTP Basic callers (service-to-service): name:scrypt-hash:role entries, comma-separated; hashes from opskit console hash-password.",
    }),
    OPSKIT_SECRET_KEYS: v.custom({
      ...secretKeysOptions,
      optional: true,
      secret: true,
      description:
        "Key ring of encrypted columns: id:base64key pairs (32-byte keys); the first encrypts, all decrypt.",
    }),
    OPSKIT_SECRET_ROTATION_PERIOD: v.duration({
      default: "2160h",
      description:
        "Age after which a configured secret is due for rotation (opskit secrets status; default 90 days).",
      example: "720h",
    }),
  },
});
