export { shopifyVerifier, type ShopifyVerifierOptions } from "./shopify.js";
export { stripeVerifier, type StripeVerifierOptions } from "./stripe.js";
export { githubVerifier, type GithubVerifierOptions } from "./github.js";
export {
  standardWebhooksVerifier,
  svixVerifier,
  type StandardWebhooksVerifierOptions,
} from "./standard-webhooks.js";
export { hmacVerifier, type HmacVerifierOptions } from "./hmac.js";
