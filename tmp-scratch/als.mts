import express from "express";
import { AsyncLocalStorage } from "node:async_hooks";
const als = new AsyncLocalStorage<string>();
const app = express();
app.use((req, res, next) => als.run("ctx-" + req.url, () => next()));
app.use(express.json());
app.post("/x", (req, res) => res.json({ store: als.getStore() ?? null }));
const server = app.listen(0, async () => {
  const port = (server.address() as any).port;
  const r = await fetch(`http://127.0.0.1:${port}/x`, { method: "POST", body: '{"a":1}', headers: { "content-type": "application/json" } });
  console.log(await r.text());
  server.close();
});
