import { z } from "zod";
import { defineManifest, v } from "opskit/config";

/** The bakery's own variables, on top of the toolkit's base manifest. */
export const bakeryManifest = defineManifest({
  prefixes: ["BAKERY_"],
  vars: {
    BAKERY_STORES: v.list({
      description: "The Shopify store domains this bakery takes orders from.",
      example: "north.myshopify.com,south.myshopify.com",
      default: ["north.myshopify.com", "south.myshopify.com"],
    }),
    BAKERY_STORE_FAILURE_RATE: v.custom({
      schema: z.coerce.number().min(0).max(1),
      type: "number (0..1)",
      expected: "a number from 0 to 1",
      default: "0.05",
      description:
        "Share of simulated store API calls that fail (so the demo shows retries); 0 in tests.",
      example: "0",
    }),
    BAKERY_STORE_API_URL: v.url({
      optional: true,
      description:
        "The stores' inventory API (POST {url}/inventory with an Idempotency-Key header). Unset: simulated in-process.",
      example: "http://127.0.0.1:4100/",
    }),
    BAKERY_NORTH_WEBHOOK_SECRETS: v.list({
      secret: true,
      optional: true,
      description:
        "Shopify webhook signing secret(s) of the first store in BAKERY_STORES; list the old and the new one while rotating. Unset outside production: the demo's development secret.",
      example: "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",
    }),
    BAKERY_SOUTH_WEBHOOK_SECRETS: v.list({
      secret: true,
      optional: true,
      description:
        "Shopify webhook signing secret(s) of the second store in BAKERY_STORES; list the old and the new one while rotating. Unset outside production: the demo's development secret.",
      example: "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",
    }),
    BAKERY_TRAFFIC_SIMULATOR: v.bool({
      optional: true,
      description:
        "Send simulated, signed Shopify order webhooks to this service (with duplicates, bad signatures and retries). Unset: on in development only.",
      example: "false",
    }),
    BAKERY_OUTBOX_WEBHOOK_URL: v.url({
      protocols: ["https", "http"],
      optional: true,
      description:
        "Receives the bakery's order events (order.created, order.stage_changed) from the outbox, signed per Standard Webhooks; unset: events are kept and relayed, not sent.",
      example: "https://erp.example.com/hooks/bakery",
    }),
    BAKERY_OUTBOX_WEBHOOK_SECRET: v.custom({
      schema: z.string().regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/),
      type: "whsec_ secret",
      expected: "a Standard Webhooks secret: whsec_ followed by the base64 of 24 to 64 bytes",
      optional: true,
      secret: true,
      description:
        "Signs the order events sent to BAKERY_OUTBOX_WEBHOOK_URL (webhook-id, webhook-timestamp, webhook-signature).",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
    BAKERY_TRAFFIC_INTERVAL: v.duration({
      default: "1s",
      description: "Time between two simulated webhooks.",
      example: "250ms",
    }),
  },
});
