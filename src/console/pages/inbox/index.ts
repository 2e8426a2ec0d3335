import { defineConsoleScreen } from "../../console-screen.js";
import type { Permissions } from "../../permissions.js";
import type { ScreenDeps } from "../../screen-kit.js";
import { registerEventReplay, registerSourceActions } from "./inbox-actions.js";
import { registerInboxReplay } from "./inbox-bulk.js";
import { registerInboxEvent } from "./inbox-event.js";
import { registerInboxPage } from "./inbox-panels.js";

const permissions = {
  "inbox.replay": ["operator", "admin"],
  "inbox.bulk_replay": ["operator", "admin"],
  "inbox.pause_source": ["operator", "admin"],
  "inbox.resume_source": ["operator", "admin"],
} as const satisfies Permissions<string>;

/** The inbox screen's actions. */
export type InboxAction = keyof typeof permissions;
export type InboxDeps = ScreenDeps<InboxAction>;

/** Inbox: sources, events, event detail; replay one or by filter, pause and resume a source. */
export const inboxScreen = defineConsoleScreen({
  path: "/inbox",
  title: "Inbox",
  nav: 40,
  permissions,
  register: registerInboxScreen,
});

function registerInboxScreen(deps: InboxDeps): void {
  registerInboxPage(deps);
  registerInboxEvent(deps);
  registerInboxReplay(deps);
  registerEventReplay(deps);
  registerSourceActions(deps);
}
