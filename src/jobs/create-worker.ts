import { randomBytes } from "node:crypto";
import os from "node:os";
import { OpskitError, toError } from "../errors.js";
import { withTransaction, type Pool } from "../db/index.js";
import type { Logger } from "../log/index.js";
import type { AnyTask } from "./define-task.js";
import type { ClaimedJob } from "./job.js";
import { JobAbort } from "./job-abort.js";
import type { OutcomeEvents } from "./job-events.js";
import type { JobMetrics } from "./job-metrics.js";
import { listenForNotifications, type NotificationListener } from "./notification-listener.js";
import { runJob, type RunJobOptions } from "./run-job.js";
import { createSettler } from "./settler.js";
import { claimJobs, claimLimitedJobs } from "./sql/claim-jobs.js";
import { globallyLimitedQueues, heartbeatWorker, removeWorker } from "./sql/heartbeat-worker.js";
import { setQueueConcurrency } from "./sql/queue-admin.js";

/** A queue a worker serves, optionally with its own limits. */
export interface QueueSelection {
  name: string;
  /** Most jobs of this queue running at once in this worker. */
  concurrency?: number;
  /** Most jobs of this queue running at once across all workers (stored in opskit.job_queues). */
  globalConcurrency?: number;
}

export interface WorkOptions {
  /** Jobs run at once by this worker; default 10. */
  concurrency?: number;
  /** Queues served; default every queue the tasks name. */
  queues?: (string | QueueSelection)[];
  /**
   * Jobs claimed ahead into the local buffer. Default: adaptive, about 50 ms
   * of work at the observed run time (from 2 for long jobs up to 500 for
   * tiny ones), so fast jobs are claimed in big batches and slow ones are not
   * hoarded away from other workers. 0 claims only what can start at once.
   */
  prefetch?: number;
  /** Most jobs per claim statement; default 200. */
  batchSize?: number;
  /** Lease of a claimed job, extended by heartbeats; default 30 s. */
  leaseMs?: number;
  /** Backstop poll when no notification arrives; default 1 s. */
  pollIntervalMs?: number;
  /** Default leaseMs / 6. */
  heartbeatIntervalMs?: number;
  /**
   * LISTEN for wake-ups and cancellations; default true. Through a
   * transaction-mode pooler either give `listenUrl` or set false (poll only:
   * wake-ups every `pollIntervalMs`, cancellations with the heartbeat).
   */
  listen?: boolean;
  /**
   * Listen on a connection of its own to this URL (a direct one, past the
   * pooler) instead of a pool connection: one per worker. LISTEN needs one
   * server session for as long as it listens, which a transaction-mode pooler
   * does not keep. Everything else the worker does is one statement or one
   * transaction at a time (docs/scaling.md).
   */
  listenUrl?: string;
  /** After a handler's signal aborts, how long it may take to return; default 2 s. */
  abortGraceMs?: number;
}

export interface Worker {
  readonly id: string;
  /** Stops claiming, returns prefetched jobs at once, lets running ones finish within `budgetMs` (default 10 s), aborts the rest (they retry from their checkpoint), writes every outcome. True when all of it fit in the budget. */
  stop(budgetMs?: number): Promise<boolean>;
  /** Jobs running now and claimed but not started. */
  load(): { running: number; buffered: number };
  /** Resolves once the first heartbeat was attempted (the worker is registered and claiming). */
  ready(): Promise<void>;
  /** Epoch ms of the last successful heartbeat; undefined before the first. */
  lastHeartbeatAt(): number | undefined;
  readonly heartbeatIntervalMs: number;
}

export interface WorkerDeps {
  pool: Pool;
  tasks: Map<string, AnyTask>;
  log: Logger;
  keepHistory: boolean;
  prepared: boolean;
  metrics: JobMetrics | undefined;
  /** The queue's own `add`, for handlers' follow-up jobs (`ctx.add`). */
  add: RunJobOptions["add"];
  /** The queue's `on(…)` events, fired once an outcome is written. */
  outcomes?: OutcomeEvents | undefined;
}

interface Running {
  job: ClaimedJob;
  abort: JobAbort;
  done: Promise<void>;
}

