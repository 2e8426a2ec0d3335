import { defineConsoleScreen } from "../../console-screen.js";
import type { Permissions } from "../../permissions.js";
import type { ScreenDeps } from "../../screen-kit.js";
import { registerJobActions, registerQueueActions } from "./jobs-actions.js";
import { registerJobsBulk } from "./jobs-bulk.js";
import { registerJobDetail } from "./job-detail.js";
import { registerJobsPage } from "./jobs-panels.js";

const permissions = {
  "jobs.retry": ["operator", "admin"],
  "jobs.cancel": ["operator", "admin"],
  "jobs.delete": ["admin"],
  "jobs.bulk_retry": ["operator", "admin"],
  "jobs.bulk_cancel": ["operator", "admin"],
  "jobs.bulk_delete": ["admin"],
  "queues.pause": ["operator", "admin"],
  "queues.resume": ["operator", "admin"],
} as const satisfies Permissions<string>;

/** The jobs screen's actions. */
export type JobsAction = keyof typeof permissions;
export type JobsDeps = ScreenDeps<JobsAction>;

/** Jobs: queues by state with pause/resume; filtered jobs; detail; retry, cancel, delete, one or by filter. */
export const jobsScreen = defineConsoleScreen({
  path: "/jobs",
  title: "Jobs",
  nav: 20,
  permissions,
  register: registerJobsScreen,
});

function registerJobsScreen(deps: JobsDeps): void {
  registerJobsPage(deps);
  registerJobDetail(deps);
  // Bulk routes first: "/jobs/bulk/retry" must not be read as job "bulk".
  registerJobsBulk(deps);
  registerJobActions(deps);
  registerQueueActions(deps);
}
