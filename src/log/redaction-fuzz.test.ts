/**
 * Fuzz test: random nested values full of secrets must never leak into the
 * output bytes. Seeded, so a failure reproduces:
 *   LOG_FUZZ_SEED=1234 node --import tsx test/run.ts src/log/redaction-fuzz.test.ts
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { seededRandom } from "../../test/seeded-random.js";
import { createLogger } from "./create-logger.js";

const SEED = Number(process.env.LOG_FUZZ_SEED ?? 20261122);
const CASES = Number(process.env.LOG_FUZZ_CASES ?? 1500);

const SECRET_KEY_WORDS = [
  ["authorization"],
  ["proxy", "authorization"],
  ["cookie"],
  ["set", "cookie"],
  ["password"],
  ["passwd"],
  ["token"],
  ["access", "token"],
  ["refresh", "token"],
  ["id", "token"],
  ["secret"],
  ["client", "secret"],
  ["api", "key"],
  ["x", "api", "key"],
  ["private", "key"],
  ["session"],
  ["credentials"],
  ["db", "password"],
  ["webhook", "secret"],
  ["stripe", "api", "key"],
];
const PLAIN_KEYS = [
  "id",
  "name",
  "note",
  "items",
  "data",
  "meta",
  "status",
  "url",
  "message",
  "tags",
];
const WORDS = [
  "order",
  "cake",
  "filling",
  "shop",
  "retry",
  "payload",
  "ok",
  "42",
  "é",
  "\n",
  '"q"',
  "\\",
];

function makeCase(seed: number) {
  const rand = seededRandom(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const chance = (p: number) => rand() < p;
  let serial = 0;

  function token(length: number, alphabet: string): string {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[int(alphabet.length)];
    return out;
  }
  const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  // Registered secret values: some with characters JSON must escape.
  const secrets = Array.from({ length: 2 + int(4) }, (_, i) => {
    const body = token(8 + int(16), chance(0.3) ? `${ALNUM}"\\/\n\t+=%é` : ALNUM);
    return `Z${i}${body}`;
  });
  const early = secrets.filter(() => chance(0.5));
  const late = secrets.filter((s) => !early.includes(s));
  // Values that are NOT registered: only their key (or URL position) hides them.
  const markers: string[] = [];
  const marker = () => {
    const m = `MK${serial++}x${token(10, ALNUM)}`;
    markers.push(m);
    return m;
  };

  function secretKey(): string {
    const parts = pick(SECRET_KEY_WORDS);
    const style = pick(["-", "_", "", "camel"]);
    const joined =
      style === "camel"
        ? parts.map((p, i) => (i === 0 ? p : `${p[0]?.toUpperCase()}${p.slice(1)}`)).join("")
        : parts.join(style);
    // Random casing per character: AuThOrIzAtIoN.
    return [...joined].map((c) => (chance(0.4) ? c.toUpperCase() : c)).join("");
  }

  function stringWithSecret(): string {
    const s = pick(secrets);
    switch (int(5)) {
      case 0:
        return s;
      case 1:
        return `${pick(WORDS)} ${s} ${pick(WORDS)}`;
      case 2:
        return `${token(3, ALNUM)}${s}${token(3, ALNUM)}`;
      case 3:
        return `postgres://app:${marker()}@db:5432/app?key=${s}`;
      default:
        return `Bearer ${s}`;
    }
  }

  function urlWithPassword(): string {
    const password = marker();
    return chance(0.5)
      ? `https://user:${password}${chance(0.3) ? "@x" : ""}@api.example.com/v1`
      : `see POSTGRES://${password}@host/db for details`;
  }

  function error(depth: number): Error {
    const message = chance(0.7) ? `failed: ${stringWithSecret()}` : pick(WORDS);
    const cause = depth > 0 && chance(0.7) ? value(depth - 1) : undefined;
    const err: Error = chance(0.15)
      ? new AggregateError([error(0), error(0)], message)
      : new (pick([Error, TypeError, RangeError]))(
          message,
          cause === undefined ? undefined : { cause },
        );
    if (chance(0.6)) Object.assign(err, { [secretKey()]: marker() });
    if (chance(0.5)) Object.assign(err, { [pick(PLAIN_KEYS)]: stringWithSecret() });
    if (chance(0.3)) Object.assign(err, { code: `E_${token(4, ALNUM)}` });
    return err;
  }

  function value(depth: number): unknown {
    const roll = int(depth <= 0 ? 4 : 9);
    switch (roll) {
      case 0:
        return stringWithSecret();
      case 1:
        return chance(0.5) ? int(1000) : pick(WORDS);
      case 2:
        return urlWithPassword();
      case 3:
        return chance(0.5) ? null : true;
      case 4:
      case 5:
        return object(depth - 1);
      case 6:
        return Array.from({ length: int(4) }, () => value(depth - 1));
      case 7:
        return error(depth - 1);
      default:
        return chance(0.5) ? new URL(`https://u:${marker()}@example.com/p`) : object(depth - 1);
    }
  }

  function object(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const size = 1 + int(5);
    for (let i = 0; i < size; i++) {
      const roll = int(10);
      if (roll < 3)
        out[secretKey()] = chance(0.6) ? marker() : { inner: marker(), list: [marker()] };
      else if (roll < 4) out[`k_${stringWithSecret()}`] = pick(WORDS);
      else out[`${pick(PLAIN_KEYS)}${i}`] = value(depth);
    }
    if (depth > 1 && chance(0.1)) out.loop = out;
    return out;
  }

  const depth = 1 + int(6);
  return {
    secrets,
    early,
    late,
    markers,
    payload: object(depth),
    bindings: { category: "http", [secretKey()]: marker(), note: stringWithSecret() },
    message: `msg ${stringWithSecret()}`,
    formatArg: object(1),
    error: error(2),
    method: int(5),
  };
}

test(`fuzz: no secret value or secret-keyed value reaches the output (seed ${SEED}, ${CASES} cases)`, () => {
  for (let n = 0; n < CASES; n++) {
    const seed = SEED + n;
    const c = makeCase(seed);
    const raw: string[] = [];
    const log = createLogger({
      level: "trace",
      secrets: c.early,
      destination: { write: (s: string) => void raw.push(s) },
    });
    log.addSecrets(c.late);
    const child = log.child(c.bindings);
    switch (c.method) {
      case 0:
        child.info(c.payload, c.message);
        break;
      case 1:
        child.error(c.error);
        break;
      case 2:
        child.warn({ err: c.error, payload: c.payload }, c.message);
        break;
      case 3:
        child.debug("%s then %o then %j", c.message, c.formatArg, c.payload);
        break;
      default:
        child.child({ nested: c.bindings }).info(c.payload);
    }
    const output = raw.join("");
    const lines = raw.map((line) => JSON.parse(line) as unknown);
    assert.equal(lines.length, 1, `seed ${seed}: one JSON line`);
    for (const secret of [...c.secrets, ...c.markers]) {
      const escaped = JSON.stringify(secret).slice(1, -1);
      assert.ok(
        !output.includes(secret) && !output.includes(escaped),
        `seed ${seed}: ${JSON.stringify(secret)} leaked in ${output.slice(0, 2000)}`,
      );
    }
  }
});
