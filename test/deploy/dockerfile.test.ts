import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Copy, DockerfileParser } from "dockerfile-ast";
import { validate, ValidationSeverity, type ValidatorSettings } from "dockerfile-utils";

// No Docker engine here: the Dockerfile is checked by the validator VS Code's Docker
// extension uses (dockerfile-utils, every rule as an error), then its structure by
// dockerfile-ast, and every file it copies against the repository and .dockerignore.
const root = path.resolve(import.meta.dirname, "../..");
const text = readFileSync(path.join(root, "deploy/Dockerfile"), "utf8");
const dockerfile = DockerfileParser.parse(text);
// Dockerfile.getCOPYs() sees only the instructions before the first FROM: take them all.
const copies = dockerfile.getInstructions().filter((i): i is Copy => i instanceof Copy);
// getFromFlag() misses --from when another flag follows it: read the flags.
const fromStage = (c: Copy) =>
  c
    .getFlags()
    .find((f) => f.getName() === "from")
    ?.getValue();
const words = (keyword: string) =>
  dockerfile
    .getInstructions()
    .filter((i) => i.getKeyword() === keyword)
    .map((i) => i.getArguments().map((a) => a.getValue()));

test("the Dockerfile passes dockerfile-utils with every rule an error", () => {
  const strict: ValidatorSettings = {
    deprecatedMaintainer: ValidationSeverity.ERROR,
    directiveCasing: ValidationSeverity.ERROR,
    emptyContinuationLine: ValidationSeverity.ERROR,
    instructionCasing: ValidationSeverity.ERROR,
    instructionCmdMultiple: ValidationSeverity.ERROR,
    instructionEntrypointMultiple: ValidationSeverity.ERROR,
    instructionHealthcheckMultiple: ValidationSeverity.ERROR,
    instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
    instructionWorkdirRelative: ValidationSeverity.ERROR,
  };
  const problems = validate(text, strict).map(
    (d) =>
      `line ${d.range.start.line + 1}: ${typeof d.message === "string" ? d.message : d.message.value}`,
  );
  assert.deepEqual(problems, []);
  // The validator is live: a broken file is reported.
  assert.ok(validate("FROM node\nCOPY onlyone\nWORKDIR app\n", strict).length >= 2);
});

test("three stages: build with dev dependencies, deps with production ones only, run", () => {
  const stages = dockerfile.getFROMs().map((f) => f.getBuildStage());
  assert.deepEqual(stages, ["build", "deps", "run"]);
  const runs = dockerfile.getFROMs().map((f) => f.getRange().start.line);
  const inStage = (line: number) => runs.filter((start) => start <= line).length - 1;
  const npmCi = dockerfile
    .getInstructions()
    .filter((i) => i.getKeyword() === "RUN" && /npm ci/.test(i.getArgumentsContent() ?? ""));
  const byStage = npmCi.map((i) => [inStage(i.getRange().start.line), i.getArgumentsContent()]);
  assert.equal(byStage.length, 2);
  assert.equal(byStage[0]![0], 0);
  assert.doesNotMatch(String(byStage[0]![1]), /--omit=dev/);
  assert.equal(byStage[1]![0], 1);
  assert.match(String(byStage[1]![1]), /--omit=dev/);
  // The final stage takes node_modules from deps (not build) and dist from build.
  const from = copies
    .map((c) => ({
      from: fromStage(c),
      args: c.getArguments().map((a) => a.getValue()),
    }))
    .filter((c) => c.from);
  assert.deepEqual(
    from.map((c) => [c.from, c.args[0]]),
    [
      ["deps", "/app/node_modules"],
      ["build", "/app/dist"],
    ],
  );
});

test("the run stage: a non-root user, tini as PID 1 before the heap script, HEALTHCHECK on /livez", () => {
  const users = words("USER");
  assert.equal(users.length, 1);
  assert.match(
    users[0]![0]!,
    /^[1-9]\d*(:\d+)?$/,
    "a numeric non-root uid (runAsNonRoot can check it)",
  );
  assert.deepEqual(JSON.parse(dockerfile.getENTRYPOINTs()[0]!.getArgumentsContent()!), [
    "/usr/bin/tini",
    "--",
    "/usr/local/bin/docker-entrypoint.sh",
  ]);
  assert.ok(
    words("RUN").some((w) => w.includes("tini")),
    "Debian's tini is installed",
  );
  const healthcheck = dockerfile.getHEALTHCHECKs()[0]!.getArgumentsContent()!;
  assert.match(healthcheck, /CMD \["\/usr\/local\/bin\/healthcheck\.sh", "\/livez"\]/);
  assert.match(JSON.stringify(words("CMD")), /dist\/examples\/bakery\/main\.js/);
});

test("every file the image copies from the context exists and .dockerignore lets it in", () => {
  const ignore = readFileSync(path.join(root, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  assert.equal(ignore[0], "*", ".dockerignore starts from nothing");
  const allowed = ignore.filter((l) => l.startsWith("!")).map((l) => l.slice(1).replace(/\/$/, ""));
  const sources = copies
    .filter((c) => !fromStage(c))
    .flatMap((c) =>
      c
        .getArguments()
        .slice(0, -1)
        .map((a) => a.getValue()),
    );
  assert.ok(sources.length >= 8);
  for (const source of sources) {
    assert.ok(existsSync(path.join(root, source)), `${source} exists`);
    assert.ok(
      allowed.some((a) => source === a || source.startsWith(`${a}/`)),
      `${source} is let in by .dockerignore`,
    );
  }
  // Secrets never reach the context.
  assert.ok(ignore.includes("**/.env"));
});
