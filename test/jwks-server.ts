/**
 * A JWKS endpoint on 127.0.0.1 for the auth tests: a real HTTP server whose
 * key set can be replaced (rotation) and which can be made to fail (outage),
 * counting the fetches it answered.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface JwksServer {
  url: string;
  /** Fetches received (answered or failed). */
  requests(): number;
  setKeys(jwks: { keys: object[] }): void;
  /** While down, every fetch gets a 503. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function serveJwks(initial: { keys: object[] }): Promise<JwksServer> {
  let body = JSON.stringify(initial);
  let down = false;
  let count = 0;
  const server = http.createServer((_req, res) => {
    count++;
    if (down) {
      res.writeHead(503).end("down");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    requests: () => count,
    setKeys: (jwks) => void (body = JSON.stringify(jwks)),
    setDown: (value) => void (down = value),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Runs `fn` with a JWKS server, always closed after. */
export async function withJwksServer<T>(
  initial: { keys: object[] },
  fn: (server: JwksServer) => Promise<T>,
): Promise<T> {
  const server = await serveJwks(initial);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}
