// The bakery's post-deploy smoke steps: `opskit health wait URL --smoke dist/examples/bakery/smoke.js`
// runs them once the new version is healthy (docs/deploy.md, docs/health.md).
import { defineSmokeSteps, type SmokeContext } from "opskit/health";
import { STAGES } from "./stages.js";

interface OrderBody {
  order: { id: string; stage: string };
}

/**
 * The write API's token: SMOKE_TOKEN, a bearer token with role manager from the
 * identity provider (a service account for the pipeline), never printed. Not BAKERY_*:
 * it is the pipeline's variable, and the service refuses undeclared ones under its prefix.
 */
function managerToken(ctx: SmokeContext): string {
  const token = ctx.env.SMOKE_TOKEN;
  if (!token) throw new Error("Set SMOKE_TOKEN to a bearer token with role manager.");
  return token;
}

export const smoke = defineSmokeSteps([
  {
    // One order through the whole line: create, every stage in order, read it back Complete.
    // Its store (smoke.opskit) marks it as a smoke order in reports and in the console.
    name: "order through the line",
    async run(ctx) {
      const token = managerToken(ctx);
      const created = await ctx.request<OrderBody>("POST", "/api/orders", {
        token,
        expect: 201,
        body: {
          store: "smoke.opskit",
          externalId: `smoke-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
          customer: "opskit smoke",
          items: [{ sku: "smoke-test", quantity: 1 }],
        },
      });
      const id = created.order.id;
      ctx.note(`order ${id}`);
      for (const stage of STAGES.slice(STAGES.indexOf(created.order.stage as never) + 1)) {
        const moved = await ctx.request<OrderBody>("POST", `/api/orders/${id}/stage`, {
          token,
          body: { stage },
        });
        if (moved.order.stage !== stage)
          throw new Error(`order ${id}: asked for ${stage}, is ${moved.order.stage}`);
      }
      const read = await ctx.request<OrderBody>("GET", `/api/orders/${id}`);
      if (read.order.stage !== "Complete")
        throw new Error(`order ${id} reads back in ${read.order.stage}, not Complete`);
    },
  },
  {
    name: "who am I with a good token",
    async run(ctx) {
      const me = await ctx.request<{ roles: string[] }>("GET", "/api/me", {
        token: managerToken(ctx),
      });
      if (!me.roles.includes("manager"))
        throw new Error(`/api/me: the token has roles ${JSON.stringify(me.roles)}, not manager`);
    },
  },
  {
    // A forged token must be refused: a service that let it through is not safe to keep.
    name: "who am I with a bad token is refused",
    async run(ctx) {
      await ctx.request("GET", "/api/me", { token: "not-a-valid-token", expect: 401 });
      await ctx.request("GET", "/api/me", { expect: 401 });
    },
  },
]);
