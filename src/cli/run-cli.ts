import { EXIT, UsageError, type Command, type Output } from "./cli-error.js";
import { optimizeOnlyHotFunctions, useWasmBaselineCompiler } from "./short-run-compilers.js";

/**
 * The commands, by group, loaded only when used: every module of the toolkit
 * on the table costs a deploy step ~0.2 s of CPU at start (pg, pino, hono,
 * zod…), and `opskit migrate lint` in a pre-commit hook or `opskit health
 * wait` in a pipeline should pay only for what it runs. `--help` loads all.
 * The longest matching prefix wins (`migrate lint` before `migrate`).
 */
const GROUPS: { prefix: string; load: () => Promise<Command[]> }[] = [
  {
    prefix: "config",
    load: async () => {
      const m = await import("./commands/config.js");
      return [m.configCheck, m.configExample, m.configDocs];
    },
  },
  { prefix: "health", load: async () => [(await import("./commands/health-wait.js")).healthWait] },
  { prefix: "doctor", load: async () => [(await import("./commands/doctor.js")).doctor] },
  {
    prefix: "migrate",
    load: async () => {
      useWasmBaselineCompiler();
      const m = await import("./commands/migrate.js");
      return [
        m.migrateUp,
        m.migrateStatus,
        m.migrateDryRun,
        m.migrateReplay,
        m.migrateAccept,
        m.migrateUnlock,
        ...(await import("./commands/migrate-history.js")).MIGRATE_HISTORY_COMMANDS,
      ];
    },
  },
  {
    prefix: "jobs",
    load: async () => {
      const [m, a] = await Promise.all([
        import("./commands/jobs.js"),
        import("./commands/jobs-actions.js"),
      ]);
      return [
        m.jobsStats,
        m.jobsList,
        m.jobsShow,
        a.jobsRetry,
        a.jobsCancel,
        a.jobsPause,
        a.jobsResume,
        a.jobsRescue,
        a.jobsPrune,
      ];
    },
  },
  {
    prefix: "secrets",
    load: async () => {
      const m = await import("./commands/secrets.js");
      return [m.secretsStatus, m.secretsRotate];
    },
  },
  { prefix: "alerts", load: async () => (await import("./commands/alerts.js")).alertsCommands },
  { prefix: "inbox", load: async () => (await import("./commands/inbox.js")).inboxCommands },
  { prefix: "outbox", load: async () => (await import("./commands/outbox.js")).outboxCommands },
  { prefix: "backup", load: async () => (await import("./commands/backup.js")).backupCommands },
  {
    prefix: "console",
    load: async () => [(await import("./commands/console.js")).consoleCommand],
  },
  {
    prefix: "console hash-password",
    load: async () => [(await import("./commands/console-hash-password.js")).consoleHashPassword],
  },
  {
    prefix: "migrate count-new",
    load: async () => [(await import("./commands/migrate-count-new.js")).migrateCountNew],
  },
  {
    prefix: "migrate lint",
    load: async () => {
      useWasmBaselineCompiler();
      optimizeOnlyHotFunctions();
      return [(await import("./commands/migrate-lint.js")).migrateLint];
    },
  },
];

async function allCommands(): Promise<Command[]> {
  return (await Promise.all(GROUPS.map((g) => g.load()))).flat();
}

/** The command `argv` names, loading only its group. */
async function findCommand(argv: string[]): Promise<Command | undefined> {
  const words = argv.slice(0, 2).join(" ");
  const group = GROUPS.filter((g) => words === g.prefix || words.startsWith(`${g.prefix} `)).sort(
    (a, b) => b.prefix.length - a.prefix.length,
  )[0];
  const commands = group ? await group.load() : [];
  return commands.find((c) => c.name === words) ?? commands.find((c) => c.name === argv[0]);
}

async function overview(): Promise<string> {
  const commands = await allCommands();
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "opskit <command> [options]   (--help on any command)",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Exit codes: 0 ok, 1 findings or failure, 2 usage or config error.",
  ].join("\n");
}

/**
 * Runs one CLI invocation and returns its exit code (testable in-process).
 *
 * @example
 * const code = await runCli(["config", "docs"], { out: console.log, err: console.error });
 */
export async function runCli(argv: string[], io: Output): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    io.out(await overview());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const command = await findCommand(argv);
  if (!command) {
    io.err(`unknown command: ${argv.slice(0, 2).join(" ")}\n\n${await overview()}`);
    return EXIT.usage;
  }
  const rest = argv.slice(command.name.split(" ").length);
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\nusage: ${command.usage}`);
      return EXIT.usage;
    }
    io.err(`error: ${(error as Error).message}`);
    return EXIT.failure;
  }
}