/** The claim loop, the local buffer, the handlers, the heartbeat and the batched outcomes of one worker. */
export function createWorker(deps: WorkerDeps, options: WorkOptions = {}): Worker {
  const id = `${os.hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  const log = deps.log.child({ worker: id });
  const concurrency = options.concurrency ?? 10;
  // Mean handler run time (EWMA), for the adaptive prefetch.
  let meanRunMs: number | undefined;
  const prefetchNow = (): number => {
    if (options.prefetch !== undefined) return options.prefetch;
    if (meanRunMs === undefined) return concurrency;
    const target = Math.round((concurrency * 50) / Math.max(meanRunMs, 0.01));
    return Math.min(500, Math.max(2, target));
  };
  const batchSize = options.batchSize ?? 200;
  const leaseMs = options.leaseMs ?? 30_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? Math.max(50, Math.floor(leaseMs / 6));
  const abortGraceMs = options.abortGraceMs ?? 2_000;
  const tasks = [...deps.tasks.keys()];

  const selections: QueueSelection[] = (
    options.queues ?? [
      ...new Set([...deps.tasks.values()].map((t) => t.options.queue ?? "default")),
    ]
  ).map((q) => (typeof q === "string" ? { name: q } : q));
  // Queues with a limit are claimed one by one; which have a global limit is
  // re-read with every heartbeat (an operator or another worker may set one).
  let general: QueueSelection[] = [];
  let limited: QueueSelection[] = [];
  const route = (globallyLimited: Set<string>) => {
    const isLimited = (q: QueueSelection) =>
      q.concurrency !== undefined ||
      q.globalConcurrency !== undefined ||
      globallyLimited.has(q.name);
    general = selections.filter((q) => !isLimited(q));
    limited = selections.filter(isLimited);
  };
  route(new Set());
  const served = new Set(selections.map((q) => q.name));

  const buffer: { job: ClaimedJob; claimedAt: number }[] = [];
  // Every claim this worker holds until its outcome is written: job id →
  // attempt. Claims commit asynchronously (src/jobs/sql/claim-jobs.ts), so a
  // database crash can undo one while its job runs here; claimed again by
  // this worker, it comes back with the same attempt, and the run already
  // here (whose outcome carries that same fence) stands for both.
  const held = new Map<string, number>();
  const forget = (id: string, attempt: number) => {
    if (held.get(id) === attempt) held.delete(id);
  };
  const running = new Map<string, Running>();
  let stopping = false;
  let lastHeartbeat: number | undefined;
  let moreWaiting = false;
  let wake: (() => void) | undefined;
  // A poke while the loop is busy claiming is remembered, not lost.
  let poked = false;
  const poke = () => {
    const w = wake;
    wake = undefined;
    if (w) w();
    else poked = true;
  };

  const settler = createSettler({
    db: deps.pool,
    keepHistory: deps.keepHistory,
    prepared: deps.prepared,
    log,
    onSettled: (batch, applied) => {
      for (const s of batch) forget(s.id, s.attempt);
      deps.metrics?.settled(batch, applied);
      deps.outcomes?.settled(batch, applied);
      // Written outcomes free capacity.
      if (moreWaiting) poke();
    },
  });
  const runOptions = { db: deps.pool, worker: id, leaseMs, abortGraceMs, log, add: deps.add };

  const inQueue = (queue: string) =>
    buffer.filter((b) => b.job.queue === queue).length +
    [...running.values()].filter((r) => r.job.queue === queue).length;

  const roomFor = (prefetch: number) =>
    concurrency + prefetch - buffer.length - running.size - settler.pending();

  /** Claims what fits; true when a claim came back full (more is likely waiting), undefined when there was no room to claim. */
  async function claimOnce(): Promise<boolean | undefined> {
    // Outcomes not yet written count against capacity: if the database slows
    // down, the worker stops claiming instead of piling up unacknowledged work
    // (which a crash would make run again).
    const prefetch = prefetchNow();
    let free = roomFor(prefetch);
    if (free <= 0 || buffer.length > prefetch / 2) return undefined;
    let full = false;
    const claimed: ClaimedJob[] = [];
    if (general.length > 0) {
      const limit = Math.min(free, batchSize);
      const jobs = await claimJobs(deps.pool, {
        worker: id,
        queues: general.map((q) => q.name),
        tasks,
        limit,
        leaseMs,
        prepared: deps.prepared,
      });
      claimed.push(...jobs);
      free -= jobs.length;
      full = jobs.length === limit;
    }
    for (const q of limited) {
      const limit = Math.min(free, batchSize, (q.concurrency ?? Infinity) - inQueue(q.name));
      if (limit <= 0) continue;
      const o = { worker: id, tasks, limit, leaseMs };
      const jobs = await withTransaction(deps.pool, (tx) => claimLimitedJobs(tx, q.name, o));
      claimed.push(...jobs);
      free -= jobs.length;
      full ||= jobs.length === limit;
    }
    const now = performance.now();
    for (const job of claimed) {
      if (held.get(job.id) === job.attempts) {
        log.warn(
          { job_id: job.id, attempt: job.attempts },
          "claimed a job this worker already holds (its claim was undone by a database crash): not run twice",
        );
        continue;
      }
      held.set(job.id, job.attempts);
      buffer.push({ job, claimedAt: now });
    }
    if (claimed.length > 0) deps.metrics?.claimed(claimed.length);
    dispatch();
    return full;
  }

  function dispatch(): void {
    while (running.size < concurrency && buffer.length > 0 && !stopping) {
      const { job, claimedAt } = buffer.shift()!;
      start(job, claimedAt);
    }
    if (moreWaiting && buffer.length <= prefetchNow() / 2) poke();
  }

  function start(job: ClaimedJob, claimedAt: number): void {
    const entry: Running = { job, abort: new JobAbort(), done: Promise.resolve() };
    running.set(job.id, entry);
    entry.done = execute(entry, claimedAt);
  }

  async function execute({ job, abort }: Running, claimedAt: number): Promise<void> {
    // The hold ends with the written outcome (onSettled), or here when there is none to write.
    let settling = false;
    try {
      const task = deps.tasks.get(job.task)!;
      const started = performance.now();
      deps.metrics?.started(job, (started - claimedAt) / 1000);
      const settlement = await runJob(job, task, abort, runOptions);
      const ms = performance.now() - started;
      meanRunMs = meanRunMs === undefined ? ms : meanRunMs * 0.9 + ms * 0.1;
      deps.metrics?.finished(job, settlement?.outcome, ms / 1000);
      if (settlement) {
        deps.outcomes?.ran(job);
        settler.add(settlement);
        settling = true;
      }
    } catch (error) {
      log.error({ err: toError(error), job_id: job.id }, "job runner failed");
    } finally {
      if (!settling) forget(job.id, job.attempts);
      running.delete(job.id);
      dispatch();
    }
  }

  async function claimLoop(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      poked = false;
      let full: boolean | undefined = false;
      try {
        full = await claimOnce();
        failures = 0;
        if (full !== undefined) moreWaiting = full;
      } catch (error) {
        failures++;
        log.warn({ err: toError(error), failures }, "claiming jobs failed; retrying");
      }
      if (stopping) break;
      const prefetch = prefetchNow();
      const room = roomFor(prefetch);
      if (full && room > 0 && buffer.length <= prefetch / 2) continue;
      const waitMs =
        failures > 0
          ? Math.min(5_000, pollIntervalMs * 2 ** Math.min(failures, 3))
          : pollIntervalMs;
      if (poked) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wake = undefined;
          resolve();
        }, waitMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  function cancel(jobId: string): void {
    const r = running.get(jobId);
    if (r) {
      r.abort.abort(new OpskitError("JOB_CANCELLED", `Job ${jobId} was cancelled.`));
      return;
    }
    const i = buffer.findIndex((b) => b.job.id === jobId);
    if (i >= 0) {
      const job = buffer.splice(i, 1)[0]!.job;
      settler.add({ id: job.id, attempt: job.attempts, worker: id, outcome: "cancelled" });
    }
  }

  async function heartbeat(): Promise<void> {
    try {
      const cancelled = await heartbeatWorker(
        deps.pool,
        { id, queues: [...served], concurrency },
        leaseMs,
      );
      route(new Set(await globallyLimitedQueues(deps.pool, [...served])));
      lastHeartbeat = Date.now();
      deps.metrics?.heartbeat(lastHeartbeat);
      for (const jobId of cancelled) cancel(jobId);
    } catch (error) {
      log.warn({ err: toError(error) }, "worker heartbeat failed");
      if (lastHeartbeat !== undefined && Date.now() - lastHeartbeat > leaseMs) loseLeases();
    }
  }

  // Past its lease without a heartbeat the worker must assume its jobs were
  // rescued: stop their handlers and forget the buffer (their outcomes would be fenced out anyway).
  function loseLeases(): void {
    if (running.size === 0 && buffer.length === 0) return;
    log.error(
      { running: running.size, buffered: buffer.length },
      "heartbeat lost past the lease: dropping jobs",
    );
    for (const { job } of buffer) held.delete(job.id);
    buffer.length = 0;
    for (const r of running.values()) {
      r.abort.abort(
        new OpskitError("JOB_LEASE_LOST", `Worker ${id} lost its lease on job ${r.job.id}.`),
      );
    }
  }

  const onNotification = (channel: string, payload: string) => {
    if (channel === "opskit_jobs_cancel") cancel(payload);
    else if (channel === "" || served.has(payload)) poke();
  };
  let listener: NotificationListener | undefined;
  if (options.listen ?? true) {
    listener = listenForNotifications({
      pool: deps.pool,
      url: options.listenUrl,
      channels: ["opskit_jobs", "opskit_jobs_cancel"],
      onNotification,
      log,
    });
  }

  const setup = Promise.all(
    selections
      .filter((q) => q.globalConcurrency !== undefined)
      .map((q) => setQueueConcurrency(deps.pool, q.name, q.globalConcurrency!)),
  );
  // One heartbeat at a time: a slow database must not pile them up.
  let beating: Promise<void> | undefined;
  const beat = () => (beating ??= heartbeat().finally(() => (beating = undefined)));
  const heartbeatTimer = setInterval(() => void beat(), heartbeatIntervalMs);
  const firstHeartbeat = setup.then(() => beat()).catch(() => undefined);
  const loop = firstHeartbeat
    .then(() => claimLoop())
    .catch((error: unknown) =>
      log.error({ err: toError(error) }, "the worker's claim loop stopped"),
    );
  log.info({ concurrency, queues: [...served], listen: options.listen ?? true }, "worker started");

  let stopped: Promise<boolean> | undefined;
  async function stop(budgetMs = 10_000): Promise<boolean> {
    const deadline = performance.now() + budgetMs;
    const left = () => Math.max(0, deadline - performance.now());
    stopping = true;
    poke();
    await loop;
    // Prefetched jobs never started: back to ready at once, their attempt given back.
    for (const { job } of buffer.splice(0)) {
      settler.add({
        id: job.id,
        attempt: job.attempts,
        worker: id,
        outcome: "release",
      });
    }
    const all = () => Promise.all([...running.values()].map((r) => r.done));
    const finished = await within(all(), left() - abortGraceMs - 200);
    if (!finished) {
      log.warn({ running: running.size }, "shutdown budget running out: interrupting jobs");
      for (const r of running.values()) {
        r.abort.abort(
          new OpskitError(
            "JOB_INTERRUPTED",
            `Job ${r.job.id} was interrupted by the worker's shutdown.`,
          ),
        );
      }
      await within(all(), left());
    }
    clearInterval(heartbeatTimer);
    await beating; // so it cannot register the worker again after its row is removed
    const drained = await settler.drain(left());
    await listener?.close();
    await removeWorker(deps.pool, id).catch(() => undefined);
    log.info({ drained, left_ms: Math.round(left()) }, "worker stopped");
    // Interrupted jobs are part of a drain (they resume from their checkpoint);
    // only outcomes left unwritten make it unclean.
    return drained && running.size === 0;
  }

  return {
    id,
    stop: (budgetMs) => (stopped ??= stop(budgetMs)),
    load: () => ({ running: running.size, buffered: buffer.length }),
    ready: () => firstHeartbeat,
    lastHeartbeatAt: () => lastHeartbeat,
    heartbeatIntervalMs,
  };
}

/** Resolves true when `work` settles within `ms`, false otherwise (and clears its timer). */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>(
    (resolve) => (timer = setTimeout(resolve, Math.max(0, ms), false)),
  );
  try {
    return await Promise.race([work.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
