/**
 * The soak's kill/restart schedule: at random intervals (seeded, so a run
 * can be repeated), one of the disruptions a deploy, an autoscaler or a
 * failover causes. Each action waits until the part is back (generous
 * timeouts: a loaded 2-core machine), so disruptions never pile up.
 */
import type { DemoProcess, SoakPgbouncer, SoakPostgres } from "./processes.js";

export type ChaosKind =
  | "kill-worker"
  | "restart-worker"
  | "kill-api"
  | "restart-api"
  | "restart-postgres"
  | "crash-postgres"
  | "restart-pgbouncer";

export const CHAOS_KINDS: readonly ChaosKind[] = [
  "kill-worker",
  "restart-pgbouncer",
  "restart-api",
  "kill-worker",
  "restart-postgres",
  "kill-api",
  "restart-worker",
  "crash-postgres",
];

export interface ChaosEvent {
  kind: ChaosKind;
  /** ms since the soak started. */
  at: number;
  /** How long until the part was back (ms). */
  tookMs: number;
  error?: string;
}

export interface ChaosTargets {
  /** The processes chaos kills and restarts (the steady ones are left alone). */
  worker: DemoProcess;
  api: DemoProcess;
  postgres: SoakPostgres;
  pgbouncer: SoakPgbouncer;
}

/**
 * Runs disruptions until `until()` is false: every kind once in a shuffled
 * order, then again, with a pause of `minGapMs`..`maxGapMs` before each.
 */
export async function runChaos(options: {
  targets: ChaosTargets;
  random: () => number;
  minGapMs: number;
  maxGapMs: number;
  startedAt: number;
  keepGoing: () => boolean;
  /** Go on past `keepGoing` until this many disruptions ran (a short soak still sees every kind). */
  minEvents?: number;
  onEvent?: (event: ChaosEvent) => void;
}): Promise<ChaosEvent[]> {
  const { targets, random } = options;
  const events: ChaosEvent[] = [];
  const going = () => options.keepGoing() || events.length < (options.minEvents ?? 0);
  let round: ChaosKind[] = [];
  const sleepUnless = async (ms: number) => {
    const end = Date.now() + ms;
    while (going() && Date.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(500, end - Date.now())));
    }
  };
  for (;;) {
    await sleepUnless(options.minGapMs + random() * (options.maxGapMs - options.minGapMs));
    if (!going()) break;
    if (round.length === 0) round = shuffle([...CHAOS_KINDS], random);
    const kind = round.shift()!;
    const at = Date.now() - options.startedAt;
    const started = Date.now();
    let error: string | undefined;
    try {
      await disrupt(kind, targets, random);
    } catch (thrown) {
      error = thrown instanceof Error ? thrown.message : String(thrown);
    }
    const event: ChaosEvent = {
      kind,
      at,
      tookMs: Date.now() - started,
      ...(error ? { error } : {}),
    };
    events.push(event);
    options.onEvent?.(event);
    if (error) break;
  }
  return events;
}

async function disrupt(kind: ChaosKind, t: ChaosTargets, random: () => number): Promise<void> {
  switch (kind) {
    case "kill-worker":
      await t.worker.kill();
      // Down for a moment, as a machine an autoscaler took away would be.
      await new Promise((r) => setTimeout(r, 500 + random() * 2000));
      await t.worker.start();
      return;
    case "restart-worker":
      return t.worker.restart();
    case "kill-api":
      await t.api.kill();
      await new Promise((r) => setTimeout(r, 500 + random() * 2000));
      await t.api.start();
      return;
    case "restart-api":
      return t.api.restart();
    case "restart-postgres":
      return t.postgres.restart("fast");
    case "crash-postgres":
      return t.postgres.restart("immediate");
    case "restart-pgbouncer":
      return t.pgbouncer.restart();
  }
}

function shuffle<T>(list: T[], random: () => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}
