import type { ComponentType, HealthStatus } from "./health-check.js";
import type { HealthSnapshot } from "./health-snapshot.js";

/** The media type of draft-inadarei-api-health-check-06. */
export const HEALTH_MEDIA_TYPE = "application/health+json";

/** One value of a `checks` entry in the draft. */
export interface HealthCheckEntry {
  componentId?: string;
  componentType: ComponentType;
  observedValue?: number;
  observedUnit?: string;
  status: HealthStatus;
  /** ISO 8601 time of the observation; absent while a check has not run yet. */
  time?: string;
  output?: string;
}

/** The `/health` body (draft-inadarei-api-health-check-06). */
export interface HealthDocument {
  status: HealthStatus;
  version?: string;
  releaseId?: string;
  notes?: string[];
  /** Why the status is not pass; omitted on pass as the draft asks. */
  output?: string;
  serviceId?: string;
  description?: string;
  checks: Record<string, HealthCheckEntry[]>;
}

/** Service identity shown on `/health`. */
export interface HealthIdentity {
  version?: string;
  releaseId?: string;
  serviceId?: string;
  description?: string;
  notes?: string[];
}

function summary(snapshot: HealthSnapshot): string | undefined {
  if (snapshot.status === "pass") return undefined;
  if (snapshot.reason === "starting") return "starting: startup work has not finished";
  if (snapshot.reason === "shutting_down") return "shutting_down: the service is draining";
  const off = snapshot.checks
    .filter((c) => c.status !== "pass")
    .map((c) => `${c.key}: ${c.output ?? c.status}`);
  return off.join("; ");
}

/**
 * Builds the `/health` body from a snapshot, adding the live `uptime` check
 * (componentType `system`, seconds) as in the draft's own example.
 *
 * @example
 * const doc = healthDocument(snapshot, { version: "1.4.0" }, process.uptime());
 * doc.checks["postgres:responseTime"]?.[0]?.status; // "pass"
 */
export function healthDocument(
  snapshot: HealthSnapshot,
  identity: HealthIdentity,
  uptimeSeconds: number,
): HealthDocument {
  const checks: Record<string, HealthCheckEntry[]> = {};
  for (const c of snapshot.checks) {
    const { check } = c.slot;
    checks[c.key] = [
      {
        ...(check.componentId === undefined ? {} : { componentId: check.componentId }),
        componentType: check.componentType ?? "component",
        ...(c.result?.observedValue === undefined ? {} : { observedValue: c.result.observedValue }),
        ...(c.result?.observedUnit === undefined ? {} : { observedUnit: c.result.observedUnit }),
        // The component's own status; a non-critical failure only turns the overall status to warn.
        status: c.status,
        ...(c.result === undefined ? {} : { time: new Date(c.result.time).toISOString() }),
        ...(c.output === undefined ? {} : { output: c.output }),
      },
    ];
  }
  checks.uptime = [
    {
      componentType: "system",
      observedValue: Math.round(uptimeSeconds * 1000) / 1000,
      observedUnit: "s",
      status: "pass",
      time: new Date(snapshot.now).toISOString(),
    },
  ];
  const output = summary(snapshot);
  return {
    status: snapshot.status,
    ...(identity.version === undefined ? {} : { version: identity.version }),
    ...(identity.releaseId === undefined ? {} : { releaseId: identity.releaseId }),
    ...(identity.notes === undefined || identity.notes.length === 0
      ? {}
      : { notes: identity.notes }),
    ...(output === undefined ? {} : { output }),
    ...(identity.serviceId === undefined ? {} : { serviceId: identity.serviceId }),
    ...(identity.description === undefined ? {} : { description: identity.description }),
    checks,
  };
}
