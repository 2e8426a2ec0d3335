/** A check's status, in the words of draft-inadarei-api-health-check-06. */
export type HealthStatus = "pass" | "warn" | "fail";

/** The draft's predefined component types. */
export type ComponentType = "datastore" | "component" | "system";

/** What a check may return instead of nothing; every field is optional. */
export interface HealthCheckOutcome {
  observedValue?: number;
  observedUnit?: string;
  /** Default "pass". */
  status?: HealthStatus;
  /** Shown on warn/fail; passed through the `sanitize` hook like any error message. */
  output?: string;
}

/**
 * A dependency check that the health runner calls in the background. It must
 * honour `signal`: when the check's timeout passes the signal aborts, and the
 * check should stop its work and release what it holds (a pool client, a
 * socket). A check that throws reports `fail` with a safe message.
 *
 * @example
 * const cache: HealthCheck = {
 *   name: "redis",
 *   componentType: "datastore",
 *   run: (signal) => redis.ping({ signal }).then(() => undefined),
 * };
 */
export interface HealthCheck {
  /** The component, e.g. "postgres"; the first half of the `checks` key. */
  name: string;
  /** Default "responseTime"; the second half of the `checks` key. */
  measurement?: string;
  /** Default "component". */
  componentType?: ComponentType;
  /** Identifies one instance of the component (e.g. a host name); never a URL with credentials. */
  componentId?: string;
  /** Default true: a failure fails readiness and /health. False: a failure only warns. */
  critical?: boolean;
  /** Overrides the health-wide timeout (default 500 ms). */
  timeoutMs?: number;
  run(signal: AbortSignal): Promise<void | HealthCheckOutcome>;
}

/** One run of a check, as cached by the runner. */
export interface CheckResult {
  status: HealthStatus;
  observedValue?: number;
  observedUnit?: string;
  output?: string;
  /** When the result was observed, in epoch milliseconds (from the health clock). */
  time: number;
}

/** The key of a check in `/health` and `/readyz` bodies: `component:measurement`. */
export function checkKey(check: Pick<HealthCheck, "name" | "measurement">): string {
  return `${check.name}:${check.measurement ?? "responseTime"}`;
}
