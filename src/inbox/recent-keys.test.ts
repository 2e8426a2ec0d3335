import assert from "node:assert/strict";
import { test } from "node:test";
import { createRecentKeys } from "./recent-keys.js";

test("recent keys forget the oldest past their size; zero remembers nothing", () => {
  const recent = createRecentKeys(2);
  recent.add("a");
  recent.add("b");
  recent.add("a"); // "a" is now the newest
  recent.add("c");
  assert.deepEqual(
    ["a", "b", "c"].map((k) => recent.has(k)),
    [true, false, true],
  );
  const none = createRecentKeys(0);
  none.add("a");
  assert.equal(none.has("a"), false);
});
