import { OpskitError } from "../errors.js";
import type { Permissions, Role } from "./permissions.js";
import type { ScreenDeps } from "./screen-kit.js";

/**
 * One screen of the console, declared in one place: the navigation, the
 * default permissions table and the route registration are all derived from
 * the list of these (the built-in ones in `screens.ts`, then any a service
 * passes to `createConsole({ screens })`).
 *
 * `A` is the screen's own action names: the keys of `permissions`, and the
 * only actions its `register` may add or draw buttons for (the router
 * refuses an action no screen declared).
 *
 * @example
 * const notesScreen = defineConsoleScreen({
 *   path: "/notes",
 *   title: "Notes",
 *   nav: 75, // after the audit log (built-ins are 10, 20 … 70)
 *   permissions: { "notes.clear": ["admin"] },
 *   register(deps) {
 *     deps.router.page("/notes", "Notes", async () => html`<p>…</p>`);
 *     deps.router.action("/notes/clear", "notes.clear", async (_c, { tx }) => {
 *       await tx.query("delete from notes");
 *       return { target: "notes", result: "cleared" };
 *     });
 *   },
 * });
 */
export interface ConsoleScreen<A extends string = string> {
  /** The screen's page, inside the console (`/jobs`; the overview is `/`): the navigation links here. */
  readonly path: string;
  /** The navigation label. */
  readonly title: string;
  /** Place in the navigation, lower first (built-ins: 10, 20 … 70), or `false` for a screen reached only by links. */
  readonly nav: number | false;
  /** Each action the screen adds and the roles allowed to do it by default (`createConsole({ permissions })` overrides). */
  readonly permissions: Permissions<A>;
  /** Adds the screen's pages, panels and actions to the console's router. */
  register(deps: ScreenDeps<A>): void;
}

/** The action names a list of screens declares. */
export type ScreenAction<S> = S extends { permissions: infer P } ? keyof P & string : never;

/** A link of the navigation bar. */
export interface NavLink {
  path: string;
  title: string;
}

/** Declares a screen, inferring its action names from its `permissions` table. */
export function defineConsoleScreen<A extends string>(screen: ConsoleScreen<A>): ConsoleScreen<A> {
  return screen;
}

/** The navigation bar: screens in navigation, by order (a tie keeps list order). */
export function navigationOf(screens: readonly ConsoleScreen[]): NavLink[] {
  return screens
    .filter((s): s is ConsoleScreen & { nav: number } => s.nav !== false)
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.nav - b.s.nav || a.i - b.i)
    .map(({ s }) => ({ path: s.path, title: s.title }));
}

/** The default permissions table: every screen's own, merged. */
export function permissionsOf<S extends ConsoleScreen>(
  screens: readonly S[],
): Permissions<ScreenAction<S>> {
  const table: Record<string, readonly Role[]> = {};
  for (const screen of screens) Object.assign(table, screen.permissions);
  return table;
}

/**
 * Refuses a list in which two screens share a path or an action: the second
 * would silently take the first's navigation entry or permissions.
 */
export function checkScreens(screens: readonly ConsoleScreen[], taken: readonly string[]): void {
  const paths = new Set<string>();
  const actions = new Set(taken);
  for (const screen of screens) {
    if (paths.has(screen.path))
      throw new OpskitError(
        "CONFIG_INVALID",
        `Two console screens have the path ${screen.path}: give the added screen a path of its own.`,
      );
    paths.add(screen.path);
    for (const action of Object.keys(screen.permissions)) {
      if (actions.has(action))
        throw new OpskitError(
          "CONFIG_INVALID",
          `The console action ${action} is declared twice (screen ${screen.title}): name the added screen's actions after its own area (\`alerts.ack\`).`,
        );
      actions.add(action);
    }
  }
}
