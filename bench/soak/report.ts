/**
 * The soak's report: one JSON file with everything measured, a Markdown
 * table of the invariants and figures, and two SVG charts (throughput and
 * RSS over time, chaos events as dashed lines), under bench/results/soak/.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ChaosEvent } from "./chaos.js";
import type { CheckFacts, Invariant } from "./invariants.js";
import type { LoadRecord } from "./load.js";
import type { LogSummary } from "./log-summary.js";
import { MEMORY_KINDS, memoryKb, whatGrows } from "./memory-slopes.js";
import type { HeapSnapshotRecord } from "./run.js";
import type { ConnectionSample, ProcessSample } from "./sampler.js";
import { lineChart, type Series } from "./svg-chart.js";

export interface SoakReport {
  ok: boolean;
  startedAt: string;
  minutes: number;
  seed: number;
  /** False for a run without disruptions (SOAK_CHAOS=off). */
  chaosOn: boolean;
  /** ms after the start before memory is judged (older reports: 5 min). */
  warmupMs?: number;
  /** Heap snapshots the processes were asked for (SOAK_HEAP_SNAPSHOTS), with their files. */
  heapSnapshots: HeapSnapshotRecord[];
  machine: {
    cpus: number;
    loadAverage: number[];
    node: string;
    postgres: string;
    pgbouncer: string;
  };
  load: {
    sent: number;
    acked: number;
    byKind: Record<string, { sent: number; acked: number }>;
    unackedAtEnd: number;
  };
  chaos: ChaosEvent[];
  settleMs: number;
  drainMs: number;
  facts: CheckFacts;
  invariants: Invariant[];
  samples: ProcessSample[];
  connections: ConnectionSample[];
  /** What each process logged at warn and above. */
  logs: LogSummary[];
}

/** Acknowledged requests per second in `bucketMs` buckets, from the load log. */
export function throughput(load: LoadRecord[], startedAt: number, bucketMs: number): Series[] {
  const kinds = ["webhook", "api-create", "api-read"] as const;
  const end = Math.max(0, ...load.map((r) => r.t - startedAt));
  const buckets = Math.floor(end / bucketMs) + 1;
  return [
    ...kinds.map((kind) => {
      const counts = new Array<number>(buckets).fill(0);
      for (const r of load) {
        if (r.kind === kind && r.acked && r.t >= startedAt) {
          counts[Math.floor((r.t - startedAt) / bucketMs)]! += 1;
        }
      }
      return {
        name: `${kind} acked/s`,
        points: counts.map((n, i) => ({ x: (i * bucketMs) / 60_000, y: n / (bucketMs / 1000) })),
      };
    }),
    {
      name: "not acked/s",
      points: Array.from({ length: buckets }, (_, i) => ({
        x: (i * bucketMs) / 60_000,
        y:
          load.filter(
            (r) => !r.acked && r.t >= startedAt && Math.floor((r.t - startedAt) / bucketMs) === i,
          ).length /
          (bucketMs / 1000),
      })),
    },
  ];
}

export async function writeReport(
  dir: string,
  report: SoakReport,
  load: LoadRecord[],
  startedAtMs: number,
): Promise<{ json: string; markdown: string; svgs: string[] }> {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, "soak.json");
  const markdown = path.join(dir, "soak.md");
  const throughputSvg = path.join(dir, "throughput.svg");
  const rssSvg = path.join(dir, "rss.svg");
  const heapSvg = path.join(dir, "heap.svg");
  const markers = report.chaos.map((e) => ({ x: e.at / 60_000, label: e.kind }));
  // Heap snapshots (one time for all processes) as markers too: each is a step in RSS.
  const snapshotMarkers = [
    ...new Set(report.heapSnapshots.map((h) => Math.round(h.at / 1000))),
  ].map((s) => ({ x: s / 60, label: "heap snapshot" }));
  const bucketMs = report.minutes >= 10 ? 30_000 : 10_000;
  await writeFile(
    throughputSvg,
    lineChart({
      title: `Soak throughput (${report.minutes} min; dashed: disruptions)`,
      xLabel: "minutes",
      yLabel: "requests per second",
      series: throughput(load, startedAtMs, bucketMs),
      markers,
    }),
  );
  const names = [...new Set(report.samples.map((s) => s.name))];
  await writeFile(
    rssSvg,
    lineChart({
      title: "Resident memory (VmRSS) per process; a restarted one starts again",
      xLabel: "minutes",
      yLabel: "MB",
      series: names.map((name) => ({
        name,
        points: report.samples
          .filter((s) => s.name === name)
          .map((s) => ({ x: s.at / 60_000, y: s.rssKb / 1024 })),
      })),
      markers: [...markers, ...snapshotMarkers],
    }),
  );
  // V8's heap of the processes judged for memory: in use (solid series) and reserved (total).
  const steady = Object.keys(report.facts.memorySlopes);
  await writeFile(
    heapSvg,
    lineChart({
      title: "V8 heap used and heap total (process.memoryUsage()), steady processes",
      xLabel: "minutes",
      yLabel: "MB",
      series: steady.flatMap((name) =>
        (["heapUsed", "heapTotal"] as const).map((kind) => ({
          name: `${name} ${kind}`,
          points: report.samples
            .filter((s) => s.name === name && s.v8)
            .map((s) => ({
              x: s.at / 60_000,
              y: (kind === "heapUsed" ? s.v8!.heapUsedKb : s.v8!.heapTotalKb) / 1024,
            })),
        })),
      ),
      markers: [...markers, ...snapshotMarkers],
    }),
  );
  await writeFile(json, JSON.stringify(report, null, 2) + "\n");
  await writeFile(markdown, renderMarkdown(report));
  return { json, markdown, svgs: [throughputSvg, rssSvg, heapSvg] };
}

