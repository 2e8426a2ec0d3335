/**
 * The soak's memory tools (bench/soak): the probe a demo process runs to
 * report its V8 memory, the slopes and the sentence that says which memory
 * grows, and the heap-snapshot comparison that finds what grows.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import v8 from "node:v8";
import { byClass, growingObjects, readHeap } from "../bench/soak/heap-diff.js";
import { memorySlopes, whatGrows } from "../bench/soak/memory-slopes.js";
import { readProbe, type ProcessSample } from "../bench/soak/sampler.js";
import { waitUntil } from "../src/testing/index.js";

const root = path.resolve(import.meta.dirname, "..");

test("the memory probe reports process.memoryUsage() of the process it runs in", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "opskit-probe-"));
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--import",
      "./bench/soak/memory-probe.ts",
      "-e",
      "setTimeout(() => {}, 60_000)",
    ],
    {
      cwd: root,
      env: { PATH: process.env.PATH, SOAK_MEMORY_PROBE_DIR: dir, SOAK_MEMORY_PROBE_MS: "100" },
      stdio: "ignore",
    },
  );
  try {
    let got: Awaited<ReturnType<typeof readProbe>>;
    await waitUntil(async () => (got = await readProbe(dir, child.pid!)) !== undefined, "probe");
    assert.ok(got!.heapUsedKb > 0 && got!.heapTotalKb >= got!.heapUsedKb, JSON.stringify(got));
    assert.ok(got!.externalKb >= got!.arrayBuffersKb);
    // Nothing for another pid; a process without the probe has no figures.
    assert.equal(await readProbe(dir, child.pid! + 1_000_000), undefined);
  } finally {
    child.kill("SIGKILL");
    await once(child, "exit");
    await rm(dir, { recursive: true, force: true });
  }
});

const sample = (minute: number, rssMb: number, heapUsedMb: number): ProcessSample => ({
  at: minute * 60_000,
  name: "api-2",
  pid: 1,
  rssKb: rssMb * 1024,
  fds: 30,
  v8: {
    heapUsedKb: heapUsedMb * 1024,
    heapTotalKb: 64 * 1024,
    externalKb: 4 * 1024,
    arrayBuffersKb: 512,
    ageMs: 0,
  },
});

test("memory slopes per kind, and the sentence says which memory grows", () => {
  // RSS +2 MB / 10 min, heap in use flat: V8 sizing or native memory, not kept objects.
  const rssOnly = memorySlopes(Array.from({ length: 31 }, (_, m) => sample(m, 140 + m / 5, 30)));
  assert.ok(Math.abs(rssOnly.rss! - 2) < 1e-9, String(rssOnly.rss));
  assert.equal(rssOnly.heapUsed, 0);
  assert.match(whatGrows(rssOnly, 1), /RSS grows outside V8's heap while the heap in use is flat/);
  // RSS and heapTotal grow, heap used flat: V8 reserving more heap.
  const sizing = memorySlopes(
    Array.from({ length: 31 }, (_, m) => {
      const x = sample(m, 140 + m / 5, 30);
      return { ...x, v8: { ...x.v8!, heapTotalKb: (40 + m / 6) * 1024 } };
    }),
  );
  assert.match(whatGrows(sizing, 1), /V8 sizing its heap/);
  // The heap in use grows 3 MB / 10 min: something is kept.
  const heap = memorySlopes(
    Array.from({ length: 31 }, (_, m) => sample(m, 140 + m / 5, 30 + m * 0.3)),
  );
  assert.ok(Math.abs(heap.heapUsed! - 3) < 1e-9, String(heap.heapUsed));
  assert.match(whatGrows(heap, 1), /the V8 heap in use grows/);
  // Flat: nothing grows. Without probe figures the V8 slopes are n/a.
  const flat = memorySlopes(Array.from({ length: 31 }, (_, m) => sample(m, 140, 30)));
  assert.match(whatGrows(flat, 1), /nothing grows/);
  const noProbe = memorySlopes([0, 1, 2].map((m) => ({ ...sample(m, 140, 30), v8: undefined })));
  assert.equal(noProbe.heapUsed, null);
  assert.match(whatGrows(noProbe, 1), /no V8 figures/);
});

/** What the heap diff must find: a Map that gained entries between two snapshots. */
const kept = { byId: new Map<string, { id: number; note: string }>() };

test("the heap diff finds a growing Map and the path that keeps it", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "opskit-heap-"));
  try {
    for (let i = 0; i < 100; i++) kept.byId.set(`job-${i}`, { id: i, note: `n${i}` });
    const early = v8.writeHeapSnapshot(path.join(dir, "early.heapsnapshot"));
    for (let i = 100; i < 20_100; i++) {
      kept.byId.set(`job-${i}`, { id: i, note: `a note that takes room ${i}` });
    }
    const late = v8.writeHeapSnapshot(path.join(dir, "late.heapsnapshot"));
    const [a, b] = await Promise.all([readHeap(early), readHeap(late)]);
    const top = growingObjects(a, b, 5);
    const map = top.find((o) => o.key === "Map");
    assert.ok(map, `a Map among the top growers: ${top.map((o) => o.key).join(", ")}`);
    // 20,000 entries, each an object and two strings: well over a megabyte more.
    assert.ok(map.retained[1] - map.retained[0] > 1_000_000, JSON.stringify(map.retained));
    // The path names the field and the variable that keep it: `kept.byId`.
    assert.match(map.path, /^Map ←byId ← Object ←kept/);
    const objects = byClass(a, b).find((r) => r.key === "Object")!;
    assert.ok(objects.count[1] - objects.count[0] >= 20_000, JSON.stringify(objects.count));
  } finally {
    kept.byId.clear();
    await rm(dir, { recursive: true, force: true });
  }
});
