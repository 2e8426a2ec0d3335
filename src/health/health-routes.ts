import { Hono, type Context } from "hono";
import type { HealthStatus } from "./health-check.js";
import { HEALTH_MEDIA_TYPE, healthDocument, type HealthIdentity } from "./health-document.js";
import type { HealthSnapshot, NotReadyReason } from "./health-snapshot.js";
import type { HealthState } from "./health-state.js";

/** The `/readyz` body. */
export interface ReadinessBody {
  status: "pass" | "fail";
  state: HealthState;
  reason?: NotReadyReason;
  /** Age of the oldest cached check result; null before the first round. */
  cacheAgeMs: number | null;
  checks: Record<
    string,
    {
      status: HealthStatus;
      critical?: false;
      observedValue?: number;
      observedUnit?: string;
      output?: string;
      ageMs?: number;
    }
  >;
}

function readinessBody(snapshot: HealthSnapshot): ReadinessBody {
  const checks: ReadinessBody["checks"] = {};
  for (const c of snapshot.checks) {
    checks[c.key] = {
      status: c.status,
      ...(c.slot.critical ? {} : { critical: false as const }),
      ...(c.result?.observedValue === undefined ? {} : { observedValue: c.result.observedValue }),
      ...(c.result?.observedUnit === undefined ? {} : { observedUnit: c.result.observedUnit }),
      ...(c.output === undefined ? {} : { output: c.output }),
      ...(c.ageMs === undefined ? {} : { ageMs: Math.round(c.ageMs) }),
    };
  }
  return {
    status: snapshot.ready ? "pass" : "fail",
    state: snapshot.state,
    ...(snapshot.reason === undefined ? {} : { reason: snapshot.reason }),
    cacheAgeMs: snapshot.cacheAgeMs === undefined ? null : Math.round(snapshot.cacheAgeMs),
    checks,
  };
}

function healthJson(c: Context, body: unknown, status: 200 | 503): Response {
  // Probe answers must never be served from a cache between the prober and us.
  return c.body(JSON.stringify(body), status, {
    "content-type": HEALTH_MEDIA_TYPE,
    "cache-control": "no-store",
  });
}

export interface HealthRoutesOptions {
  snapshot(): HealthSnapshot;
  identity: HealthIdentity;
  uptimeSeconds(): number;
}

/**
 * The three probe routes. None of them does I/O: `/livez` answers from the
 * process alone, `/readyz` and `/health` from the cached check results.
 *
 * @example
 * const app = createHealthRoutes({ snapshot, identity: { version: "1.0.0" }, uptimeSeconds: () => process.uptime() });
 * await app.request("/livez"); // 200 {"status":"pass"}
 */
export function createHealthRoutes(options: HealthRoutesOptions): Hono {
  const app = new Hono();
  // Liveness says only "this process can answer": it stays 200 while draining,
  // because restarting a draining pod would cut its in-flight work.
  app.get("/livez", (c) => healthJson(c, { status: "pass" }, 200));
  app.get("/readyz", (c) => {
    const snapshot = options.snapshot();
    return healthJson(c, readinessBody(snapshot), snapshot.ready ? 200 : 503);
  });
  app.get("/health", (c) => {
    const snapshot = options.snapshot();
    const doc = healthDocument(snapshot, options.identity, options.uptimeSeconds());
    return healthJson(c, doc, doc.status === "fail" ? 503 : 200);
  });
  return app;
}
