// The demo imports opskit exactly as a service that installed it does (the
// package refers to itself; tests run it from source through the
// `opskit-source` export condition, `npm start` from the build).
import { isDevelopmentAuth, mintDevelopmentToken } from "opskit/auth";
import { runService } from "opskit/service";
import { BAKERY_ROLES } from "./routes.js";
import { bakeryService } from "./service.js";
import { startTrafficSimulator } from "./traffic-simulator.js";
import { storeSecrets } from "./webhooks.js";

// `npm start`: the bakery on an embedded Postgres unless DATABASE_URL is set.
await runService(bakeryService, {
  json: process.argv.includes("--json"),
  onReady: async (service) => {
    const url = service.url ?? "";
    // No key configured in development: one short-lived token per role, to try the write API.
    const tokens = isDevelopmentAuth(service.config)
      ? await Promise.all(
          Object.values(BAKERY_ROLES).map(
            async (role) =>
              `           ${role.padEnd(8)} Authorization: Bearer ${await mintDevelopmentToken(service.config, { roles: [role] })}`,
          ),
        )
      : ["           writes need a bearer token from your identity provider (OPSKIT_AUTH_*)"];
    process.stdout.write(
      [
        "",
        `  bakery is ready (role ${service.role}, booted in ${service.bootMs} ms)`,
        `  API      ${url}/api/orders   (who am I: ${url}/api/me)`,
        ...tokens,
        `  probes   ${url}/livez  ${url}/readyz  ${url}/health`,
        `  metrics  ${url}/metrics`,
        `  webhooks ${url}/webhooks/shopify   (opskit inbox list --database-url …)`,
        ...(service.console
          ? [
              `  console  ${service.console.url}`,
              service.console.developmentToken
                ? `           development login: token ${service.console.developmentToken} (new at every start; set OPSKIT_CONSOLE_ADMIN_TOKENS to choose one)`
                : "           log in with a token or user from OPSKIT_CONSOLE_*",
            ]
          : []),
        "  stop     Ctrl-C (graceful shutdown)",
        "",
      ].join("\n") + "\n",
    );
    const config = service.config;
    const simulate = config.BAKERY_TRAFFIC_SIMULATOR ?? config.NODE_ENV === "development";
    if (simulate && service.url && service.role !== "worker") {
      const secrets = storeSecrets(config);
      const simulator = startTrafficSimulator({
        url: service.url,
        stores: Object.entries(secrets).map(([domain, list]) => ({ domain, secret: list[0]! })),
        intervalMs: config.BAKERY_TRAFFIC_INTERVAL,
        log: service.log,
      });
      service.onShutdown("traffic_simulator", async () => simulator.stop());
    }
  },
});
