import { OpskitError } from "../errors.js";

/** What a smoke step gets: the deployed service's address and helpers to call it. */
export interface SmokeContext {
  /** The service's base URL (what `opskit health wait` was given, without `/health`). */
  baseUrl: URL;
  /**
   * Calls the service and checks the answer: `path` is relative to the base URL, `body`
   * is sent as JSON, `token` as a bearer token; the status must be `expect` (default 200),
   * else it throws with the method, path, status and the start of the body. Returns the
   * parsed JSON body (undefined when the body is not JSON).
   */
  request<T = unknown>(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string; expect?: number | readonly number[] },
  ): Promise<T>;
  /** fetch relative to the base URL, aborted with the step (for what `request` does not cover). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The environment of the process running the steps: where the steps' credentials come from. */
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted when the step runs out of time. */
  signal: AbortSignal;
  /** A line printed under the step's result (an id it made, a count it saw). */
  note(text: string): void;
}

/** One post-deploy smoke step: a short real use of the service that must succeed. */
export interface SmokeStep {
  name: string;
  /** The step's time limit; default: the runner's (30 s). */
  timeoutMs?: number;
  /** Throws (or rejects) to fail, with a message that says what was wrong. */
  run(ctx: SmokeContext): Promise<void> | void;
}

export interface SmokeResult {
  name: string;
  ok: boolean;
  durationMs: number;
  /** Why it failed. */
  error?: string;
  notes: string[];
}

const SMOKE = Symbol.for("opskit.smokeSteps");

/**
 * A service's post-deploy smoke steps, checked: each has a name (unique) and a run
 * function. Export the result from a module (as `smoke` or default) and give it to
 * `opskit health wait URL --smoke MODULE`, which runs the steps once the service is
 * healthy (docs/health.md, Smoke steps).
 *
 * @example
 * export const smoke = defineSmokeSteps([
 *   { name: "list orders", run: async (ctx) => void (await ctx.request("GET", "/api/orders")) },
 * ]);
 */
export function defineSmokeSteps(steps: readonly SmokeStep[]): readonly SmokeStep[] {
  const seen = new Set<string>();
  for (const step of steps) {
    if (typeof step?.name !== "string" || step.name.trim() === "" || typeof step.run !== "function")
      throw new OpskitError(
        "HEALTH_CONFIG_INVALID",
        "A smoke step needs a name and a run function.",
      );
    if (seen.has(step.name))
      throw new OpskitError("HEALTH_CONFIG_INVALID", `Two smoke steps are named ${step.name}.`);
    if (step.timeoutMs !== undefined && !(step.timeoutMs > 0))
      throw new OpskitError(
        "HEALTH_CONFIG_INVALID",
        `Smoke step ${step.name}: timeoutMs must be > 0.`,
      );
    seen.add(step.name);
  }
  return Object.freeze(Object.defineProperty([...steps], SMOKE, { value: true }));
}

/** True for what `defineSmokeSteps` returned (also when loaded through another copy of opskit). */
export function isSmokeSteps(value: unknown): value is readonly SmokeStep[] {
  return Array.isArray(value) && (value as unknown as Record<symbol, unknown>)[SMOKE] === true;
}

/**
 * Runs the steps in order against `baseUrl`, each within its time limit. A failed step
 * does not stop the others (they are independent checks); `ok` is false when any failed.
 *
 * @example
 * const { ok, results } = await runSmokeSteps(smoke, { baseUrl: new URL("https://bakery.example.com") });
 */
export async function runSmokeSteps(
  steps: readonly SmokeStep[],
  options: {
    baseUrl: URL;
    env?: Readonly<Record<string, string | undefined>>;
    timeoutMs?: number;
    onResult?: (result: SmokeResult) => void;
  },
): Promise<{ ok: boolean; results: SmokeResult[] }> {
  const results: SmokeResult[] = [];
  for (const step of steps) {
    const result = await runStep(
      step,
      options.baseUrl,
      options.env ?? process.env,
      step.timeoutMs ?? options.timeoutMs ?? 30_000,
    );
    results.push(result);
    options.onResult?.(result);
  }
  return { ok: results.every((r) => r.ok), results };
}

async function runStep(
  step: SmokeStep,
  baseUrl: URL,
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs: number,
): Promise<SmokeResult> {
  const started = performance.now();
  const notes: string[] = [];
  const controller = new AbortController();
  const fetchAt = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, baseUrl), { ...init, signal: controller.signal });
  const ctx: SmokeContext = {
    baseUrl,
    env,
    signal: controller.signal,
    note: (text) => void notes.push(text),
    fetch: fetchAt,
    async request<T>(
      method: string,
      path: string,
      o: { body?: unknown; token?: string; expect?: number | readonly number[] } = {},
    ) {
      const res = await fetchAt(path, {
        method,
        headers: {
          accept: "application/json",
          ...(o.token === undefined ? {} : { authorization: `Bearer ${o.token}` }),
          ...(o.body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
      });
      const text = await res.text();
      const expected = o.expect === undefined ? [200] : [o.expect].flat();
      if (!expected.includes(res.status)) {
        throw new Error(
          `${method} ${path}: expected HTTP ${expected.join(" or ")}, got ${res.status}: ${text.slice(0, 200)}`,
        );
      }
      try {
        return JSON.parse(text) as T;
      } catch {
        return undefined as T;
      }
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(() => step.run(ctx)), timedOut]);
    return { name: step.name, ok: true, durationMs: elapsed(started), notes };
  } catch (error) {
    // fetch() says "fetch failed" and keeps the reason (ECONNREFUSED, …) in its cause.
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const message = `${error instanceof Error ? error.message : String(error)}${cause ? ` (${cause})` : ""}`;
    return { name: step.name, ok: false, durationMs: elapsed(started), error: message, notes };
  } finally {
    clearTimeout(timer);
  }
}

const elapsed = (started: number) => Math.round(performance.now() - started);
