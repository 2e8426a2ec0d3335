import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { jsonKeyText } from "./json-key-text.js";

test("a number is read as its exact text, a string decoded, anything else is no key", () => {
  const body =
    '{ "id" : 820982911946154509, "neg": -0.5e-3, "s": "a\\"b\\u0041", "t": true, "o": {}, "n": null }';
  assert.equal(jsonKeyText(body, "id"), "820982911946154509");
  assert.equal(jsonKeyText(body, "neg"), "-0.5e-3");
  assert.equal(jsonKeyText(body, "s"), 'a"bA');
  for (const path of ["t", "o", "n", "missing", "id.x", "s.0"])
    assert.equal(jsonKeyText(body, path), undefined, path);
  assert.equal(
    jsonKeyText(Buffer.from('{"a":[{"b":1},{"b":18446744073709551616}]}'), "a.1.b"),
    "18446744073709551616",
  );
  assert.equal(jsonKeyText('{"a":[1,2]}', "a.2"), undefined);
  assert.equal(jsonKeyText('{"a":[1,2]}', "a.01"), undefined);
  assert.equal(jsonKeyText('{"a":[1,2]}', "a.length"), undefined);
});

test("a repeated member name reads the last one, as JSON.parse does; escaped names match", () => {
  assert.equal(jsonKeyText('{"id":1,"x":{"id":9},"id":2}', "id"), "2");
  assert.equal(jsonKeyText('{"\\u0069d":"yes"}', "id"), "yes");
  assert.equal(jsonKeyText('{"__proto__":"p"}', "__proto__"), "p");
});

test("deep nesting before the key is skipped without recursion", () => {
  const deep = "[".repeat(200_000) + "]".repeat(200_000);
  assert.equal(jsonKeyText(`{"junk":${deep},"id":"k"}`, "id"), "k");
});

test("on any JSON value it agrees with JSON.parse for strings and safe integers at any path", () => {
  const key = fc.oneof(fc.constantFrom("id", "a", "0", "__proto__", "é", 'q"'), fc.string());
  fc.assert(
    fc.property(
      fc.jsonValue(),
      fc.array(key, { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 0, max: 3 }),
      (value, path, space) => {
        fc.pre(path.every((p) => !p.includes(".")));
        const text = JSON.stringify(value, null, space);
        let current: unknown = JSON.parse(text);
        for (const part of path) {
          current =
            current !== null && typeof current === "object" && Object.hasOwn(current, part)
              ? (current as Record<string, unknown>)[part]
              : undefined;
        }
        const expected =
          typeof current === "string"
            ? current
            : typeof current === "number"
              ? JSON.stringify(current)
              : undefined;
        assert.equal(jsonKeyText(text, path.join(".")), expected);
      },
    ),
    { numRuns: 500 },
  );
});
