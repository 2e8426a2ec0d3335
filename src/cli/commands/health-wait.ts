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
  usage: `opskit health wait URL [--expect-version V] [--timeout 60s] [--interval 1s] [--json]

Polls URL (a service's base URL, or its /health endpoint) until it answers
HTTP 200 with status pass or warn and, when given, version (or releaseId) V.
Prints each change in what it sees. Exit 0 healthy, 1 timed out.`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      "expect-version": { type: "string" },
      timeout: { type: "string", default: "60s" },
      interval: { type: "string", default: "1s" },
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
        report(io, values.json ?? false, healthy, seen, expect, timeoutMs);
        return healthy ? EXIT.ok : EXIT.failure;
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

function report(
  io: Output,
  json: boolean,
  healthy: boolean,
  seen: Seen,
  expect: string | undefined,
  timeoutMs: number,
) {
  if (json) {
    io.out(JSON.stringify({ ok: healthy, expectVersion: expect ?? null, seen }));
  } else if (healthy) {
    io.out(`healthy${expect ? ` at version ${expect}` : ""}`);
  } else {
    io.err(
      `not healthy${expect ? ` at version ${expect}` : ""} after ${timeoutMs / 1000} s; last seen: ${describe(seen)}`,
    );
  }
}
