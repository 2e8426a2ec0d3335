/**
 * The abort switch of one running job. Its AbortSignal is created only when
 * someone asks for it (a handler reading `ctx.signal`): most handlers never
 * do, and an AbortController per job was a measurable share of the worker's
 * CPU with short jobs. Aborting before the signal exists records the reason;
 * a signal asked for afterwards is born aborted with it.
 */
export class JobAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  #listener: (() => void) | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Aborts once (later calls change nothing), with `reason` as the signal's reason. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.();
  }

  /** The runner's own listener, called once on abort (undefined removes it). */
  onAbort(listener: (() => void) | undefined): void {
    this.#listener = listener;
  }
}
