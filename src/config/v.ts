import { bool } from "./vars/bool.js";
import { custom } from "./vars/custom.js";
import { duration } from "./vars/duration.js";
import { oneOf } from "./vars/enum.js";
import { int, port } from "./vars/int.js";
import { list } from "./vars/list.js";
import { secret } from "./vars/secret.js";
import { string } from "./vars/string.js";
import { url } from "./vars/url.js";

/**
 * The variable builders of a manifest: `v.string`, `v.int`, `v.port`,
 * `v.url`, `v.enum`, `v.bool`, `v.duration`, `v.secret`, `v.list`, `v.custom`.
 *
 * @example
 * const manifest = defineManifest({ prefixes: ["BAKERY_"], vars: { BAKERY_STORES: v.list({ description: "…" }) } });
 */
export const v = Object.freeze({
  string,
  int,
  port,
  url,
  enum: oneOf,
  bool,
  duration,
  secret,
  list,
  custom,
});
