import assert from "node:assert/strict";
import { test } from "node:test";
import { baseManifest } from "./base-manifest.js";
import { loadConfigOrExit } from "./load-config-or-exit.js";

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function run(
  env: Record<string, string>,
  options: { json?: boolean; allowUnknown?: boolean } = {},
) {
  let written = "";
  let exitCode: number | undefined;
  let port: number | undefined;
  try {
    port = loadConfigOrExit(baseManifest, env, {
      ...options,
      stderr: { write: (text: string) => (written += text) },
      exit: (code) => {
        throw new Exit(code);
      },
    }).PORT;
  } catch (error) {
    if (!(error instanceof Exit)) throw error;
    exitCode = error.code;
  }
  return { written, exitCode, port };
}

test("a valid environment returns the config and prints nothing", () => {
  assert.deepEqual(run({ PORT: "8080" }), { written: "", exitCode: undefined, port: 8080 });
});

test("an invalid environment prints the text report and exits 2", () => {
  const { written, exitCode } = run({ PORT: "x", OPSKIT_ROLE: "x" });
  assert.equal(exitCode, 2);
  assert.match(written, /^Configuration is invalid: 0 missing, 2 invalid, 0 unknown\.\n/);
  assert.ok(written.endsWith("\n"));
});

test("json mode prints one JSON object on one line", () => {
  const { written, exitCode } = run({ PORT: "x" }, { json: true });
  assert.equal(exitCode, 2);
  assert.equal(written.trimEnd().split("\n").length, 1);
  const report = JSON.parse(written) as { ok: boolean; invalid: { name: string }[] };
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.invalid.map((p) => p.name),
    ["PORT"],
  );
});

test("allowed unknown variables are a warning, not an exit", () => {
  const { written, exitCode, port } = run({ OPSKIT_LATER: "1" }, { allowUnknown: true });
  assert.equal(exitCode, undefined);
  assert.equal(port, 3000);
  assert.equal(
    written,
    "warning: OPSKIT_LATER is set but not declared in the manifest; fix its name, remove it, or declare it.\n",
  );
});
