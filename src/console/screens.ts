import { registerAuditScreen } from "./pages/audit.js";
import { registerDatabaseScreen } from "./pages/database.js";
import { registerInboxScreen } from "./pages/inbox.js";
import { registerJobsScreen } from "./pages/jobs.js";
import { registerSchedulesScreen } from "./pages/schedules.js";
import { registerMigrationsScreen } from "./pages/migrations.js";
import { registerOverviewScreen } from "./pages/overview.js";
import type { ScreenDeps } from "./screen-kit.js";

export type { ScreenDeps } from "./screen-kit.js";

/** Adds every screen's routes to the console. */
export function registerScreens(deps: ScreenDeps): void {
  registerOverviewScreen(deps);
  registerJobsScreen(deps);
  registerSchedulesScreen(deps);
  registerInboxScreen(deps);
  registerMigrationsScreen(deps);
  registerDatabaseScreen(deps);
  registerAuditScreen(deps);
}
