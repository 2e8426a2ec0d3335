/**
 * `npm run bench -- NAME [--quick]`: runs one benchmark, prints a summary
 * table and writes bench/results/NAME.json (figures, machine, versions,
 * ratios). Numbers live here, never in tests.
 */
import type { Benchmark } from "./harness.js";
import { machine, printTable, writeResult } from "./harness.js";

const BENCHMARKS: Record<string, () => Promise<{ default: Benchmark }>> = {
  boot: () => import("./boot.js"),
  probes: () => import("./probes.js"),
  log: () => import("./log.js"),
  lint: () => import("./lint.js"),
  jobs: () => import("./jobs.js"),
  "jobs-scale": () => import("./jobs-scale.js"),
  "jobs-statements": () => import("./jobs-statements.js"),
  inbox: () => import("./inbox.js"),
  console: () => import("./console.js"),
  auth: () => import("./auth.js"),
  alerts: () => import("./alerts.js"),
  backup: () => import("./backup.js"),
  orm: () => import("./orm.js"),
  outbox: () => import("./outbox.js"),
  memory: () => import("./memory.js"),
  "outbox-logical": () => import("./outbox-logical.js"),
  "outbox-relay-modes": () => import("./outbox-relay-modes.js"),
};

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const name = args.find((a) => !a.startsWith("--"));
if (!name || !(name in BENCHMARKS)) {
  console.error(
    `usage: npm run bench -- NAME [--quick]\nbenchmarks: ${Object.keys(BENCHMARKS).join(", ")}`,
  );
  process.exit(2);
}
const bench = (await BENCHMARKS[name]!()).default;
console.log(`bench ${name}${quick ? " (quick)" : ""} on ${JSON.stringify(machine())}`);
const result = await bench({ quick });
printTable(result.table);
console.log("ratios:", JSON.stringify(result.ratios));
console.log(`wrote ${await writeResult(name, quick, result)}`);
process.exit(0);
