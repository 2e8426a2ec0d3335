import { createJobsAdmin, type QueueBacklog } from "../../jobs/index.js";
import type { RuleContext } from "../alert-rule.js";
import type { BuiltinRuleSpec } from "./builtin-rule-spec.js";

const RUNBOOKS = "docs/runbooks";

/** The job queue's rules: backlog growth, oldest ready age, stuck jobs, new dead jobs, missed schedules. */
export const jobsRules: BuiltinRuleSpec[] = [
  {
    name: "JobBacklogGrowing",
    severity: "warning",
    forMs: 15 * 60_000,
    threshold: 100,
    windowMs: 15 * 60_000,
    summary: "Queue {{ $labels.queue }}: {{ $value }} ready jobs and growing",
    description:
      "The ready backlog of queue {{ $labels.queue }} is above the threshold and has grown over the window: workers are not keeping up.",
    runbook: `${RUNBOOKS}/job-backlog.md`,
    promql: (o) =>
      `opskit_jobs_depth{state="ready"} > ${o.threshold} and delta(opskit_jobs_depth{state="ready"}[${prom(o.windowMs!)}]) > 0`,
    // Growth is the ready count's; past the count cap (1,000, or twice the threshold) it
    // is the oldest ready job's wait (a FIFO backlog that grows waits longer).
    evaluate: async (ctx, o) =>
      (await backlog(ctx, Math.max(1_000, o.threshold * 2))).flatMap((q) => {
        const grew = ctx.series.delta(`ready:${q.queue}`, q.ready, o.windowMs!, ctx.now);
        const waited = ctx.series.delta(
          `oldest:${q.queue}`,
          q.oldestReadyAgeSeconds,
          o.windowMs!,
          ctx.now,
        );
        const growing = q.readyCapped
          ? waited !== undefined && waited > 0
          : grew !== undefined && grew > 0;
        return q.ready > o.threshold && growing
          ? [{ labels: { queue: q.queue }, value: q.ready }]
          : [];
      }),
  },
  {
    name: "JobOldestReadyTooOld",
    severity: "warning",
    forMs: 60_000,
    threshold: 300,
    summary: "Queue {{ $labels.queue }}: the oldest ready job has waited {{ $value }} s",
    description:
      "A ready job of queue {{ $labels.queue }} has waited longer than the threshold to start.",
    runbook: `${RUNBOOKS}/job-backlog.md`,
    promql: (o) => `opskit_jobs_oldest_ready_age_seconds > ${o.threshold}`,
    evaluate: async (ctx, o) =>
      (await backlog(ctx))
        .filter((q) => q.oldestReadyAgeSeconds > o.threshold && !q.queue.startsWith("inbox."))
        .map((q) => ({ labels: { queue: q.queue }, value: Math.round(q.oldestReadyAgeSeconds) })),
  },
  {
    name: "JobsStuck",
    severity: "warning",
    forMs: 60_000,
    threshold: 0,
    summary: "Queue {{ $labels.queue }}: {{ $value }} jobs running past their lease",
    description:
      "Running jobs of queue {{ $labels.queue }} have an expired lease: their worker is gone or frozen. The rescuer releases them; if this persists it is not running.",
    runbook: `${RUNBOOKS}/stuck-jobs.md`,
    promql: (o) => `opskit_jobs_depth{state="stuck"} > ${o.threshold}`,
    evaluate: async (ctx, o) =>
      (await backlog(ctx))
        .filter((q) => q.stuck > o.threshold)
        .map((q) => ({ labels: { queue: q.queue }, value: q.stuck })),
  },
  {
    name: "JobsDead",
    severity: "warning",
    forMs: 0,
    threshold: 0,
    windowMs: 10 * 60_000,
    summary: "{{ $value }} jobs of {{ $labels.task }} died in the last minutes",
    description:
      "Jobs of task {{ $labels.task }} (queue {{ $labels.queue }}) used up their attempts and are dead. The alert resolves once no job has died for the window.",
    runbook: `${RUNBOOKS}/dead-jobs.md`,
    promql: (o) =>
      `sum by (task) (increase(opskit_jobs_dead_total[${prom(o.windowMs!)}])) > ${o.threshold}`,
    evaluate: async (ctx, o) =>
      (await createJobsAdmin(ctx.pool).recentDeadJobs(o.windowMs!))
        .filter((d) => d.count > o.threshold)
        .map((d) => ({ labels: { queue: d.queue, task: d.task }, value: d.count })),
  },
  {
    name: "ScheduleMissed",
    severity: "critical",
    forMs: 0,
    threshold: 0,
    summary: "Schedule {{ $labels.schedule }} did not run: its slot passed its deadline and grace",
    description:
      "The dead-man's switch of schedule {{ $labels.schedule }}: its latest slot older than its grace has not completed. This cron didn't run (or failed).",
    runbook: `${RUNBOOKS}/schedule-missed.md`,
    promql: (o) => `opskit_jobs_cron_late > ${o.threshold}`,
    evaluate: async (ctx) =>
      (await createJobsAdmin(ctx.pool).schedules(new Date(ctx.now)))
        .filter((s) => s.late)
        .map((s) => ({ labels: { schedule: s.name }, value: 1 })),
  },
];

/** The queues' backlog, read once per round for every rule that needs it. */
export function backlog(ctx: RuleContext, countCap = 1_000): Promise<QueueBacklog[]> {
  return ctx.once(`jobs.backlog.${countCap}`, () =>
    createJobsAdmin(ctx.pool).backlog({ countCap }),
  );
}

/** A duration in Prometheus' notation (`15m`, `30s`). */
export function prom(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
