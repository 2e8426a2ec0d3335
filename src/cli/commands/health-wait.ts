import path from "node:path";
import { pathToFileURL } from "node:url";
import type { SmokeResult, SmokeStep } from "../../health/index.js";
import { parseDurationFlag } from "../command-kit.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command, type Output } from "../cli-error.js";

interface Seen {
  http: number | string;
  status: string | undefined;
  version: string | undefined;
  releaseId: string | undefined;
}

export const healthWait: Command = {
  name: "health wait",
  summary: "Post-deploy check: wait until a service answers healthy (with the expected version)",
  usage: `opskit health wait URL [--expect-version V] [--timeout 60s] [--interval 1s]
                  [--smoke MODULE] [--smoke-timeout 30s] [--json]

Polls URL (a service's base URL, or its /health endpoint) until it answers
HTTP 200 with status pass or warn and, when given, version (or releaseId) V.
Prints each change in what it sees. With --smoke, then runs the service's smoke
steps (MODULE exports them, made with defineSmokeSteps from opskit/health, as
"smoke" or default) against the base URL, each within --smoke-timeout unless it
sets its own. Exit 0 healthy (and every step passed), 1 timed out or a step
failed (each failed step is named), 2 usage error.`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      "expect-version": { type: "string" },
      timeout: { type: "string", default: "60s" },
      interval: { type: "string", default: "1s" },
      smoke: { type: "string" },
      "smoke-timeout": { type: "string", default: "30s" },
      json: { type: "boolean" },
    });
    const [target] = positionals;
    if (target === undefined || positionals.length > 1)
      throw new UsageError("Give exactly one URL.");
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new UsageError(`Not a URL: ${target}`);
    }
    if (url.pathname === "/" || url.pathname === "") url.pathname = "/health";
    const timeoutMs = parseDurationFlag(values.timeout, "--timeout");
    const intervalMs = parseDurationFlag(values.interval, "--interval");
    const smokeTimeoutMs = parseDurationFlag(values["smoke-timeout"], "--smoke-timeout");
    // Loaded before polling: a wrong module is a usage error now, not after the wait.
    const smoke = values.smoke === undefined ? undefined : await loadSmokeSteps(values.smoke);
    const expect = values["expect-version"];
    const deadline = Date.now() + timeoutMs;
    let last = "";
    let seen: Seen | undefined;
    for (;;) {
      // Each request gets up to 5 s (never less than 500 ms, so a cold first
      // connection on a busy machine is not mistaken for an unhealthy service).
      seen = await probe(url, Math.min(5_000, Math.max(500, deadline - Date.now())));
      const line = describe(seen);
      if (line !== last && !values.json) io.out(`${new Date().toISOString()} ${line}`);
      last = line;
      const healthy =
        seen.http === 200 &&
        (seen.status === "pass" || seen.status === "warn") &&
        (expect === undefined || seen.version === expect || seen.releaseId === expect);
      if (healthy || Date.now() >= deadline) {
        const json = values.json ?? false;
        if (!healthy || smoke === undefined) {
          report(io, json, healthy, seen, expect, timeoutMs, smoke && null);
          return healthy ? EXIT.ok : EXIT.failure;
        }
        const outcome = await runSmoke(io, json, smoke, url, smokeTimeoutMs);
        report(io, json, healthy, seen, expect, timeoutMs, outcome);
        return outcome.ok ? EXIT.ok : EXIT.failure;
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))),
      );
    }
  },
};

async function probe(url: URL, timeoutMs: number): Promise<Seen> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    return {
      http: res.status,
      status: str(body.status),
      version: str(body.version),
      releaseId: str(body.releaseId),
    };
  } catch (error) {
    // fetch() wraps the socket error: the cause says what happened (ECONNREFUSED, bad port, …).
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      http: cause?.code ?? cause?.message ?? (error as Error).name,
      status: undefined,
      version: undefined,
      releaseId: undefined,
    };
  }
}

function describe(seen: Seen): string {
  return `http=${seen.http} status=${seen.status ?? "-"} version=${seen.version ?? "-"}${seen.releaseId ? ` releaseId=${seen.releaseId}` : ""}`;
}

/** The smoke steps MODULE exports (as `smoke`, default, or its only smoke-steps export). */
async function loadSmokeSteps(modulePath: string): Promise<readonly SmokeStep[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path.resolve(modulePath)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`Cannot load --smoke ${modulePath}: ${(error as Error).message}`);
  }
  const { isSmokeSteps } = await import("../../health/index.js");
  const found = [mod.smoke, mod.default, ...Object.values(mod)].find(isSmokeSteps);
  if (found === undefined)
    throw new UsageError(
      `${modulePath} exports no smoke steps (export defineSmokeSteps([...]) as "smoke" or default).`,
    );
  return found;
}

type SmokeOutcome = { ok: boolean; results: SmokeResult[] };

async function runSmoke(
  io: Output,
  json: boolean,
  steps: readonly SmokeStep[],
  healthUrl: URL,
  timeoutMs: number,
): Promise<SmokeOutcome> {
  const { runSmokeSteps } = await import("../../health/index.js");
  // The steps' paths are relative to the service's base URL, not to /health.
  const baseUrl = new URL("/", healthUrl);
  if (!json) io.out(`healthy; running ${steps.length} smoke step(s) against ${baseUrl.origin}`);
  return runSmokeSteps(steps, {
    baseUrl,
    timeoutMs,
    onResult: (r) => {
      if (json) return;
      io.out(
        `  ${r.ok ? "ok  " : "FAIL"} ${r.name} (${r.durationMs} ms)${r.ok ? "" : `: ${r.error}`}`,
      );
      for (const note of r.notes) io.out(`       ${note}`);
    },
  });
}

function report(
  io: Output,
  json: boolean,
  healthy: boolean,
  seen: Seen,
  expect: string | undefined,
  timeoutMs: number,
  smoke: SmokeOutcome | null | undefined,
) {
  const failed = smoke?.results.filter((r) => !r.ok).map((r) => r.name) ?? [];
  if (json) {
    io.out(
      JSON.stringify({
        ok: healthy && failed.length === 0,
        expectVersion: expect ?? null,
        seen,
        ...(smoke === undefined ? {} : { smoke }),
      }),
    );
  } else if (healthy && failed.length > 0) {
    io.err(`smoke failed: ${failed.join(", ")}`);
  } else if (healthy) {
    io.out(
      `healthy${expect ? ` at version ${expect}` : ""}${smoke ? `; ${smoke.results.length} smoke step(s) passed` : ""}`,
    );
  } else {
    io.err(
      `not healthy${expect ? ` at version ${expect}` : ""} after ${timeoutMs / 1000} s; last seen: ${describe(seen)}`,
    );
  }
}
