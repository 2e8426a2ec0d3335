import { fileURLToPath } from "node:url";
import type { ServiceOptions } from "opskit/service";
import { ordersStuckInStage, storeApiFailing } from "./alert-rules.js";
import { authKeyRequired } from "./auth-key-part.js";
import { bakeryManifest } from "./manifest.js";
import { bakeryOutbox } from "./outbox.js";
import { bakeryRoutes } from "./routes.js";
import { createStoreApi } from "./store-api.js";
import { bakeryJobs } from "./tasks.js";
import { bakeryInbox } from "./webhooks.js";

const here = fileURLToPath(new URL(".", import.meta.url));
// Migrations are read from the source tree, also when running from dist/.
const migrationsDir = here.includes("/dist/")
  ? fileURLToPath(new URL("../../../examples/bakery/migrations", import.meta.url))
  : fileURLToPath(new URL("./migrations", import.meta.url));

/** The bakery service's definition, shared by main.ts and the tests. */
export const bakeryService: ServiceOptions<typeof bakeryManifest> = {
  name: "bakery",
  version: "0.1.0",
  description: "A bakery's order-production line",
  manifest: bakeryManifest,
  migrationsDir,
  routes: (ctx) => bakeryRoutes(ctx),
  jobs: ({ pool, config }) =>
    bakeryJobs({
      pool,
      storeApi: createStoreApi({
        failureRate: config.BAKERY_STORE_FAILURE_RATE,
        url: config.BAKERY_STORE_API_URL,
      }),
    }),
  inbox: (ctx) => bakeryInbox(ctx),
  parts: [authKeyRequired],
  alerts: { rules: [storeApiFailing, ordersStuckInStage] },
  outbox: ({ config }) => bakeryOutbox(config),
};
