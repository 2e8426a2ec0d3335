import type { Queryable } from "../../db/index.js";
import type { OpenAlert, Transition } from "../alert-transitions.js";

/** The open incidents (pending and firing): what the state machine starts from. */
export async function readOpenAlerts(db: Queryable): Promise<OpenAlert[]> {
  const { rows } = await db.query<{
    id: string;
    fingerprint: string;
    rule: string;
    state: "pending" | "firing";
    active_at: Date;
    last_seen_at: Date;
  }>(
    `select id::text, fingerprint, rule, state, active_at, last_seen_at
       from opskit.alerts where state <> 'resolved'`,
  );
  return rows.map((r) => ({
    id: r.id,
    fingerprint: r.fingerprint,
    rule: r.rule,
    state: r.state,
    activeAt: r.active_at,
    lastSeenAt: r.last_seen_at,
  }));
}

/**
 * Writes one round's transitions in one statement per kind, batched with
 * unnest. Opening uses the partial unique index on open fingerprints: a
 * second leader for a moment finds the incident there and changes nothing.
 */
export async function applyAlertTransitions(
  db: Queryable,
  transitions: readonly Transition[],
  now: Date,
): Promise<void> {
  const opens = transitions.filter((t) => t.kind === "open");
  const seen = transitions.filter((t) => t.kind === "seen");
  const drops = transitions.filter((t) => t.kind === "drop").map((t) => t.id);
  const resolves = transitions.filter((t) => t.kind === "resolve").map((t) => t.id);
  if (opens.length) {
    await db.query(
      `insert into opskit.alerts (fingerprint, rule, labels, annotations, state, value, active_at, fired_at, last_seen_at)
       select f, r, l, a, s, v, $7, case when s = 'firing' then $7::timestamptz end, $7
         from unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[], $5::text[], $6::float8[]) as x(f, r, l, a, s, v)
       on conflict (fingerprint) where state <> 'resolved' do nothing`,
      [
        opens.map((t) => t.obs.fingerprint),
        opens.map((t) => t.obs.rule),
        opens.map((t) => JSON.stringify(t.obs.labels)),
        opens.map((t) => JSON.stringify(t.obs.annotations)),
        opens.map((t) => t.state),
        opens.map((t) => t.obs.value),
        now,
      ],
    );
  }
  if (seen.length) {
    await db.query(
      `update opskit.alerts a
          set value = x.v, annotations = x.an, last_seen_at = $5, updated_at = $5,
              state = case when x.fire then 'firing' else a.state end,
              fired_at = case when x.fire then $5 else a.fired_at end
         from unnest($1::bigint[], $2::float8[], $3::jsonb[], $4::bool[]) as x(id, v, an, fire)
        where a.id = x.id and a.state <> 'resolved'`,
      [
        seen.map((t) => t.id),
        seen.map((t) => t.obs.value),
        seen.map((t) => JSON.stringify(t.obs.annotations)),
        seen.map((t) => t.fire),
        now,
      ],
    );
  }
  if (drops.length) {
    await db.query(`delete from opskit.alerts where id = any($1::bigint[]) and state = 'pending'`, [
      drops,
    ]);
  }
  if (resolves.length) {
    await db.query(
      `update opskit.alerts set state = 'resolved', resolved_at = $2, updated_at = $2
        where id = any($1::bigint[]) and state = 'firing'`,
      [resolves, now],
    );
  }
}

export interface RuleStatus {
  name: string;
  severity: string;
  forMs: number;
  keepFiringForMs: number;
  summary: string;
  runbookUrl: string | undefined;
  durationMs: number;
  error: string | undefined;
}

/** Records every rule's last evaluation (the evaluator's heartbeat is the newest of them). */
export async function recordRuleStatuses(
  db: Queryable,
  statuses: readonly RuleStatus[],
  node: string,
  now: Date,
): Promise<void> {
  await db.query(
    `insert into opskit.alert_rules as r (name, severity, for_ms, keep_firing_for_ms, summary, runbook_url,
       last_evaluated_at, last_duration_ms, last_error, evaluated_by, updated_at)
     select n, s, f, k, su, ru, $9, d, e, $10, $9
       from unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::real[], $8::text[])
         as x(n, s, f, k, su, ru, d, e)
     on conflict (name) do update set severity = excluded.severity, for_ms = excluded.for_ms,
       keep_firing_for_ms = excluded.keep_firing_for_ms, summary = excluded.summary,
       runbook_url = excluded.runbook_url, last_evaluated_at = excluded.last_evaluated_at,
       last_duration_ms = excluded.last_duration_ms, last_error = excluded.last_error,
       evaluated_by = excluded.evaluated_by, updated_at = excluded.updated_at`,
    [
      statuses.map((s) => s.name),
      statuses.map((s) => s.severity),
      statuses.map((s) => s.forMs),
      statuses.map((s) => s.keepFiringForMs),
      statuses.map((s) => s.summary),
      statuses.map((s) => s.runbookUrl ?? null),
      statuses.map((s) => s.durationMs),
      statuses.map((s) => s.error ?? null),
      now,
      node,
    ],
  );
}
