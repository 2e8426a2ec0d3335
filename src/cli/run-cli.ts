import { configCheck, configDocs, configExample } from "./commands/config.js";
import { doctor } from "./commands/doctor.js";
import { healthWait } from "./commands/health-wait.js";
import { inboxCommands } from "./commands/inbox.js";
import { migrateStatus, migrateUp } from "./commands/migrate.js";
import { jobsList, jobsShow, jobsStats } from "./commands/jobs.js";
import {
  jobsCancel,
  jobsPause,
  jobsPrune,
  jobsRescue,
  jobsResume,
  jobsRetry,
} from "./commands/jobs-actions.js";
import { EXIT, UsageError, type Command, type Output } from "./cli-error.js";

const COMMANDS: Command[] = [
  configCheck,
  configExample,
  configDocs,
  healthWait,
  doctor,
  migrateUp,
  migrateStatus,
  jobsStats,
  jobsList,
  jobsShow,
  jobsRetry,
  jobsCancel,
  jobsPause,
  jobsResume,
  jobsRescue,
  jobsPrune,
  ...inboxCommands,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "opskit <command> [options]   (--help on any command)",
    "",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
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
    io.out(overview());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const command =
    COMMANDS.find((c) => c.name === argv.slice(0, 2).join(" ")) ??
    COMMANDS.find((c) => c.name === argv[0]);
  if (!command) {
    io.err(`unknown command: ${argv.slice(0, 2).join(" ")}\n\n${overview()}`);
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
