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
export { looksLikeJwt, parseSsoRoles, ssoIdentity, type ConsoleSso } from "./console-sso.js";
export { consolePart, CONSOLE_PATH, type ConsolePart } from "./console-part.js";
// A service's own screens (`createConsole({ screens })`): the contract and the kit they are built with.
export {
  defineConsoleScreen,
  type ConsoleScreen,
  type NavLink,
  type ScreenAction,
} from "./console-screen.js";
export type {
  ActionOutcome,
  ActionRequest,
  ConsoleContext,
  ConsoleRouter,
} from "./console-router.js";
export { actionButton, allowed, currentPage, definePanel, type ScreenDeps } from "./screen-kit.js";
export { badge, html, table, time, type Html } from "./html.js";
