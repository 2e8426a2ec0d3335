import { OpskitError } from "opskit/errors";
import {
  defineSource,
  readKey,
  shopifyVerifier,
  type InboxEvent,
  type ServiceInbox,
} from "opskit/inbox";
import type { JobContext } from "opskit/jobs";
import type { Logger } from "opskit/log";
import type { PoolClient } from "opskit/db";
import { INVENTORY_PUSH } from "./tasks.js";

/**
 * Development-only signing secrets, used when the manifest's secrets are
 * unset outside production so that `npm start` works with no environment
 * (the traffic simulator signs with the same ones). Never valid in
 * production: the service refuses to start there without real ones.
 */
export const DEV_WEBHOOK_SECRETS = [
  "bakery-dev-north-webhook-secret",
  "bakery-dev-south-webhook-secret",
];

interface WebhookConfig {
  NODE_ENV: string;
  BAKERY_STORES: readonly string[];
  BAKERY_NORTH_WEBHOOK_SECRETS: readonly string[] | undefined;
  BAKERY_SOUTH_WEBHOOK_SECRETS: readonly string[] | undefined;
}

/** Each store's active secrets: from the manifest, else (not in production) the development ones. */
export function storeSecrets(
  config: WebhookConfig,
  log?: Logger,
): Record<string, readonly string[]> {
  const given = [config.BAKERY_NORTH_WEBHOOK_SECRETS, config.BAKERY_SOUTH_WEBHOOK_SECRETS];
  const secrets: Record<string, readonly string[]> = {};
  for (const [i, store] of config.BAKERY_STORES.slice(0, 2).entries()) {
    const own = given[i];
    if (own?.length) secrets[store] = own;
    else if (config.NODE_ENV === "production") {
      throw new OpskitError(
        "INBOX_CONFIG_INVALID",
        `No webhook secret for ${store}: set BAKERY_${i === 0 ? "NORTH" : "SOUTH"}_WEBHOOK_SECRETS.`,
      );
    } else {
      log?.warn({ store }, "using the development webhook secret (set BAKERY_*_WEBHOOK_SECRETS)");
      secrets[store] = [DEV_WEBHOOK_SECRETS[i]!];
    }
  }
  return secrets;
}

/** The part of a Shopify order the bakery reads. */
interface ShopifyOrder {
  /** Not read from here: a 64-bit id is not exact as a JSON number (see createOrderFromWebhook). */
  id: number | string;
  email?: string;
  customer?: { first_name?: string; last_name?: string };
  line_items?: { sku?: string | null; quantity?: number }[];
}

/**
 * The bakery's inbox: both stores post to `/webhooks/shopify`, each verified
 * with its own secret (picked by `X-Shopify-Shop-Domain`). An `orders/create`
 * event creates the order in stage Filling and enqueues its inventory push,
 * in the transaction that marks the event processed. Events of one order
 * (create, then updates) are processed one at a time, in arrival order.
 */
export function bakeryInbox(ctx: { config: WebhookConfig; log: Logger }): ServiceInbox {
  const log = ctx.log.child({ category: "inbox" });
  return {
    sources: [
      defineSource({
        name: "shopify",
        verifier: shopifyVerifier({ secrets: storeSecrets(ctx.config, log) }),
        orderingKey: { json: "id" },
        retentionDays: 30,
        maxAttempts: 8,
        handler: async (event, { tx, job }) => {
          if (event.topic !== "orders/create") return;
          await createOrderFromWebhook(tx, job, event, log);
        },
      }),
    ],
  };
}

// A quantity becomes an `integer` inventory delta: past it the push would fail at every attempt.
const MAX_QUANTITY = 100_000;

/**
 * Text as Postgres can store it. The body was verified, so it is the store's
 * own data: a NUL (refused by text and jsonb) or a lone surrogate (refused
 * by jsonb) would fail this event at every attempt until it is dead, so
 * they are dropped or replaced rather than refused.
 */
function storable(text: string): string {
  return text.replaceAll("\u0000", "").replace(/\p{Cs}/gu, "\uFFFD");
}

async function createOrderFromWebhook(
  tx: PoolClient,
  job: JobContext,
  event: InboxEvent,
  log: Logger,
): Promise<void> {
  const order = event.json as ShopifyOrder;
  // Shopify's ids are 64-bit: parsed as a double, 820982911946154508 and …509
  // are one number. The id is taken as its exact text from the raw body, by
  // the inbox's own key rule (no NUL, no lone surrogate, at most 512
  // characters: what a text column stores as sent).
  const externalId = readKey({ json: "id" }, () => undefined, event.body);
  if (externalId === undefined) {
    log.warn({ event_id: event.id }, "orders/create without a usable id: no order created");
    return;
  }
  const store = event.headers["x-shopify-shop-domain"] ?? "unknown";
  const items = (order.line_items ?? [])
    .filter(
      (item) =>
        typeof item.sku === "string" &&
        item.sku !== "" &&
        Number.isInteger(item.quantity) &&
        item.quantity! > 0 &&
        item.quantity! <= MAX_QUANTITY,
    )
    .map((item) => ({ sku: storable(item.sku!), quantity: item.quantity! }));
  const customer = storable(
    [order.customer?.first_name, order.customer?.last_name]
      .filter((part) => typeof part === "string" && part !== "")
      .join(" ") ||
      (typeof order.email === "string" ? order.email : "") ||
      "unknown",
  );
  // The same order from another delivery (an event-level duplicate, a replay) changes nothing.
  const { rows } = await tx.query<{ id: string }>(
    `insert into orders (store, external_id, customer, items) values ($1, $2, $3, $4)
     on conflict (store, external_id) do nothing returning id`,
    [store, externalId, customer, JSON.stringify(items)],
  );
  const created = rows[0];
  if (created) {
    // A follow-up job of the queue that runs this event, committed with the order.
    await job.add(
      INVENTORY_PUSH,
      { orderId: created.id },
      { tx, dedupeKey: `inventory-push:${created.id}` },
    );
  }
}
