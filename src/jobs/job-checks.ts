import type { Pool } from "../db/index.js";
import type { HealthCheck } from "../health/index.js";
import type { Worker } from "./create-worker.js";
import { scheduleStatuses } from "./schedule-status.js";

/**
 * Readiness of a worker process: its heartbeat (which also extends its jobs'
 * leases) succeeded within three heartbeat intervals. A worker that cannot
 * heartbeat will lose its jobs to the rescuer, so it should not count as ready.
 */
export function workerHeartbeatCheck(worker: Worker): HealthCheck {
  return {
    name: "jobs-worker",
    measurement: "heartbeat",
    componentType: "component",
    async run() {
      const last = worker.lastHeartbeatAt();
      const age = last === undefined ? undefined : (Date.now() - last) / 1000;
      const limit = (3 * worker.heartbeatIntervalMs) / 1000;
      if (age === undefined) return { status: "fail", output: "no heartbeat yet" };
      return {
        observedValue: Math.round(age * 1000) / 1000,
        observedUnit: "s",
        status: age <= limit ? "pass" : "fail",
        ...(age <= limit ? {} : { output: `last heartbeat ${Math.round(age)} s ago` }),
      };
    },
  };
}

/**
 * The schedules' dead-man's switch as a health check: warns (not critical by
 * default: a late cron should page, not take the service out of rotation)
 * naming every late schedule.
 */
export function schedulesCheck(pool: Pool, options: { critical?: boolean } = {}): HealthCheck {
  return {
    name: "jobs-schedules",
    measurement: "late",
    componentType: "component",
    critical: options.critical ?? false,
    async run() {
      const late = (await scheduleStatuses(pool)).filter((s) => s.late);
      return {
        observedValue: late.length,
        observedUnit: "schedules",
        status: late.length === 0 ? "pass" : "warn",
        ...(late.length
          ? {
              output: `late: ${late.map((s) => `${s.name} (slot ${s.dueSlot?.toISOString()})`).join(", ")}`,
            }
          : {}),
      };
    },
  };
}
