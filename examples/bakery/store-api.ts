/**
 * The stores' inventory API. By default it is simulated in-process so the
 * demo needs no network: each call takes a few milliseconds and fails at
 * `failureRate`, which is what the job queue's retries are for. Given a
 * `url` (`BAKERY_STORE_API_URL`) it is a real HTTP call instead:
 * `POST {url}/inventory` with an `Idempotency-Key` header, so a push repeated
 * by a retry (the worker was killed after the store applied it, before the
 * job recorded it) is applied once by the store.
 */
export interface StoreApi {
  pushInventory(push: InventoryPush, signal: AbortSignal): Promise<void>;
}

export interface InventoryPush {
  store: string;
  sku: string;
  delta: number;
  /** The same for every attempt of one push: `inventory:<orderId>:<sku>`. */
  idempotencyKey: string;
}

export function createStoreApi(options: {
  failureRate: number;
  random?: () => number;
  url?: string | undefined;
}): StoreApi {
  if (options.url) return httpStoreApi(options.url);
  const random = options.random ?? Math.random;
  return {
    async pushInventory({ store, sku }, signal) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, 2 + random() * 8);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        });
      });
      if (random() < options.failureRate) {
        throw new Error(`${store} answered 503 to the inventory update of ${sku}; retry later`);
      }
    },
  };
}

function httpStoreApi(base: string): StoreApi {
  const endpoint = new URL("inventory", base.endsWith("/") ? base : `${base}/`).toString();
  return {
    async pushInventory(push, signal) {
      const res = await fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": push.idempotencyKey },
        body: JSON.stringify({ store: push.store, sku: push.sku, delta: push.delta }),
        signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
      });
      // The body is read (or cancelled) so the connection goes back to the pool.
      await res.arrayBuffer();
      if (!res.ok) {
        throw new Error(
          `${push.store} answered ${res.status} to the inventory update of ${push.sku}; retry later`,
        );
      }
    },
  };
}
