/**
 * The soak's invariant checker: what the database holds at the end, against
 * the load generator's log (what was acknowledged), the fake store's record
 * of pushes, the chaos schedule (what may be repeated, and how often) and
 * the snapshot taken before the first disruption.
 */
import type pg from "pg";
import type { ChaosEvent } from "./chaos.js";
import type { StorePush } from "./fake-store.js";
import type { LoadRecord } from "./load.js";
import { memorySlopes as slopesOf, whatGrows, type MemorySlopes } from "./memory-slopes.js";
import type { ConnectionSample, ProcessSample } from "./sampler.js";

export interface Invariant {
  name: string;
  ok: boolean;
  /** What was measured, in a sentence, with the figures. */
  detail: string;
  /** Not applicable in this run (e.g. the memory slope with too few samples): not a failure. */
  skipped?: boolean;
}

export interface Baseline {
  migrations: string[];
  auditIds: string[];
}

export async function takeBaseline(db: pg.ClientBase): Promise<Baseline> {
  const migrations = await db.query<{ k: string }>(
    "select id || ':' || source || ':' || name as k from opskit.schema_migrations order by id",
  );
  const audit = await db.query<{ id: string }>("select id::text from opskit.audit_log order by id");
  return { migrations: migrations.rows.map((r) => r.k), auditIds: audit.rows.map((r) => r.id) };
}

export interface CheckInput {
  db: pg.ClientBase;
  load: LoadRecord[];
  pushes: StorePush[];
  chaos: ChaosEvent[];
  baseline: Baseline;
  /** Audit rows written (and acknowledged) during the chaos: each must still be there. */
  auditWritten: string[];
  samples: ProcessSample[];
  connections: ConnectionSample[];
  /** Jobs one worker runs at a time (OPSKIT_JOBS_CONCURRENCY). */
  workerConcurrency: number;
  /** Worker processes that a database or pgbouncer restart disrupts. */
  workers: number;
  /** Processes whose memory, fds are judged (never killed or restarted by chaos). */
  steady: string[];
  /** ms after the start before memory is judged. */
  warmupMs: number;
  /** Time span of samples after warm-up needed for the memory slope (ms). */
  slopeMinSpanMs: number;
  /** Most client connections Postgres may hold (pgbouncer's pool plus the checker's own). */
  connectionCap: number;
  /**
   * When heap snapshots were taken (ms since the start): writing one costs the
   * process ~100 MB of native memory its allocator keeps, a step in RSS that
   * says nothing about a leak, so RSS is not judged in such a run (heap used is).
   */
  heapSnapshotsAt?: number[];
}

export interface CheckFacts {
  ackedWebhooks: number;
  ackedApiCreates: number;
  orders: number;
  expectedPushes: number;
  rawPushes: number;
  duplicatePushes: number;
  disruptionBound: number;
  leaseLost: number;
  unexplainedRuns: number;
  deadJobs: number;
  retries: number;
  /** Per steady process: MB per 10 min of RSS and of V8's heap, from warm-up on (null: too short). */
  memorySlopes: Record<string, MemorySlopes>;
}

/** Of the chaos events, how many job runs each may cut short (and so repeat). */
export function disruptionBound(chaos: ChaosEvent[], concurrency: number, workers: number): number {
  let bound = 0;
  for (const event of chaos) {
    if (event.kind === "kill-worker" || event.kind === "restart-worker") bound += concurrency;
    if (
      event.kind === "restart-postgres" ||
      event.kind === "crash-postgres" ||
      event.kind === "restart-pgbouncer"
    ) {
      bound += concurrency * workers;
    }
  }
  return bound;
}

