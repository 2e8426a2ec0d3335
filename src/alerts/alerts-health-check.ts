import type { Pool } from "../db/index.js";
import type { HealthCheck } from "../health/index.js";
import { listAlerts } from "./sql/read-alerts.js";

/**
 * Firing alerts in /health: a non-critical check (a firing alert should page
 * someone, not take the instance out of rotation) that warns and names them.
 * The Watchdog, always firing by design, is left out.
 */
export function alertsHealthCheck(pool: Pool): HealthCheck {
  return {
    name: "alerts",
    measurement: "firing",
    componentType: "component",
    critical: false,
    async run() {
      const firing = (await listAlerts(pool, { state: "firing", limit: 50 })).filter(
        (a) => a.rule !== "Watchdog",
      );
      return {
        observedValue: firing.length,
        observedUnit: "alerts",
        status: firing.length === 0 ? "pass" : "warn",
        ...(firing.length
          ? {
              output: `firing: ${firing.map((a) => `${a.rule}${labelText(a.labels)}`).join(", ")}`,
            }
          : {}),
      };
    },
  };
}

function labelText(labels: Record<string, string>): string {
  const rest = Object.entries(labels).filter(([k]) => k !== "alertname" && k !== "severity");
  return rest.length ? `{${rest.map(([k, v]) => `${k}=${v}`).join(",")}}` : "";
}
