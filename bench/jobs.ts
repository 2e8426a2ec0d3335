/**
 * `npm run bench -- jobs [--quick]`: opskit's queue side by side with
 * graphile-worker (default and batched), pg-boss (defaults and tuned
 * batching) and BullMQ 6 on its Postgres backend, on one embedded Postgres
 * with durable settings (fsync and synchronous_commit on), each system in its
 * own database, in interleaved rounds (the median is reported).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/index.js";
import type { Benchmark } from "./harness.js";
import { median, percentile, round, versions } from "./harness.js";
import {
  bullmqSystem,
  CONCURRENCY,
  graphileSystem,
  opskitSystem,
  pgBossSystem,
  type System,
} from "./jobs-systems.js";

const FACTORIES: [string, (url: string) => Promise<System>][] = [
  ["opskit", opskitSystem],
  ["graphile_default", (url) => graphileSystem(url, false)],
  ["graphile_batched", (url) => graphileSystem(url, true)],
  ["pgboss_default", (url) => pgBossSystem(url, false)],
  ["pgboss_tuned", (url) => pgBossSystem(url, true)],
  ["bullmq_pg", bullmqSystem],
];
const DIRTY = new Set(["opskit", "graphile_batched", "pgboss_tuned"]);

interface Figures {
  processing: number[];
  bulk: number[];
  single: number[];
  p50: number[];
  p99: number[];
  startStopMs: number[];
  dirtyProcessing: number[];
  notes: string[];
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await fn();
  return [value, performance.now() - started];
}

/** Processes `n` ready jobs; stops at `limitMs` and reports what it got through. */
async function processing(system: System, n: number, limitMs: number): Promise<number> {
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const started = performance.now();
  const worker = await system.work(() => {
    if (++done === n) finish();
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((r) => (timer = setTimeout(r, limitMs)))]);
  clearTimeout(timer);
  const elapsed = performance.now() - started;
  await worker.stop();
  return (done / elapsed) * 1000;
}

async function latency(system: System, n: number, limitMs: number): Promise<number[]> {
  let started: (() => void) | undefined;
  const worker = await system.work(() => started?.());
  const samples: number[] = [];
  const deadline = performance.now() + limitMs;
  for (let i = 0; i < n && performance.now() < deadline; i++) {
    const t0 = performance.now();
    const ran = new Promise<number>((resolve) => (started = () => resolve(performance.now())));
    await system.add();
    let timer: NodeJS.Timeout | undefined;
    const t1 = await Promise.race([
      ran,
      new Promise<number>(
        (r) => (timer = setTimeout(() => r(-1), Math.max(0, deadline - performance.now()))),
      ),
    ]);
    clearTimeout(timer);
    if (t1 < 0) break;
    samples.push(t1 - t0);
  }
  await worker.stop();
  return samples.sort((a, b) => a - b);
}

