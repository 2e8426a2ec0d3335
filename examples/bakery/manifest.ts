import { z } from "zod";
import { defineManifest, v } from "../../src/config/index.js";

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
  },
});
