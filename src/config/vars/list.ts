import {
  defineVar,
  type ParseResult,
  type PresenceOf,
  type Var,
  type VarOptions,
  type VarType,
} from "../var.js";
import { string } from "./string.js";

export interface ListOptions<T> extends VarOptions<readonly T[] | string> {
  /** The type of each item, e.g. `v.url({ protocols: ["https"] })`; default any text. */
  item?: VarType<T>;
  /** The least number of items when set. */
  minItems?: number;
}

/**
 * A comma-separated list: items trimmed, empty items dropped, each checked
 * against `item`. A value with no items at all counts as unset.
 *
 * @example
 * const BAKERY_STORES = v.list({ item: v.string(), example: "a.myshopify.com,b.myshopify.com", description: "…" });
 */
export function list<T = string, const O extends ListOptions<T> = Record<never, never>>(
  options?: O & ListOptions<T>,
): Var<readonly T[], PresenceOf<O>> {
  const item = (options?.item ?? string()) as VarType<T>;
  const minItems = options?.minItems ?? 0;
  const atLeast = minItems > 1 ? `, at least ${minItems} items` : "";
  const parse = (text: string): ParseResult<readonly T[]> => {
    const texts = splitList(text);
    if (texts.length < minItems) return { ok: false, detail: `got ${texts.length} items` };
    const values: T[] = [];
    for (const [index, itemText] of texts.entries()) {
      const parsed = item.parse(itemText);
      // The position, not the item: the item may be (part of) a secret.
      if (!parsed.ok)
        return { ok: false, detail: `item ${index + 1} of ${texts.length} is not valid` };
      values.push(parsed.value);
    }
    return { ok: true, value: Object.freeze(values) };
  };
  return defineVar(
    {
      kind: "list",
      label: `list of ${item.label}`,
      expected:
        item.kind === "string"
          ? `a comma-separated list${atLeast}`
          : `a comma-separated list${atLeast}, each item ${item.expected}`,
      item,
      parse,
      format: (values) => values.map((value) => item.format(value)).join(","),
    },
    options ?? {},
  );
}

/** Splits list text: comma-separated, trimmed, empty items dropped. */
export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}
