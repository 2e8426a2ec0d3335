import { toError } from "./errors.js";

/** A listener; an async one's rejection is reported like a throw. */
export type Listener<T> = (event: T) => void | Promise<void>;

/** `on(event, listener)` for the events a part of the toolkit fires in this process. */
export interface EventSource<Events extends object> {
  /** Calls `listener` with each `event` from now on; returns the unsubscribe. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void;
}

export interface Emitter<Events extends object> extends EventSource<Events> {
  /**
   * True when anything listens to `event` (to any event when none is
   * given): check it before building a payload, so that a hot path with no
   * listener pays one comparison and allocates nothing.
   */
  listening(event?: keyof Events): boolean;
  /** Calls each listener in turn; a throwing or rejecting one goes to `onError`, never to the caller. */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void;
}

/**
 * A small typed emitter for the toolkit's hooks (`queue.on("job.dead", …)`).
 * Unlike Node's EventEmitter a listener cannot break the emitter's caller:
 * its error is handed to `onError` (the area logs it), and a listener
 * removed or added while an event is delivered takes effect from the next.
 *
 * @example
 * const events = createEmitter<{ "job.dead": { id: string } }>((err, event) => log.error({ err, event }, "listener failed"));
 * const off = events.on("job.dead", (job) => page(job.id));
 * if (events.listening("job.dead")) events.emit("job.dead", { id });
 */
export function createEmitter<Events extends object>(
  onError: (error: Error, event: keyof Events) => void,
): Emitter<Events> {
  const listeners = new Map<keyof Events, Listener<never>[]>();
  let count = 0;
  const report = (event: keyof Events) => (error: unknown) => {
    try {
      onError(toError(error), event);
    } catch {
      // The reporter itself failed: nothing else is safe to do here.
    }
  };
  return {
    on(event, listener) {
      // Copy on write: an event being delivered keeps the list it started with.
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      count++;
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        count--;
        const rest = (listeners.get(event) ?? []).filter((l) => l !== listener);
        if (rest.length) listeners.set(event, rest);
        else listeners.delete(event);
      };
    },
    listening: (event) => (event === undefined ? count > 0 : listeners.has(event)),
    emit(event, payload) {
      const list = listeners.get(event) as Listener<Events[typeof event]>[] | undefined;
      if (!list) return;
      for (const listener of list) {
        try {
          const result = listener(payload);
          if (result instanceof Promise) result.catch(report(event));
        } catch (error) {
          report(event)(error);
        }
      }
    },
  };
}
