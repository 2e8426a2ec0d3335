import { baseManifest, formatConfigReport, loadConfig, secretValues } from "../../config/index.js";
import { consoleConfig, createConsole } from "../../console/index.js";
import { createPool, describeConnectionTarget } from "../../db/index.js";
import { createHealth, postgresCheck } from "../../health/index.js";
import { createHttpApp, startHttpServer } from "../../http/index.js";
import { createLogger } from "../../log/index.js";
import { toolkitMigrationsDir, type MigrationSource } from "../../migrate/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";
import { databaseUrl } from "../command-kit.js";

export const consoleCommand: Command = {
  name: "console",
  summary: "Serve the operator's console on its own, against a service's database",
  usage: `opskit console [--database-url URL] [--port 3100] [--host 127.0.0.1] [--dir MIGRATIONS_DIR]

Serves the console at http://HOST:PORT/ops against the same Postgres as the
service (jobs, inbox, migrations, database, audit log). Logins come from the
environment, as for the service: OPSKIT_CONSOLE_ADMIN_TOKENS,
OPSKIT_CONSOLE_OPERATOR_TOKENS, OPSKIT_CONSOLE_VIEWER_TOKENS,
OPSKIT_CONSOLE_USERS. With none set and NODE_ENV=development (the default),
a one-time admin token is printed. --dir adds the service's migrations to
the migrations screen. Runs until SIGINT or SIGTERM.`,
  async run(args, io) {
    const { values } = parse(args, {
      "database-url": { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      dir: { type: "string" },
    });
    const url = databaseUrl(values);
    const port = Number(values.port ?? 3100);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError("--port expects a port number (0 picks a free one).");
    const loaded = loadConfig(baseManifest, process.env);
    if (!loaded.ok) {
      io.err(formatConfigReport(loaded.report, "text"));
      return EXIT.usage;
    }
    const config = loaded.config;
    const secrets = [
      ...secretValues(baseManifest, config),
      ...secretValues(baseManifest, { DATABASE_URL: url }),
    ];
    const log = createLogger({ level: config.LOG_LEVEL, name: "opskit-console", secrets });
    const pool = createPool({
      connectionString: url,
      applicationName: "opskit-console",
      max: Math.min(config.OPSKIT_DB_POOL_MAX, 5),
      logger: log.child({ category: "slow_query" }),
    });
    const health = createHealth({ serviceId: "opskit-console", checks: [postgresCheck(pool)] });
    const sources: MigrationSource[] = [{ source: "opskit", dir: toolkitMigrationsDir }];
    if (values.dir) sources.push({ source: "app", dir: values.dir });
    const opsConsole = createConsole({
      pool,
      log,
      ...consoleConfig(config),
      health,
      migrationSources: sources,
      secrets,
    });
    if (!opsConsole.enabled) {
      io.err(
        "No console login is configured: set OPSKIT_CONSOLE_ADMIN_TOKENS (or OPSKIT_CONSOLE_USERS), or NODE_ENV=development for a one-time token.",
      );
      await pool.end();
      return EXIT.usage;
    }
    const app = createHttpApp({
      log,
      mounts: [{ path: "/ops", app: opsConsole.app }],
    });
    app.get("/", (c) => c.redirect("/ops", 302));
    await health.start();
    health.markStarted();
    const http = await startHttpServer(app, { port, host: values.host ?? "127.0.0.1" });
    io.out(`opskit console for ${describeConnectionTarget(url)} at ${http.url}/ops`);
    if (opsConsole.developmentToken)
      io.out(
        `development login: token ${opsConsole.developmentToken} (valid until this process stops)`,
      );
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await http.close(5_000);
    await opsConsole.close();
    health.close();
    await pool.end();
    return EXIT.ok;
  },
};
