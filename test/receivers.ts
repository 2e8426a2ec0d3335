/**
 * Real HTTP receivers for notifier tests (node:http on 127.0.0.1): each
 * records every request it gets and answers `status` (set it to 503 to play
 * a receiver that is down).
 *
 * @example
 * const slack = await startReceiver();
 * after(() => slack.close());
 * await waitUntil(() => slack.requests.length === 1, "slack got the message");
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: unknown;
  /** The status this request was answered with. */
  status: number;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Requests answered 2xx. */
  accepted(): ReceivedRequest[];
  status: number;
  close(): Promise<void>;
}

export async function startReceiver(status = 200): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const receiver: Receiver = {
    url: "",
    requests,
    accepted: () => requests.filter((r) => r.status < 300),
    status,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const answered = receiver.status;
      requests.push({ path: req.url ?? "", headers: req.headers, body, json, status: answered });
      res.writeHead(answered, { "content-type": "text/plain" }).end(answered < 300 ? "ok" : "down");
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
