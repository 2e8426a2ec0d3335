import { scrypt } from "node:crypto";
import { Gauge, type Registry } from "prom-client";
import { baseManifest } from "../config/index.js";
import type { Queryable } from "../db/index.js";
import { isSecretKey } from "../log/index.js";

/** A configured secret's name and its values (a list variable has several). */
export interface ConfiguredSecret {
  name: string;
  values: string[];
}

/**
 * The secrets of a config: the base manifest's secret variables, and the
 * service's variables whose names say secret (`*_SECRET`, `*_TOKEN`,
 * `*_KEY`, `*_PASSWORD`…, the log redactor's rule), when set.
 */
export function configuredSecrets(config: object): ConfiguredSecret[] {
  const out: ConfiguredSecret[] = [];
  for (const [name, value] of Object.entries(config)) {
    const declared = (baseManifest.vars as Record<string, { secret: boolean } | undefined>)[name];
    if (!(declared?.secret || (!declared && isSecretKey(name)))) continue;
    const values = (Array.isArray(value) ? value : [value]).filter(
      (v): v is string => typeof v === "string" && v !== "",
    );
    if (values.length) out.push({ name, values });
  }
  return out;
}

/**
 * A fingerprint that cannot be reversed cheaply: scrypt (N = 2^14) salted
 * with the name. A plain hash would let anyone who reads the table test
 * guesses of a low-entropy secret (a console password) at billions a second.
 */
export function secretFingerprint(name: string, value: string): Promise<string> {
  return new Promise((resolve, reject) =>
    scrypt(value, `opskit-secret-age:${name}`, 16, { N: 2 ** 14, r: 8, p: 1 }, (error, key) =>
      error ? reject(error) : resolve(key.toString("base64url")),
    ),
  );
}

/**
 * Records every configured value's fingerprint (first seen now, unless seen
 * before) and returns, per name, when its oldest current value was first
 * seen: the age that says whether it is due for rotation.
 */
export async function recordSecretAges(
  db: Queryable,
  secrets: readonly ConfiguredSecret[],
): Promise<Map<string, Date>> {
  const names: string[] = [];
  const prints: string[] = [];
  for (const secret of secrets) {
    for (const value of secret.values) {
      names.push(secret.name);
      prints.push(await secretFingerprint(secret.name, value));
    }
  }
  if (names.length === 0) return new Map();
  const { rows } = await db.query<{ name: string; first_seen_at: Date }>(
    `with seen as (
       insert into opskit.secret_fingerprints (name, fingerprint)
       select * from unnest($1::text[], $2::text[])
       on conflict (name, fingerprint) do update set last_seen_at = now()
       returning name, first_seen_at)
     select name, min(first_seen_at) as first_seen_at from seen group by name`,
    [names, prints],
  );
  return new Map(rows.map((r) => [r.name, r.first_seen_at]));
}

/** Every name's first-seen time (the CLI's view: not only this process's secrets). */
export async function listSecretAges(
  db: Queryable,
): Promise<{ name: string; firstSeenAt: Date; lastSeenAt: Date }[]> {
  // Per name, the oldest value seen in the last day: a value no process has
  // reported since (rotated away) no longer ages its name.
  const { rows } = await db.query<{ name: string; first_seen_at: Date; last_seen_at: Date }>(
    `select name, min(first_seen_at) as first_seen_at, max(last_seen_at) as last_seen_at
       from opskit.secret_fingerprints
      where last_seen_at > (select max(last_seen_at) from opskit.secret_fingerprints f2
                             where f2.name = secret_fingerprints.name) - interval '1 day'
      group by name order by name`,
  );
  return rows.map((r) => ({
    name: r.name,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
  }));
}

/**
 * `opskit_secret_age_seconds{name}`: how long each configured secret has
 * existed. The rotation alert (older than the rotation period, 90 days by
 * default) is a rule over this gauge.
 */
export function secretAgeGauge(registry: Registry, ages: () => ReadonlyMap<string, Date>): Gauge {
  return new Gauge({
    name: "opskit_secret_age_seconds",
    help: "Seconds since the oldest current value of each configured secret was first seen.",
    labelNames: ["name"],
    registers: [registry],
    collect() {
      this.reset();
      const now = Date.now();
      for (const [name, first] of ages())
        this.set({ name }, Math.round((now - first.getTime()) / 1000));
    },
  });
}
