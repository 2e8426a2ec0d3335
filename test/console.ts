/**
 * A cookie-keeping client for the console's routes, in process
 * (`app.request`) or over a real socket (`baseUrl`).
 *
 * @example
 * const admin = consoleClient(app);
 * await admin.loginWithToken(token);
 * const page = await admin.get("/ops/jobs");
 */
import { Hono } from "hono";
import type { Console } from "../src/console/index.js";

export interface ConsoleResponse {
  status: number;
  headers: Headers;
  text: string;
}

export interface ConsoleClient {
  get(path: string, headers?: Record<string, string>): Promise<ConsoleResponse>;
  /** A form POST; `_csrf` is added from the last page unless `csrf: false`. */
  post(
    path: string,
    form?: Record<string, string>,
    options?: { csrf?: boolean; headers?: Record<string, string> },
  ): Promise<ConsoleResponse>;
  loginWithToken(token: string): Promise<ConsoleResponse>;
  loginWithPassword(name: string, password: string): Promise<ConsoleResponse>;
  /** The CSRF token of the session (from the last page's meta tag). */
  csrf(): string | undefined;
  cookies: Map<string, string>;
}

/** Mounts a console at /ops of a root app, as the service does. */
export function mountAt(console: Console<string>): Hono {
  return new Hono().route("/ops", console.app);
}

export function consoleClient(
  target: { request: (path: string, init: RequestInit) => Response | Promise<Response> } | string,
): ConsoleClient {
  const cookies = new Map<string, string>();
  let csrf: string | undefined;
  const send = async (path: string, init: RequestInit): Promise<ConsoleResponse> => {
    const headers = new Headers(init.headers);
    if (cookies.size) headers.set("cookie", [...cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res =
      typeof target === "string"
        ? await fetch(`${target}${path}`, { ...init, headers, redirect: "manual" })
        : await target.request(`http://localhost${path}`, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === "" || /max-age=0/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
    const text = await res.text();
    const meta = /<meta name="csrf-token" content="([^"]+)"/.exec(text);
    if (meta) csrf = meta[1];
    return { status: res.status, headers: res.headers, text };
  };
  const client: ConsoleClient = {
    cookies,
    csrf: () => csrf,
    get: (path, headers = {}) => send(path, { method: "GET", headers }),
    post: (path, form = {}, options = {}) => {
      const body = new URLSearchParams(form);
      if (options.csrf !== false && csrf && !("_csrf" in form)) body.set("_csrf", csrf);
      return send(path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...options.headers },
        body: body.toString(),
      });
    },
    async loginWithToken(token) {
      const page = await client.get("/ops/login");
      const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? "";
      const res = await client.post("/ops/login", { _csrf: loginCsrf, token, next: "/ops" });
      if (res.status === 303) await client.get("/ops/audit");
      return res;
    },
    async loginWithPassword(name, password) {
      const page = await client.get("/ops/login");
      const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? "";
      const res = await client.post("/ops/login", { _csrf: loginCsrf, name, password });
      if (res.status === 303) await client.get("/ops/audit");
      return res;
    },
  };
  return client;
}
