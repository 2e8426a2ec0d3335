import { Cron } from "croner";
import { badge, html, query, table, time } from "../html.js";
import { defineConsoleScreen } from "../console-screen.js";
import { definePanel, type ScreenDeps } from "../screen-kit.js";

/** The next slot of a cron pattern in its time zone, or undefined when it cannot be read. */
export function nextRun(cron: string, timezone: string, now = new Date()): Date | undefined {
  try {
    return new Cron(cron, { timezone, paused: true }).nextRun(now) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Schedules: each cron schedule with its next run, last success, late or ok. */
export const schedulesScreen = defineConsoleScreen({
  path: "/schedules",
  title: "Schedules",
  nav: 30,
  permissions: {},
  register: registerSchedulesScreen,
});

function registerSchedulesScreen(deps: ScreenDeps<never>): void {
  const { router } = deps;
  const base = router.basePath;
  const { jobs } = deps;

  const schedules = definePanel(deps, "schedules", "Cron schedules", async () => {
    const rows = await jobs.schedules();
    return table(
      ["schedule", "cron", "time zone", "task", "next run", "last slot", "last success", "status"],
      rows.map(
        (s) =>
          html`<tr>
            <td>${s.name}</td>
            <td><code>${s.cron}</code></td>
            <td>${s.timezone}</td>
            <td><a href="${base}/jobs${query({ task: s.task })}">${s.task}</a></td>
            <td>${time(nextRun(s.cron, s.timezone))}</td>
            <td>${time(s.lastSlotAt)}</td>
            <td>${time(s.lastSuccessAt)}</td>
            <td>
              ${s.late ? html`${badge("late")} <small>slot ${time(s.dueSlot)} has not succeeded</small>` : badge("ok", "pass")}
            </td>
          </tr>`,
      ),
      "No schedule is registered (a worker registers the service's schedules when it starts).",
    );
  });
  router.page("/schedules", "Schedules", async (c) => schedules(c));
}
