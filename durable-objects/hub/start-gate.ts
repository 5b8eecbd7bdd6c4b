/**
 * An object's one initialization, run lazily by the first event that needs it (a request, a socket
 * message or close, an alarm, an RPC call) and awaited by every event, as partyserver's `onStart`
 * is. A Durable Object is rebuilt from nothing after hibernation or eviction, so each entry point
 * passes the gate first, and none has to remember to rebuild by hand.
 *
 * The start runs inside `blockConcurrencyWhile`, so no other event is delivered until it is done.
 * When it fails, the error is rethrown outside the block (a failure inside would break the input
 * gate for good) and the next event tries again.
 *
 * @example
 * readonly #started = new StartGate(this.ctx, () => this.#restoreSubscribers());
 * override async alarm() {
 *   await this.#started.ready();
 *   // ...
 * }
 */
export class StartGate {
  #started = false;
  #starting: Promise<void> | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly start: () => void | Promise<void>,
  ) {}

  /** Resolves once the start has run (running it now if nobody has). @throws what the start threw */
  ready(): Promise<void> {
    if (this.#started) return Promise.resolve();
    this.#starting ??= this.#run().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  async #run(): Promise<void> {
    const failure = await this.ctx.blockConcurrencyWhile(async () => {
      try {
        await this.start();
        this.#started = true;
        return null;
      } catch (error) {
        return { error };
      }
    });
    if (failure) throw failure.error;
  }
}
