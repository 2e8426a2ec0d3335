export { createConsole, type Console, type ConsoleOptions } from "./create-console.js";
export {
  createConsoleCredentials,
  maskedSecretId,
  type ConsoleCredentials,
  type ConsoleIdentity,
  type CredentialsInput,
} from "./console-credentials.js";
export {
  can,
  isRole,
  ROLES,
  type ConsoleAction,
  type Permissions,
  type Role,
} from "./permissions.js";
export { DEFAULT_PERMISSIONS, resolvePermissions } from "./default-permissions.js";
export type { ConsoleEnv } from "./console-router.js";
export { consoleConfig } from "./console-config.js";
export { consolePart, CONSOLE_PATH, type ConsolePart } from "./console-part.js";
export { hashPassword, MIN_PASSWORD_LENGTH } from "./password-hash.js";
