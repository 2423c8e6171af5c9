/** `broker.publishBatch`: many records to one topic in one send, each with its own outcome. */
import type { OutgoingRecord, RecordMetadata } from "./driver.js";
import type { KafkaPublishOptions } from "./options.js";

/** One message of `broker.publishBatch`. */
export interface BatchItem extends KafkaPublishOptions {
  readonly body: unknown;
}

/** Outcome of one message of a batch publish. */
export type BatchResult =
  | { readonly ok: true; readonly metadata: RecordMetadata }
  | { readonly ok: false; readonly error: Error };

/**
 * Builds every item's record with `prepare` (a throw fails that item alone), sends the rest
 * with `sendMany`, and gives each item its outcome, in item order. @internal
 */
export async function publishItems(
  items: readonly BatchItem[],
  prepare: (item: BatchItem) => OutgoingRecord,
  sendMany: (records: OutgoingRecord[]) => Promise<RecordMetadata[]>,
): Promise<BatchResult[]> {
  const results: (BatchResult | undefined)[] = new Array(items.length);
  const records: OutgoingRecord[] = [];
  const index: number[] = [];
  items.forEach((item, i) => {
    try {
      records.push(prepare(item));
      index.push(i);
    } catch (err) {
      results[i] = { ok: false, error: err as Error };
    }
  });
  if (records.length > 0) {
    try {
      const metas = await sendMany(records);
      metas.forEach((metadata, j) => {
        results[index[j]!] = { ok: true, metadata };
      });
    } catch (err) {
      for (const i of index) results[i] = { ok: false, error: err as Error };
    }
  }
  return results as BatchResult[];
}
