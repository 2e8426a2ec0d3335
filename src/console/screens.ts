import type { ScreenAction } from "./console-screen.js";
import { auditScreen } from "./pages/audit.js";
import { databaseScreen } from "./pages/database.js";
import { inboxScreen } from "./pages/inbox/index.js";
import { jobsScreen } from "./pages/jobs/index.js";
import { migrationsScreen } from "./pages/migrations.js";
import { overviewScreen } from "./pages/overview.js";
import { schedulesScreen } from "./pages/schedules.js";

/**
 * The console's own screens, in registration order (their routes are added
 * in this order; the navigation is sorted by each screen's `nav`). Adding a
 * built-in screen is one line here; a service adds its own with
 * `createConsole({ screens })`.
 */
export const BUILT_IN_SCREENS = [
  overviewScreen,
  jobsScreen,
  schedulesScreen,
  inboxScreen,
  migrationsScreen,
  databaseScreen,
  auditScreen,
] as const;

/** Every built-in screen's action names, from their `as const` permission tables. */
export type BuiltInScreenAction = ScreenAction<(typeof BUILT_IN_SCREENS)[number]>;
