import { metricRule, sqlRule } from "opskit/alerts";

/**
 * The bakery's own alerts, evaluated with opskit's built-in pack. The store
 * API failing is seen within a minute: every failed inventory push counts in
 * `opskit_jobs_failed_total`, long before its job would die.
 */
export const storeApiFailing = metricRule({
  name: "StoreApiFailing",
  severity: "critical",
  summary: "Inventory pushes to the store are failing ({{ $value }} in the last minute)",
  description:
    "The store's API refuses or times out the inventory pushes: stock on the storefront is drifting. The pushes retry with backoff; nothing is lost while it lasts.",
  runbookUrl: "docs/runbooks/bakery-store-api-failing.md",
  metric: "opskit_jobs_failed_total",
  where: { task: "inventory-push" },
  by: ["task"],
  rateWindowMs: 60_000,
  threshold: 0,
});

/** An order that has not moved for two hours is stuck at its station. */
export const ordersStuckInStage = sqlRule({
  name: "OrdersStuckInStage",
  severity: "warning",
  forMs: 10 * 60_000,
  summary: "{{ $value }} orders stuck in {{ $labels.stage }}",
  description: "Orders have stayed in stage {{ $labels.stage }} for more than 2 hours.",
  runbookUrl: "docs/runbooks/bakery-orders-stuck.md",
  sql: `select stage, count(*)::float8 as value from orders
         where stage <> 'Complete' and updated_at < now() - interval '2 hours' group by stage`,
});
