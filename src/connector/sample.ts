import type { IterableClient } from "../iterable/index.js";
import { setConfigKeys, type LoadConfig } from "./config.js";
import { sourceFor, type Source, type SourceRecord } from "./sources/index.js";

export interface Sample {
  records: SourceRecord[];
  source: Source;
}

/**
 * Reads up to `limit` records through the real source for guess and preview:
 * one request over the whole configured window (no slicing), stopped as soon as
 * the sample is full.
 */
export async function readSample(config: LoadConfig, client: IterableClient, options: { now: number; limit: number; signal?: AbortSignal }): Promise<Sample> {
  const wide = config.in.data_type === "export_data" ? setConfigKeys(config, { in: { slice_hours: 8760 } }) : config;
  const source = sourceFor(wide, client, { now: options.now });
  const records: SourceRecord[] = [];
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    outer: for (const slice of source.slices) {
      for await (const batch of slice.read({ signal: controller.signal })) {
        for (const record of batch) {
          records.push(record);
          if (records.length >= options.limit) break outer;
        }
      }
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
  return { records, source };
}
