import { configError, type ConfigOf } from "opskit/config";
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
    // A config error like the manifest's own: the report names the variable
    // missing beside the one set (exit 2), never a value.
    const [name, other] = url
      ? ["BAKERY_OUTBOX_WEBHOOK_SECRET", "BAKERY_OUTBOX_WEBHOOK_URL"]
      : ["BAKERY_OUTBOX_WEBHOOK_URL", "BAKERY_OUTBOX_WEBHOOK_SECRET"];
    throw configError({
      missing: [
        {
          name,
          expected: `set together with ${other}`,
          type: url ? "secret" : "url",
          secret: Boolean(url),
          message: `${name} is missing: ${other} is set, and the order events need both (or neither).`,
        },
      ],
      invalid: [],
      unknown: [],
    });
  }
  return {
    endpoints:
      url && secret
        ? [{ name: "bakery-events", url, secret, eventTypes: ["order.*"], maxFailures: 20 }]
        : [],
  };
}