export async function checkInvariants(
  input: CheckInput,
): Promise<{ invariants: Invariant[]; facts: CheckFacts }> {
  const { db } = input;
  const invariants: Invariant[] = [];
  const add = (name: string, ok: boolean, detail: string, skipped = false) =>
    invariants.push({ name, ok, detail, ...(skipped ? { skipped } : {}) });
  const bound = disruptionBound(input.chaos, input.workerConcurrency, input.workers);

  // 1. Every webhook acknowledged 2xx is stored exactly once, processed, and made its order once.
  const ackedHooks = new Map<string, LoadRecord>();
  for (const r of input.load) if (r.kind === "webhook" && r.acked) ackedHooks.set(r.key!, r);
  const stored = await db.query<{ dedupe_key: string; n: number; status: string }>(
    `select dedupe_key, count(*)::int as n, min(status) as status from opskit.inbox_events
      where source = 'shopify' and dedupe_key like 'soak-wh-%' group by dedupe_key`,
  );
  const storedBy = new Map(stored.rows.map((r) => [r.dedupe_key, r]));
  const missingHooks = [...ackedHooks.keys()].filter((k) => !storedBy.has(k));
  const doubledHooks = stored.rows.filter((r) => r.n !== 1).map((r) => r.dedupe_key);
  const unprocessed = stored.rows.filter((r) => r.status !== "processed").map((r) => r.dedupe_key);
  add(
    "webhooks: every acknowledged delivery stored exactly once and processed",
    missingHooks.length === 0 && doubledHooks.length === 0 && unprocessed.length === 0,
    `${ackedHooks.size} acknowledged deliveries, ${stored.rows.length} stored; missing ${missingHooks.length}` +
      `${sample(missingHooks)}, stored more than once ${doubledHooks.length}, not processed ${unprocessed.length}${sample(unprocessed)}`,
  );

  const orders = await db.query<{
    id: string;
    store: string;
    external_id: string | null;
    items: { sku: string; quantity: number }[];
  }>("select id::text, store, external_id, items from orders order by id");
  const ordersByKey = new Map<string, number>();
  for (const o of orders.rows) {
    const key = `${o.store}|${o.external_id}`;
    ordersByKey.set(key, (ordersByKey.get(key) ?? 0) + 1);
  }
  const hookOrders = [...ackedHooks.values()].map((r) => `${r.store}|${r.externalId}`);
  const hookOrdersWrong = hookOrders.filter((k) => ordersByKey.get(k) !== 1);
  add(
    "webhooks: every acknowledged order/create made exactly one order",
    hookOrdersWrong.length === 0,
    `${new Set(hookOrders).size} orders expected from webhooks; ${hookOrdersWrong.length} missing or doubled${sample(hookOrdersWrong)}`,
  );

  const ackedCreates = new Map<string, LoadRecord>();
  for (const r of input.load) if (r.kind === "api-create" && r.acked) ackedCreates.set(r.key!, r);
  const createsWrong = [...ackedCreates.values()]
    .map((r) => `${r.store}|${r.externalId}`)
    .filter((k) => ordersByKey.get(k) !== 1);
  add(
    "api: every acknowledged create made exactly one order",
    createsWrong.length === 0,
    `${ackedCreates.size} acknowledged creates; ${createsWrong.length} missing or doubled${sample(createsWrong)}`,
  );

  // 2. Every order's inventory pushed exactly once per SKU (after dedupe by idempotency key).
  const expected = new Set<string>();
  for (const o of orders.rows) {
    for (const item of o.items) expected.add(`inventory:${o.id}:${item.sku}`);
  }
  const pushCount = new Map<string, number>();
  for (const p of input.pushes) pushCount.set(p.key, (pushCount.get(p.key) ?? 0) + 1);
  const notPushed = [...expected].filter((k) => !pushCount.has(k));
  const phantom = [...pushCount.keys()].filter((k) => !expected.has(k));
  const duplicates = [...pushCount.values()].reduce((s, n) => s + (n - 1), 0);
  const recorded = await db.query<{ n: number; doubled: number }>(
    `select count(*)::int as n, count(*) filter (where c > 1)::int as doubled
       from (select order_id, sku, count(*) as c from inventory_pushes group by 1, 2) x`,
  );
  add(
    "inventory: every order's SKU pushed exactly once after dedupe by idempotency key",
    notPushed.length === 0 && phantom.length === 0 && recorded.rows[0]!.n === expected.size,
    `${orders.rows.length} orders, ${expected.size} (order, SKU) pushes expected; not pushed ${notPushed.length}` +
      `${sample(notPushed)}, pushes for no order ${phantom.length}, inventory_pushes rows ${recorded.rows[0]!.n}`,
  );
  add(
    "inventory: raw duplicate pushes within the disruptions' bound",
    duplicates <= bound,
    `${input.pushes.length} raw pushes, ${duplicates} repeated (same idempotency key); bound ${bound} ` +
      `(each job-disrupting event × the jobs it can cut short)`,
  );

  // 3. Every job completed or dead, none lost, none run more than its errors explain.
  const open = await db.query<{ task: string; state: string; n: number }>(
    `select task, state, count(*)::int as n from opskit.jobs
      where coalesce(meta->>'schedule', '') = '' group by 1, 2`,
  );
  const openCount = open.rows.reduce((s, r) => s + r.n, 0);
  const pushJobs = await db.query<{ id: string }>(
    `select o.id::text from orders o
      where not exists (select 1 from opskit.job_history h
                         where h.dedupe_key = 'inventory-push:' || o.id and h.state = 'completed')
        and not exists (select 1 from opskit.dead_jobs d where d.dedupe_key = 'inventory-push:' || o.id)`,
  );
  const dead = await db.query<{ task: string; n: number }>(
    "select task, count(*)::int as n from opskit.dead_jobs group by 1",
  );
  const deadCount = dead.rows.reduce((s, r) => s + r.n, 0);
  add(
    "jobs: every job completed or dead, none left and none lost",
    openCount === 0 && pushJobs.rows.length === 0,
    `unfinished ${openCount}${open.rows.map((r) => ` ${r.task}/${r.state}:${r.n}`).join("")}; orders without a finished inventory-push job ${pushJobs.rows.length}` +
      `${sample(pushJobs.rows.map((r) => r.id))}; dead ${deadCount}${dead.rows.map((r) => ` ${r.task}:${r.n}`).join("")}`,
  );
  const runs = await db.query<{ lease_lost: number; unexplained: number; retries: number }>(
    `with all_jobs as (
       select attempts, errors from opskit.job_history
       union all select attempts, errors from opskit.dead_jobs
     )
     select coalesce(sum((select count(*) from jsonb_array_elements(errors) e
                          where e->>'code' = 'JOB_LEASE_LOST')), 0)::int as lease_lost,
            coalesce(sum(greatest(least(attempts - 1, 20) - jsonb_array_length(errors), 0)), 0)::int as unexplained,
            coalesce(sum(attempts - 1), 0)::int as retries
       from all_jobs`,
  );
  const { lease_lost: leaseLost, unexplained, retries } = runs.rows[0]!;
  add(
    "jobs: no run repeated beyond the disruptions' bound",
    leaseLost <= bound && unexplained === 0,
    `${retries} retries in all; runs cut short by a lost lease ${leaseLost} (bound ${bound}); ` +
      `retries with no recorded error (a second run nobody explains) ${unexplained}`,
  );

  // 4. No migration or audit row missing.
  const after = await takeBaseline(db);
  const migrationsSame =
    after.migrations.length === input.baseline.migrations.length &&
    after.migrations.every((m, i) => m === input.baseline.migrations[i]);
  const auditAfter = new Set(after.auditIds);
  const auditMissing = input.baseline.auditIds.filter((id) => !auditAfter.has(id));
  const auditLost = input.auditWritten.filter((id) => !auditAfter.has(id));
  add(
    "migrations and audit: no row missing, none added by chaos",
    migrationsSame && auditMissing.length === 0 && auditLost.length === 0,
    `${input.baseline.migrations.length} migrations before, ${after.migrations.length} after (same ids: ${migrationsSame}); ` +
      `${input.baseline.auditIds.length} audit rows before, ${auditMissing.length} of them missing after; ` +
      `${input.auditWritten.length} written during the chaos, ${auditLost.length} of them missing (${after.auditIds.length} now)`,
  );

  // 5. Resources of the steady processes: memory flat, fds and connections bounded.
  const memorySlopes: Record<string, MemorySlopes> = {};
  for (const name of input.steady) {
    const mine = input.samples.filter((s) => s.name === name && s.at >= input.warmupMs);
    const pid = mine.at(-1)?.pid;
    const same = mine.filter((s) => s.pid === pid);
    const span = same.length ? same.at(-1)!.at - same[0]!.at : 0;
    const slopes = slopesOf(same);
    const mbPer10Min = slopes.rss;
    memorySlopes[name] = slopes;
    const snapshotAt = (input.heapSnapshotsAt ?? []).filter((t) => t <= (same.at(-1)?.at ?? 0));
    if (snapshotAt.length > 0 && span >= input.slopeMinSpanMs && mbPer10Min !== null) {
      add(
        `memory: ${name} RSS flat after warm-up`,
        true,
        `not judged: heap snapshots at ${snapshotAt.map((t) => (t / 60_000).toFixed(1)).join(", ")} min ` +
          `(each adds native memory the allocator keeps); slope ${mbPer10Min.toFixed(2)} MB per 10 min; ${whatGrows(slopes, 1)}`,
        true,
      );
    } else if (span < input.slopeMinSpanMs || mbPer10Min === null) {
      add(
        `memory: ${name} RSS flat after warm-up`,
        true,
        `${same.length} samples over ${Math.round(span / 1000)} s after warm-up: too short for a slope ` +
          `(needs ${Math.round(input.slopeMinSpanMs / 60_000)} min); fds and connections are judged instead`,
        true,
      );
    } else {
      add(
        `memory: ${name} RSS flat after warm-up`,
        mbPer10Min < 1,
        `slope ${mbPer10Min.toFixed(2)} MB per 10 min over ${same.length} samples, ${Math.round(span / 60_000)} min (limit 1); ${whatGrows(slopes, 1)}`,
      );
    }
    // The heap in use, as the process sees it (no forced GC): flat unless something is kept.
    if (span >= input.slopeMinSpanMs && slopes.heapUsed !== null) {
      add(
        `memory: ${name} V8 heap used flat after warm-up`,
        slopes.heapUsed < 1,
        `slope ${slopes.heapUsed.toFixed(2)} MB per 10 min over ${same.filter((s) => s.v8).length} samples (limit 1)`,
      );
    }
    const fds = same.map((s) => s.fds);
    if (fds.length >= 4) {
      const quarter = Math.max(1, Math.floor(fds.length / 4));
      const first = median(fds.slice(0, quarter));
      const last = median(fds.slice(-quarter));
      const max = Math.max(...fds);
      // Sockets come and go with load (keep-alive, pool): a fixed margin, not equality.
      add(
        `fds: ${name} open file descriptors stable`,
        last <= first + 20 && max <= first + 60,
        `median ${first} in the first quarter after warm-up, ${last} in the last; max ${max}`,
      );
    } else {
      add(
        `fds: ${name} open file descriptors stable`,
        true,
        `${fds.length} samples: too few`,
        true,
      );
    }
  }
  const conns = input.connections.filter((c) => c.at >= input.warmupMs && c.connections !== null);
  const values = conns.map((c) => c.connections!);
  if (values.length >= 4) {
    const quarter = Math.max(1, Math.floor(values.length / 4));
    const first = median(values.slice(0, quarter));
    const last = median(values.slice(-quarter));
    const max = Math.max(...values);
    add(
      "connections: Postgres client connections bounded and stable",
      max <= input.connectionCap && last <= first + 10,
      `median ${first} in the first quarter after warm-up, ${last} in the last; max ${max} (cap ${input.connectionCap})`,
    );
  } else {
    add(
      "connections: Postgres client connections bounded and stable",
      true,
      `${values.length} samples: too few`,
      true,
    );
  }

  return {
    invariants,
    facts: {
      ackedWebhooks: ackedHooks.size,
      ackedApiCreates: ackedCreates.size,
      orders: orders.rows.length,
      expectedPushes: expected.size,
      rawPushes: input.pushes.length,
      duplicatePushes: duplicates,
      disruptionBound: bound,
      leaseLost,
      unexplainedRuns: unexplained,
      deadJobs: deadCount,
      retries,
      memorySlopes,
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function sample(list: string[]): string {
  return list.length ? ` (e.g. ${list.slice(0, 3).join(", ")})` : "";
}
