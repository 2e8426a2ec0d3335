import type { MiddlewareHandler } from "hono";
import { OpskitError } from "../errors.js";
import type { HealthCheck } from "../health/index.js";
import type { ConsoleScreen } from "../console/index.js";
import type { AnyTask, Schedule } from "../jobs/index.js";
import type { MigrationSource } from "../migrate/index.js";
import type { PartContext, PartRoute, ServicePart } from "../service-part.js";

/** Everything the parts of one process contributed, in part order. */
export interface Declared {
  tasks: AnyTask[];
  schedules: Schedule[];
  checks: HealthCheck[];
  routes: PartRoute[];
  middleware: MiddlewareHandler[];
  migrations: MigrationSource[];
  screens: ConsoleScreen[];
}

/** Declares each part in order and gathers what they contribute; part names must be unique. */
export async function declareParts<C>(
  parts: readonly ServicePart<C>[],
  ctx: PartContext<C>,
): Promise<Declared> {
  const declared: Declared = {
    tasks: [],
    schedules: [],
    checks: [],
    routes: [],
    middleware: [],
    migrations: [],
    screens: [],
  };
  const names = new Set<string>();
  for (const part of parts) {
    if (names.has(part.name)) {
      throw new OpskitError(
        "SERVICE_PART_INVALID",
        `Two service parts are named "${part.name}"; give each part its own name.`,
      );
    }
    names.add(part.name);
    const c = await part.declare?.(ctx);
    if (!c) continue;
    declared.tasks.push(...(c.tasks ?? []));
    declared.schedules.push(...(c.schedules ?? []));
    declared.checks.push(...(c.checks ?? []));
    declared.routes.push(...(c.routes ?? []));
    declared.middleware.push(...(c.middleware ?? []));
    declared.migrations.push(...(c.migrations ?? []));
    declared.screens.push(...(c.screens ?? []));
  }
  return declared;
}
