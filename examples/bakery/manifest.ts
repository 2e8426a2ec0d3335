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
  },
});
