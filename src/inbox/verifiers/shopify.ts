import { maskedSecretId } from "../../log/index.js";
import {
  decodeSignature,
  hmac,
  matchSecret,
  requireSecrets,
  type Verification,
  type Verifier,
} from "../verifier.js";

export interface ShopifyVerifierOptions {
  /**
   * The app's client secret(s), or per shop domain (one custom app per store,
   * each with its own secret). List old and new while rotating: Shopify can
   * take up to an hour to start signing with a new secret.
   */
  secrets: readonly string[] | Readonly<Record<string, readonly string[]>>;
  /**
   * `webhook-id` (default): one delivery of one subscription
   * (`X-Shopify-Webhook-Id`, the same on every retry). `event-id`: the event
   * itself (`X-Shopify-Event-Id`), which several subscriptions share.
   */
  dedupeOn?: "webhook-id" | "event-id";
}

const HMAC_HEADER = "x-shopify-hmac-sha256";
const SHOP_HEADER = "x-shopify-shop-domain";

/**
 * Shopify: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body,
 * keyed with the client secret. There is no signed timestamp, so the dedupe
 * key is the only replay defence. The topic is `X-Shopify-Topic`; the shop,
 * `X-Shopify-Triggered-At` and the event id are kept with the headers.
 *
 * @example
 * shopifyVerifier({ secrets: { "north.myshopify.com": [NORTH], "south.myshopify.com": [SOUTH] } });
 */
export function shopifyVerifier(options: ShopifyVerifierOptions): Verifier {
  const perShop = !Array.isArray(options.secrets);
  const shared = perShop ? [] : requireSecrets("shopify", options.secrets as readonly string[]);
  const byShop = new Map<string, readonly string[]>();
  if (perShop) {
    const entries = Object.entries(options.secrets as Record<string, readonly string[]>);
    if (entries.length === 0) requireSecrets("shopify", []);
    for (const [shop, secrets] of entries) {
      byShop.set(shop.toLowerCase(), requireSecrets(`shopify (${shop})`, secrets));
    }
  }
  return {
    kind: "shopify",
    secretIds: perShop
      ? [...byShop].flatMap(([shop, list]) => list.map((s) => `${shop} ${maskedSecretId(s)}`))
      : shared.map((s) => maskedSecretId(s)),
    signatureHeaders: [HMAC_HEADER],
    json: true,
    dedupeKey: {
      header: options.dedupeOn === "event-id" ? "x-shopify-event-id" : "x-shopify-webhook-id",
    },
    topic: { header: "x-shopify-topic" },
    verify(request): Verification {
      const sent = request.header(HMAC_HEADER);
      if (!sent) return { ok: false, reason: "missing_signature", detail: `${HMAC_HEADER} absent` };
      const signature = decodeSignature(sent.trim(), "base64", "sha256");
      if (!signature) {
        return { ok: false, reason: "malformed_signature", detail: "not a base64 SHA-256 digest" };
      }
      let secrets = shared;
      if (perShop) {
        // The shop header is not signed; it only picks which secrets to try.
        const shop = request.header(SHOP_HEADER)?.toLowerCase();
        const found = shop === undefined ? undefined : byShop.get(shop);
        if (!found) {
          return {
            ok: false,
            reason: "unknown_account",
            detail: `${SHOP_HEADER} ${shop === undefined ? "absent" : "names a shop with no secret"}`,
          };
        }
        secrets = found;
      }
      return matchSecret(secrets, [signature], (secret) => hmac("sha256", secret, [request.body]));
    },
  };
}
