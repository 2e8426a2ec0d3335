/**
 * The stores' inventory API, simulated in-process so the demo needs no
 * network: each call takes a few milliseconds and fails at `failureRate`,
 * which is what the job queue's retries are for.
 */
export interface StoreApi {
  pushInventory(store: string, sku: string, delta: number, signal: AbortSignal): Promise<void>;
}

export function createStoreApi(options: { failureRate: number; random?: () => number }): StoreApi {
  const random = options.random ?? Math.random;
  return {
    async pushInventory(store, sku, _delta, signal) {
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
