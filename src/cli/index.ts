export { runCli } from "./run-cli.js";
export { EXIT, UsageError, type Command, type Output } from "./cli-error.js";
