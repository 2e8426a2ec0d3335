export { baseManifest } from "./base-manifest.js";
export { renderConfigDocs } from "./config-docs.js";
export {
  formatConfigReport,
  type ConfigProblem,
  type ConfigReport,
  type ReportFormat,
} from "./config-report.js";
export { describeVar, type VarDescription } from "./describe-var.js";
export { checkEnvExample, renderEnvExample, type EnvExampleDrift } from "./env-example.js";
export {
  configError,
  loadConfig,
  requireConfig,
  type Env,
  type LoadConfigOptions,
  type LoadConfigResult,
} from "./load-config.js";
export {
  CONFIG_EXIT_CODE,
  loadConfigOrExit,
  type LoadConfigOrExitOptions,
} from "./load-config-or-exit.js";
export {
  defineManifest,
  extendManifest,
  isManifest,
  type ConfigOf,
  type DefineManifestOptions,
  type Manifest,
  type VarMap,
} from "./manifest.js";
export { secretValues } from "./secret-values.js";
export { v } from "./v.js";
export type { ParseResult, Presence, Var, VarOptions, VarType, ValueOf } from "./var.js";
export { formatDuration, parseDuration } from "./vars/duration.js";
export type { SecretEncoding, SecretOptions } from "./vars/secret.js";