const jobs: Benchmark = async ({ quick }) => {
  const n = quick ? 20_000 : 200_000;
  const rounds = quick ? 1 : 3;
  const processLimitMs = quick ? 5_000 : 30_000;
  const latencyN = quick ? 200 : 1_000;
  const latencyLimitMs = quick ? 3_000 : 15_000;
  const singleN = quick ? 300 : 2_000;
  const future = quick ? 100_000 : 1_000_000;
  const dead = quick ? 10_000 : 100_000;

  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-bench-jobs-"));
  const server = await startEmbeddedPostgres({
    dataDir: path.join(tmp, "pg"),
    port: 55_500,
    persistent: false,
    // Durable, like production: every commit is flushed.
    settings: {
      fsync: "on",
      synchronous_commit: "on",
      max_connections: "300",
      shared_buffers: "256MB",
    },
  });
  const systems = new Map<string, System>();
  const figures = new Map<string, Figures>();
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    for (const [key, factory] of FACTORIES) {
      await admin.query(`create database ${key}`);
      try {
        systems.set(key, await factory(server.urlFor(key)));
        figures.set(key, {
          processing: [],
          bulk: [],
          single: [],
          p50: [],
          p99: [],
          startStopMs: [],
          dirtyProcessing: [],
          notes: [],
        });
      } catch (error) {
        console.error(`${key}: could not start: ${(error as Error).message}`);
      }
    }
    await admin.end();

    for (let r = 0; r < rounds; r++) {
      for (const [key, system] of systems) {
        const f = figures.get(key)!;
        console.error(`round ${r + 1}/${rounds}: ${system.name}`);
        try {
          const [, bulkMs] = await timed(() => system.bulkAdd(n));
          f.bulk.push((n / bulkMs) * 1000);
          f.processing.push(await processing(system, n, processLimitMs));
          await system.clear(false);
          const [, singleMs] = await timed(async () => {
            for (let i = 0; i < singleN; i++) await system.add();
          });
          f.single.push((singleN / singleMs) * 1000);
          await system.clear(false);
          const samples = await latency(system, latencyN, latencyLimitMs);
          if (samples.length < latencyN)
            f.notes.push(
              `latency: ${samples.length} of ${latencyN} jobs within ${latencyLimitMs} ms`,
            );
          f.p50.push(percentile(samples, 50));
          f.p99.push(percentile(samples, 99));
          await system.clear(false);
          const [, startStop] = await timed(async () =>
            (await system.work(() => undefined)).stop(),
          );
          f.startStopMs.push(startStop);
        } catch (error) {
          f.notes.push(`round ${r + 1}: ${(error as Error).message}`);
          await system.clear(false).catch(() => undefined);
        }
      }
    }

    // The dirty table: future-scheduled and dead rows stay while the same work runs.
    for (const key of DIRTY) {
      const system = systems.get(key);
      if (!system) continue;
      const f = figures.get(key)!;
      console.error(`dirty table: ${system.name}`);
      await system.bulkAdd(future, { runAt: new Date(Date.now() + 365 * 86_400_000) });
      await system.addDead(dead);
      await system.clear(true); // vacuum and analyze: measure the steady state, not the autovacuum after a mass insert
      for (let r = 0; r < rounds; r++) {
        await system.bulkAdd(n);
        f.dirtyProcessing.push(await processing(system, n, processLimitMs));
        await system.clear(true);
      }
    }
  } finally {
    for (const system of systems.values()) await system.close().catch(() => undefined);
    // A library's idle connection may still be open: its error when the server stops is expected.
    process.on("uncaughtException", (error) => {
      if (!/terminating connection/.test(error.message)) throw error;
    });
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }

  const summary = Object.fromEntries(
    [...figures].map(([key, f]) => [
      key,
      {
        name: systems.get(key)!.name,
        per_job_acks: systems.get(key)!.perJobAcks,
        processing_jobs_per_s: round(median(f.processing), 0),
        bulk_enqueue_jobs_per_s: round(median(f.bulk), 0),
        single_add_jobs_per_s: round(median(f.single), 0),
        latency_p50_ms: round(median(f.p50), 2),
        latency_p99_ms: round(median(f.p99), 2),
        start_stop_ms: round(median(f.startStopMs), 0),
        dirty_processing_jobs_per_s: f.dirtyProcessing.length
          ? round(median(f.dirtyProcessing), 0)
          : null,
        dirty_loss_pct: f.dirtyProcessing.length
          ? round((1 - median(f.dirtyProcessing) / median(f.processing)) * 100, 1)
          : null,
        rounds: f,
      },
    ]),
  );
  const s = summary as Record<string, (typeof summary)[string] | undefined>;
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? round(a / b, 2) : NaN);
  const o = s.opskit;
  return {
    table: Object.values(summary).map((x) => ({
      system: x.name,
      "jobs/s": x.processing_jobs_per_s,
      "bulk add/s": x.bulk_enqueue_jobs_per_s,
      "single add/s": x.single_add_jobs_per_s,
      "p50 ms": x.latency_p50_ms,
      "p99 ms": x.latency_p99_ms,
      "start+stop ms": x.start_stop_ms,
      "dirty jobs/s": x.dirty_processing_jobs_per_s ?? "-",
      "dirty loss %": x.dirty_loss_pct ?? "-",
      "per-job acks": x.per_job_acks ? "yes" : "no",
    })),
    figures: {
      n,
      rounds,
      concurrency: CONCURRENCY,
      future_rows: future,
      dead_rows: dead,
      postgres: "embedded 15.x, fsync=on, synchronous_commit=on",
      systems: summary,
    },
    ratios: {
      processing_vs_graphile_batched: ratio(
        o?.processing_jobs_per_s,
        s.graphile_batched?.processing_jobs_per_s,
      ),
      processing_vs_graphile_default: ratio(
        o?.processing_jobs_per_s,
        s.graphile_default?.processing_jobs_per_s,
      ),
      processing_vs_pgboss_tuned: ratio(
        o?.processing_jobs_per_s,
        s.pgboss_tuned?.processing_jobs_per_s,
      ),
      processing_vs_pgboss_default: ratio(
        o?.processing_jobs_per_s,
        s.pgboss_default?.processing_jobs_per_s,
      ),
      processing_vs_bullmq_pg: ratio(o?.processing_jobs_per_s, s.bullmq_pg?.processing_jobs_per_s),
      bulk_enqueue_vs_graphile: ratio(
        o?.bulk_enqueue_jobs_per_s,
        s.graphile_batched?.bulk_enqueue_jobs_per_s,
      ),
      single_add_vs_graphile: ratio(
        o?.single_add_jobs_per_s,
        s.graphile_batched?.single_add_jobs_per_s,
      ),
      latency_p50_vs_graphile: ratio(o?.latency_p50_ms, s.graphile_default?.latency_p50_ms),
    },
    versions: versions(["graphile-worker", "pg-boss", "bullmq", "pg"]),
  };
};

export default jobs;
