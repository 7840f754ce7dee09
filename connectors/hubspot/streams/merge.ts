/**
 * Runs up to `concurrency` async generators at once and yields their values as they come, tagged with the
 * source's key. Each source is asked for its next value as soon as it delivered one (so it keeps fetching while
 * the consumer writes), and a source that fails fails the whole merge (the others are closed).
 */
export async function* mergeGenerators<T>(
  sources: Array<{ key: string; start: () => AsyncGenerator<T> }>,
  concurrency: number,
): AsyncGenerator<{ key: string; value: T }> {
  const queue = [...sources];
  const active = new Map<
    string,
    { iterator: AsyncGenerator<T>; next: Promise<{ key: string; result: IteratorResult<T> }> }
  >();
  const pull = (key: string, iterator: AsyncGenerator<T>) => ({
    iterator,
    next: iterator.next().then((result) => ({ key, result })),
  });
  const fill = () => {
    while (active.size < Math.max(1, concurrency) && queue.length > 0) {
      const source = queue.shift()!;
      active.set(source.key, pull(source.key, source.start()));
    }
  };
  try {
    fill();
    while (active.size > 0) {
      const { key, result } = await Promise.race([...active.values()].map((a) => a.next));
      const entry = active.get(key)!;
      if (result.done) {
        active.delete(key);
        fill();
        continue;
      }
      active.set(key, pull(key, entry.iterator));
      yield { key, value: result.value };
    }
  } finally {
    for (const { iterator, next } of active.values()) {
      next.catch(() => undefined);
      await iterator.return(undefined).catch(() => undefined);
    }
  }
}