export function renderMarkdown(report: SoakReport): string {
  const f = report.facts;
  const lines = [
    `# Soak: ${report.ok ? "all invariants hold" : "INVARIANTS FAILED"}`,
    "",
    `${report.minutes} min of load ${report.chaosOn ? "and chaos" : "without chaos (SOAK_CHAOS=off)"} from ${report.startedAt} (seed ${report.seed}); ` +
      `${report.machine.cpus} CPUs, load average ${report.machine.loadAverage.map((n) => n.toFixed(2)).join(" ")} at the end; ` +
      `${report.machine.node}, ${report.machine.postgres}, ${report.machine.pgbouncer}.`,
    "",
    "| invariant | result | measured |",
    "| --- | --- | --- |",
    ...report.invariants.map(
      (i) =>
        `| ${i.name} | ${i.skipped ? "n/a" : i.ok ? "ok" : "**FAILED**"} | ${i.detail.replaceAll("|", "\\|")} |`,
    ),
    "",
    "| figure | value |",
    "| --- | --- |",
    `| requests sent / acknowledged | ${report.load.sent} / ${report.load.acked} |`,
    ...Object.entries(report.load.byKind).map(
      ([kind, v]) => `| ${kind} sent / acknowledged | ${v.sent} / ${v.acked} |`,
    ),
    `| not acknowledged at the end (after retries) | ${report.load.unackedAtEnd} |`,
    `| orders | ${f.orders} |`,
    `| (order, SKU) pushes expected / raw / repeated | ${f.expectedPushes} / ${f.rawPushes} / ${f.duplicatePushes} |`,
    `| job retries / lost leases / dead jobs | ${f.retries} / ${f.leaseLost} / ${f.deadJobs} |`,
    `| disruptions' bound on repeated runs | ${f.disruptionBound} |`,
    ...Object.entries(f.memorySlopes).map(
      ([name, s]) =>
        `| ${name} RSS slope after warm-up (MB / 10 min) | ${s.rss === null ? "n/a" : s.rss.toFixed(2)} |`,
    ),
    ...Object.entries(f.memorySlopes).map(
      ([name, s]) =>
        `| ${name} V8 heap used slope after warm-up (MB / 10 min) | ${s.heapUsed === null ? "n/a" : s.heapUsed.toFixed(2)} |`,
    ),
    `| settle (retrying unacknowledged) / drain (queue empty) | ${Math.round(report.settleMs / 1000)} s / ${Math.round(report.drainMs / 1000)} s |`,
    "",
    "| at (s) | disruption | back after (s) |",
    "| --- | --- | --- |",
    ...report.chaos.map(
      (e) =>
        `| ${Math.round(e.at / 1000)} | ${e.kind}${e.error ? ` (error: ${e.error})` : ""} | ${(e.tookMs / 1000).toFixed(1)} |`,
    ),
    "",
    "| process | log lines by level | most frequent warn+ messages |",
    "| --- | --- | --- |",
    ...report.logs.map(
      (l) =>
        `| ${l.process} | ${Object.entries(l.levels)
          .map(([k, n]) => `${k} ${n}`)
          .join(", ")} | ${l.top
          .slice(0, 5)
          .map((t) => `${t.level} ×${t.n}: ${t.msg}`.replaceAll("|", "\\|"))
          .join("<br>")} |`,
    ),
    "",
    "Memory of the judged processes after warm-up: slope (MB / 10 min), and (in parentheses) the first and last sample (MB).",
    "",
    `| process | ${MEMORY_KINDS.join(" | ")} | what grows |`,
    `| --- | ${MEMORY_KINDS.map(() => "---").join(" | ")} | --- |`,
    ...Object.entries(f.memorySlopes).map(([name, s]) => {
      const warmupMs = report.warmupMs ?? 5 * 60_000;
      const mine = report.samples.filter(
        (x) => x.name === name && x.pid === lastPid(report, name) && x.at >= warmupMs,
      );
      const first = mine.find((x) => x.v8) ?? mine[0];
      const last = mine.at(-1);
      const cell = (k: (typeof MEMORY_KINDS)[number]) => {
        const v = (x: ProcessSample | undefined) => (x === undefined ? undefined : memoryKb(x, k));
        const a = v(first);
        const b = v(last);
        const span = a === undefined || b === undefined ? "" : ` (${mb(a)} → ${mb(b)})`;
        return `${s[k] == null ? "n/a" : s[k].toFixed(2)}${span}`;
      };
      return `| ${name} | ${MEMORY_KINDS.map(cell).join(" | ")} | ${whatGrows(s, 1).split(": ").slice(1).join(": ") || "n/a"} |`;
    }),
    "",
    ...(report.heapSnapshots.length
      ? [
          "| heap snapshot of | at (min) | file |",
          "| --- | --- | --- |",
          ...report.heapSnapshots.map(
            (h) =>
              `| ${h.process} (pid ${h.pid}) | ${(h.at / 60_000).toFixed(1)} | ${h.files?.length ? h.files.map((x) => path.basename(x)).join(", ") : "not written"} |`,
          ),
          "",
        ]
      : []),
    "![throughput](throughput.svg) ![rss](rss.svg) ![heap](heap.svg)",
    "",
  ];
  return lines.join("\n");
}

const mb = (kb: number) => (kb / 1024).toFixed(1);

/** The pid of the process's last sample (the one whose memory is judged). */
function lastPid(report: SoakReport, name: string): number | undefined {
  return report.samples.filter((s) => s.name === name).at(-1)?.pid;
}
