import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import { createLogger } from "../log/index.js";
import { withPool } from "../../test/jobs.js";
import { createInbox } from "./create-inbox.js";
import { findInboxEvent } from "./sql/inbox-events.js";
import { hmacVerifier } from "./verifiers/index.js";
import type { WebhookEvents } from "./webhook-events.js";

const SECRET = "inbox-events-secret";

test("an inbox fires webhook.stored after the commit, webhook.duplicate and webhook.rejected", async () => {
  await withPool(async (pool) => {
    const inbox = createInbox({
      pool,
      sources: [
        {
          name: "shop",
          verifier: hmacVerifier({ secrets: [SECRET], header: "x-sig", dedupeKey: { json: "id" } }),
          json: true,
          handler: () => undefined,
        },
      ],
    });
    await inbox.register();
    const seen: { event: keyof WebhookEvents; payload: unknown; stored?: unknown }[] = [];
    const lookups: Promise<void>[] = [];
    inbox.on("webhook.stored", (e) => {
      // Recorded in firing order; the event row must be visible to another
      // connection when the event fires (the lookup starts here, at once).
      const entry: (typeof seen)[number] = { event: "webhook.stored", payload: e };
      seen.push(entry);
      lookups.push(
        findInboxEvent(pool, e.eventId).then((row) => void (entry.stored = row?.dedupe_key)),
      );
    });
    inbox.on(
      "webhook.duplicate",
      (e) => void seen.push({ event: "webhook.duplicate", payload: e }),
    );
    inbox.on("webhook.rejected", (e) => void seen.push({ event: "webhook.rejected", payload: e }));
    const send = (body: string, requestId: string, signature = SECRET) =>
      inbox.receive({
        source: "shop",
        headers: [["x-sig", createHmac("sha256", signature).update(body).digest("hex")]],
        body: Buffer.from(body),
        requestId,
      });
    try {
      const stored = await send(JSON.stringify({ id: "order-1" }), "r1");
      assert.equal(stored.status, 200);
      await send(JSON.stringify({ id: "order-1" }), "r2");
      await send(JSON.stringify({ id: "order-2" }), "r3", "a forged secret");
      await send("not json", "r4");
      await inbox.receive({
        source: "nowhere",
        headers: [],
        body: Buffer.from("{}"),
        requestId: "r5",
      });
      await Promise.all(lookups);
      assert.deepEqual(seen, [
        {
          event: "webhook.stored",
          payload: { source: "shop", eventId: stored.body.id, requestId: "r1" },
          stored: "order-1",
        },
        { event: "webhook.duplicate", payload: { source: "shop", requestId: "r2" } },
        {
          event: "webhook.rejected",
          payload: {
            source: "shop",
            reason: "bad_signature",
            detail: (seen[2]?.payload as { detail: string }).detail,
            status: 401,
            requestId: "r3",
          },
        },
        {
          event: "webhook.rejected",
          payload: {
            source: "shop",
            reason: "stored_as_rejected",
            detail: "Stored as rejected: the body is not JSON.",
            status: 400,
            requestId: "r4",
          },
        },
        {
          event: "webhook.rejected",
          payload: {
            source: "nowhere",
            reason: "unknown_source",
            detail: "no such source",
            status: 404,
            requestId: "r5",
          },
        },
      ]);
    } finally {
      await inbox.close();
    }
  });
});

test("a throwing inbox listener is logged and the sender is still answered; an unsubscribed one is not called", async () => {
  await withPool(async (pool) => {
    const logged: Record<string, unknown>[] = [];
    const log = createLogger({
      level: "error",
      destination: {
        write: (s: string) => void logged.push(JSON.parse(s) as Record<string, unknown>),
      },
    });
    const inbox = createInbox({
      pool,
      log,
      sources: [
        {
          name: "shop",
          verifier: hmacVerifier({ secrets: [SECRET], header: "x-sig", dedupeKey: { json: "id" } }),
          handler: () => undefined,
        },
      ],
    });
    await inbox.register();
    const body = JSON.stringify({ id: "order-9" });
    const request = (requestId: string) => ({
      source: "shop",
      headers: [["x-sig", createHmac("sha256", SECRET).update(body).digest("hex")]] as [
        string,
        string,
      ][],
      body: Buffer.from(body),
      requestId,
    });
    try {
      const off = inbox.on("webhook.stored", () => {
        throw new Error("listener bug");
      });
      const first = await inbox.receive(request("r1"));
      assert.equal(first.status, 200);
      assert.deepEqual(
        logged.map((l) => [l.msg, l.event, (l.err as { message: string }).message]),
        [["an inbox event listener failed", "webhook.stored", "listener bug"]],
      );
      off();
      const again = await inbox.receive(request("r2"));
      assert.deepEqual(again.body, { received: true, duplicate: true });
      assert.equal(logged.length, 1, "an unsubscribed listener is not called");
    } finally {
      await inbox.close();
    }
  });
});
