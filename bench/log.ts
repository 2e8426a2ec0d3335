/**
 * Logger throughput (lines/s) to a null destination: plain pino (the anchor)
 * against the opskit logger without context, with a request context, and with
 * redaction of a typical request object. Also pino's own path-based `redact`
 * on the same object, for reference (it only covers the paths it is given),
 * and pino with a hand-written AsyncLocalStorage mixin: what any context
 * propagation costs in pino before opskit adds anything.
 *
 *   node --import tsx bench/log.ts [--quick]     (or: npm run bench -- log)
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath, pathToFileURL } from "node:url";
import { pino, type Logger } from "pino";
import { createLogger, runWithLogContext } from "../src/log/index.js";
import type { Benchmark, BenchResult } from "./harness.js";
import { median, printTable, round, versions, writeResult } from "./harness.js";

const nullDestination = { write: (_line: string) => undefined };
const SECRETS = ["sk_live_51Hx9aTOKENvalue", "db-password-4711", "whsec_shopifysecret123"];

function typicalRequest(i: number) {
  return {
    req: {
      method: "POST",
      url: `/webhooks/shopify/orders?shop=bakery-${i % 7}`,
      headers: {
        host: "bakery.example.com",
        "user-agent": "Shopify-Captain-Hook",
        "content-type": "application/json",
        accept: "*/*",
        authorization: "Bearer sk_live_51Hx9aTOKENvalue",
        cookie: "session=abc123; theme=dark",
        "x-shopify-topic": "orders/create",
      },
      remoteAddress: "10.0.0.12",
    },
    res: { statusCode: 200 },
    order: {
      id: 1000 + i,
      items: [
        { sku: "CAKE-1", qty: 2 },
        { sku: "TART-3", qty: 1 },
      ],
      stage: "Filling",
    },
    duration_ms: 12.5,
  };
}

interface Scenario {
  name: string;
  run: (n: number) => void;
}

function scenarios(): Scenario[] {
  const plain = pino({ level: "info" }, nullDestination);
  const pinoRedact = pino(
    { level: "info", redact: ["req.headers.authorization", "req.headers.cookie"] },
    nullDestination,
  );
  const storage = new AsyncLocalStorage<object>();
  const empty = {};
  const pinoMixin = pino(
    {
      level: "info",
      mixin: () => storage.getStore() ?? empty,
      mixinMergeStrategy: (merge: object, mixin: object) =>
        mixin === empty ? merge : { ...mixin, ...merge },
    },
    nullDestination,
  );
  const opskit = createLogger({ level: "info", secrets: SECRETS, destination: nullDestination });
  const small = (log: Logger, n: number) => {
    for (let i = 0; i < n; i++) log.info({ order: i, status: "ok" }, "order placed");
  };
  const request = (log: Logger, n: number) => {
    for (let i = 0; i < n; i++) log.info(typicalRequest(i), "request");
  };
  return [
    { name: "pino, small line", run: (n) => small(plain, n) },
    {
      name: "pino + ALS mixin, small line, request context",
      // Frozen, as opskit does: with an unfrozen context this ran 2.5x slower in trials.
      run: (n) =>
        storage.run(Object.freeze({ request_id: "3f1c9a2e-req" }), () => small(pinoMixin, n)),
    },
    { name: "opskit, small line, no context", run: (n) => small(opskit, n) },
    {
      name: "opskit, small line, request context",
      run: (n) => runWithLogContext({ request_id: "3f1c9a2e-req" }, () => small(opskit, n)),
    },
    { name: "pino, request object", run: (n) => request(plain, n) },
    { name: "pino redact paths, request object", run: (n) => request(pinoRedact, n) },
    {
      name: "opskit, request object, context + redaction",
      run: (n) => runWithLogContext({ request_id: "3f1c9a2e-req" }, () => request(opskit, n)),
    },
  ];
}

// Each measurement runs in a fresh process: in one process the JIT tunes
// pino's shared internals to whichever logger ran first, which skewed one
// scenario by 3x in trials. Rounds interleave the scenarios so drift
// (thermal, other load) hits all of them alike.
async function measure(name: string, lines: number): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      fileURLToPath(import.meta.url),
      "--scenario",
      name,
      "--lines",
      String(lines),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`scenario "${name}" exited with ${String(code)}`);
  return (JSON.parse(out) as { rate: number }).rate;
}

function runScenario(name: string, lines: number): number {
  const scenario = scenarios().find((s) => s.name === name);
  if (!scenario) throw new Error(`unknown scenario "${name}"`);
  scenario.run(lines / 2); // warm-up
  const started = performance.now();
  scenario.run(lines);
  return lines / ((performance.now() - started) / 1000);
}

const bench: Benchmark = async ({ quick }) => {
  const lines = quick ? 50_000 : 200_000;
  const rounds = quick ? 2 : 5;
  const names = scenarios().map((s) => s.name);
  const samples = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names) samples.get(name)?.push(await measure(name, lines));
  }
  const rate = (name: string) => median(samples.get(name) ?? []);
  const base = rate("pino, small line");
  const baseRequest = rate("pino, request object");
  const table = names.map((name) => ({
    scenario: name,
    "lines/s": Math.round(rate(name)),
    "µs/line": round(1e6 / rate(name), 2),
    "vs pino": round(rate(name) / (name.includes("request object") ? baseRequest : base), 3),
  }));
  const result: BenchResult = {
    table,
    figures: {
      lines_per_round: lines,
      rounds,
      lines_per_second: Object.fromEntries(names.map((n) => [n, Math.round(rate(n))])),
      samples: Object.fromEntries(samples),
    },
    ratios: {
      no_context_vs_pino: round(rate("opskit, small line, no context") / base, 3),
      context_vs_pino: round(rate("opskit, small line, request context") / base, 3),
      context_vs_pino_with_als_mixin: round(
        rate("opskit, small line, request context") /
          rate("pino + ALS mixin, small line, request context"),
        3,
      ),
      redaction_vs_pino_request: round(
        rate("opskit, request object, context + redaction") / baseRequest,
        3,
      ),
      pino_redact_paths_vs_pino_request: round(
        rate("pino redact paths, request object") / baseRequest,
        3,
      ),
    },
    versions: versions(["pino"]),
  };
  return result;
};

export default bench;

const args = process.argv.slice(2);
const scenarioArg = args.indexOf("--scenario");
if (scenarioArg !== -1) {
  const lines = Number(args[args.indexOf("--lines") + 1] ?? 100_000);
  process.stdout.write(JSON.stringify({ rate: runScenario(args[scenarioArg + 1] ?? "", lines) }));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const quick = args.includes("--quick");
  const result = await bench({ quick });
  printTable(result.table);
  console.log("ratios:", JSON.stringify(result.ratios));
  console.log(`wrote ${await writeResult("log", quick, result)}`);
}
