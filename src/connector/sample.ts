import type { CallEvent, IterableClient } from "../iterable/index.js";
import { setConfigKeys, type LoadConfig } from "./config.js";
import { sourceFor, type Source, type SourceRecord } from "./sources/index.js";

export interface Sample {
  records: SourceRecord[];
  source: Source;
}

/**
 * Reads up to `limit` records through the real source for guess and preview:
 * one request over the whole configured window (at most a year), stopped as
 * soon as the sample is full. `onEvent` hears of budget waits and retries.
 */
export async function readSample(
  config: LoadConfig,
  client: IterableClient,
  options: { now: number; limit: number; signal?: AbortSignal; onEvent?: (event: CallEvent) => void },
): Promise<Sample> {
  const wide = config.in.data_type === "export_data" ? setConfigKeys(config, { in: { slice_hours: 8760 } }) : config;
  const source = sourceFor(wide, client, { now: options.now });
  const records: SourceRecord[] = [];
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const read = options.onEvent === undefined ? { signal: controller.signal } : { signal: controller.signal, onEvent: options.onEvent };
    outer: for (let slice = source.slices.next(); slice !== undefined; slice = source.slices.next()) {
      let n = 0;
      for await (const batch of slice.read(read)) {
        n += batch.length;
        for (const record of batch) {
          records.push(record);
          if (records.length >= options.limit) break outer;
        }
      }
      source.slices.committed(slice, { records: n, responseMs: 0 });
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
  return { records, source };
}
