import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { listExports } from "../scripts/list-exports.js";

// The public API is a checked-in list, so a change to it shows in review.
test("every subpath exports exactly the names in docs/api/exports.txt", async () => {
  const recorded = await readFile(new URL("../docs/api/exports.txt", import.meta.url), "utf8");
  assert.equal(
    listExports(),
    recorded,
    "the public API changed: if intended, run `node --import tsx scripts/list-exports.ts > docs/api/exports.txt` and commit the diff",
  );
});
