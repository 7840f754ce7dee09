/**
 * Runs the calls of each key one after another, in the order they came, while different keys run at once: how
 * a rate limiter serves the waiters of one budget in order.
 */
export class KeyQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const turn = previous.then(fn);
    this.tails.set(
      key,
      turn.catch(() => undefined),
    );
    return turn;
  }
}
