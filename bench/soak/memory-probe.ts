/**
 * A soak-only preload (`node --import tsx --import ./bench/soak/memory-probe.ts`)
 * that lets the soak's sampler read a demo process's V8 memory: every
 * `SOAK_MEMORY_PROBE_MS` (default 2000) it writes `process.memoryUsage()`
 * (rss, heapUsed, heapTotal, external, arrayBuffers) as one JSON object to
 * `<SOAK_MEMORY_PROBE_DIR>/memory-<pid>.json`, replacing the file atomically
 * (written beside it, then renamed), so a reader never sees half a write.
 *
 * It reads the numbers the process itself has; it forces no GC (a forced GC
 * would hide a heap that only a full collection shrinks and change what is
 * measured). The timer is unref'd: it never keeps a process alive.
 */
import { renameSync, writeFileSync } from "node:fs";
import path from "node:path";

const dir = process.env.SOAK_MEMORY_PROBE_DIR;
if (dir) {
  const everyMs = Number(process.env.SOAK_MEMORY_PROBE_MS ?? 2000);
  const file = path.join(dir, `memory-${process.pid}.json`);
  const tmp = `${file}.tmp`;
  const write = () => {
    try {
      const m = process.memoryUsage();
      writeFileSync(
        tmp,
        JSON.stringify({
          t: Date.now(),
          rss: m.rss,
          heapUsed: m.heapUsed,
          heapTotal: m.heapTotal,
          external: m.external,
          arrayBuffers: m.arrayBuffers,
        }),
      );
      renameSync(tmp, file);
    } catch {
      // the folder is gone (the soak ended and removed its work folder): nothing to report to
    }
  };
  write();
  setInterval(write, everyMs > 0 ? everyMs : 2000).unref();
}
