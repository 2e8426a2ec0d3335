import type { ConfigOf } from "opskit/config";
import { OpskitError } from "opskit/errors";
import type { ServiceOutbox } from "opskit/outbox";
import type { bakeryManifest } from "./manifest.js";

/**
 * The bakery's outbox: its order events (published in the order's own
 * transactions, see orders-repository.ts) are relayed in commit order; with
 * BAKERY_OUTBOX_WEBHOOK_URL and BAKERY_OUTBOX_WEBHOOK_SECRET set they are
 * sent, signed, to that endpoint ("bakery-events"), one order's events in
 * their order. Without them the relay still runs, so an endpoint added later
 * (`opskit outbox endpoints add`) gets every event from then on.
 */
export function bakeryOutbox(config: ConfigOf<typeof bakeryManifest>): ServiceOutbox {
  const url = config.BAKERY_OUTBOX_WEBHOOK_URL;
  const secret = config.BAKERY_OUTBOX_WEBHOOK_SECRET;
  if (Boolean(url) !== Boolean(secret)) {
    throw new OpskitError(
      "CONFIG_INVALID",
      "Set both BAKERY_OUTBOX_WEBHOOK_URL and BAKERY_OUTBOX_WEBHOOK_SECRET, or neither.",
    );
  }
  return {
    endpoints:
      url && secret
        ? [{ name: "bakery-events", url, secret, eventTypes: ["order.*"], maxFailures: 20 }]
        : [],
  };
}
