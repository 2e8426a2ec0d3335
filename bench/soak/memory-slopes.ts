/**
 * The slope of each kind of a process's memory over the soak (least squares,
 * MB per 10 minutes), and which of them grows: resident memory (RSS) that
 * grows while V8's heap in use stays flat is the heap being sized up or
 * native memory; a heap in use that grows is something the program keeps.
 */
import { slope, type ProcessSample } from "./sampler.js";

export const MEMORY_KINDS = [
  "rss",
  "rssAnon",
  "rssFile",
  "heapUsed",
  "heapTotal",
  "external",
  "arrayBuffers",
] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];

/** MB per 10 minutes for each kind; null without enough samples (or without the probe's figures). */
export type MemorySlopes = Record<MemoryKind, number | null>;

/** The samples' value of `kind`, in kB (undefined when the sample has no probe figures). */
export function memoryKb(s: ProcessSample, kind: MemoryKind): number | undefined {
  switch (kind) {
    case "rss":
      return s.rssKb;
    case "rssAnon":
      return s.rssAnonKb;
    case "rssFile":
      return s.rssFileKb;
    case "heapUsed":
      return s.v8?.heapUsedKb;
    case "heapTotal":
      return s.v8?.heapTotalKb;
    case "external":
      return s.v8?.externalKb;
    case "arrayBuffers":
      return s.v8?.arrayBuffersKb;
  }
}

export function memorySlopes(samples: readonly ProcessSample[]): MemorySlopes {
  const out = {} as MemorySlopes;
  for (const kind of MEMORY_KINDS) {
    const points = samples.flatMap((s) => {
      const y = memoryKb(s, kind);
      return y === undefined ? [] : [{ x: s.at, y }];
    });
    const perMs = slope(points);
    out[kind] = perMs === undefined ? null : (perMs * 600_000) / 1024;
  }
  return out;
}

/** A sentence naming what grows at or above `limitMb` per 10 min, and what stays flat. */
export function whatGrows(s: MemorySlopes, limitMb: number): string {
  const fmt = (k: MemoryKind) => `${k} ${s[k] == null ? "n/a" : s[k].toFixed(2)}`;
  const growing = MEMORY_KINDS.filter((k) => s[k] != null && s[k] >= limitMb);
  const all = MEMORY_KINDS.map(fmt).join(", ");
  if (s.heapUsed === null) return `${all} (MB / 10 min; no V8 figures)`;
  if (growing.length === 0) return `${all} (MB / 10 min): nothing grows`;
  const heapGrows = s.heapUsed >= limitMb;
  const reading = heapGrows
    ? "the V8 heap in use grows: objects are kept (see the heap snapshots)"
    : s.rss !== null && s.rss >= limitMb
      ? (s.external ?? 0) >= limitMb
        ? "RSS and external (native) memory grow while the heap in use is flat"
        : s.rssFile !== null && s.rssAnon !== null && s.rssFile >= s.rssAnon
          ? "RSS grows in file-backed pages (the binary's code paged in) while the heap in use is flat"
          : (s.heapTotal ?? 0) >= limitMb
            ? "RSS grows with V8's reserved heap (heapTotal) while the heap in use is flat: V8 sizing its heap"
            : "RSS grows outside V8's heap while the heap in use is flat: native memory (malloc)"
      : "the heap in use is flat";
  return `${all} (MB / 10 min): ${reading}`;
}
