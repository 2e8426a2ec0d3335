import { toError } from "../errors.js";
import { SERVING_ROLES, type ServicePart } from "../service-part.js";
import { createKeyRing } from "./key-ring.js";
import { rotateSecretsTask } from "./rotate-secrets.js";
import { configuredSecrets, recordSecretAges, secretAgeGauge } from "./secret-ages.js";
import { createSecretBox, type SecretBox } from "./secret-box.js";
import { checkSecretColumn, type SecretColumn } from "./secret-column.js";
import { registerSecretColumns } from "./sql/secret-columns.js";

// Declared by the service at module level (like defineErrorCodes): the
// toolkit's parts list holds one secrets part, and a service adds its
// columns to it without assembling the parts itself.
const declared = new Map<string, SecretColumn>();

/**
 * Declares encrypted columns for rotation and `opskit secrets status`.
 * Returns them checked. Declaring the same table and column again replaces it.
 *
 * @example
 * declareSecretColumns([{ table: "stores", column: "api_key", idColumn: "id" }]);
 */
export function declareSecretColumns(columns: readonly SecretColumn[]): SecretColumn[] {
  const checked = columns.map(checkSecretColumn);
  for (const c of checked) declared.set(`${c.table}.${c.column}`, c);
  return checked;
}

export interface SecretsPartOptions {
  /** Columns beyond the declared ones. */
  columns?: readonly SecretColumn[];
}

/**
 * Every serving role: declares the rotation task (the worker runs it when
 * `opskit secrets rotate` adds it), records the declared columns and each
 * configured secret's first-seen fingerprint, and exposes
 * `opskit_secret_age_seconds{name}`. Recording runs beside the boot (scrypt
 * fingerprints take a few tens of ms each); a failure is logged, never fatal.
 * The task is declared only when `OPSKIT_SECRET_KEYS` is set.
 */
export function secretsPart(options: SecretsPartOptions = {}): ServicePart {
  let box: SecretBox | undefined;
  let ages: ReadonlyMap<string, Date> = new Map();
  const columns = () => [...declared.values(), ...(options.columns ?? []).map(checkSecretColumn)];
  return {
    name: "secrets",
    roles: SERVING_ROLES,
    declare(ctx) {
      const keys = ctx.config.OPSKIT_SECRET_KEYS;
      box = keys ? createSecretBox(createKeyRing(keys)) : undefined;
      secretAgeGauge(ctx.metrics.registry, () => ages);
      // Only with a key ring: a declared task starts a worker, and a service
      // without encrypted columns should not get one for nothing.
      return box ? { tasks: [rotateSecretsTask({ pool: ctx.pool, box: () => box, columns })] } : {};
    },
    start(ctx) {
      const log = ctx.log.child({ category: "secrets" });
      // Beside the boot, with no stop of its own: a few upserts that a
      // shutdown racing them can only make fail (logged), never corrupt.
      void (async () => {
        await registerSecretColumns(ctx.pool, columns());
        ages = await recordSecretAges(ctx.pool, configuredSecrets(ctx.config));
      })().catch((thrown) => log.warn({ err: toError(thrown) }, "secret ages not recorded"));
    },
  };
}
