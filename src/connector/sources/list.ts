import type { IterableClient } from "../../iterable/index.js";
import type { LoadConfig } from "../config.js";
import { fixedPlan, type Source, type SourceRecord } from "./source.js";

/**
 * `list`: the members of one list (GET /api/lists/getUsers, 5 requests/min),
 * one row per member: `list_id`, and `email` or `user_id` (with prefer_user_id,
 * Iterable returns the userId of members that have one). One slice: a list is
 * a snapshot.
 */
export function listSource(config: LoadConfig, client: IterableClient): Source {
  const listId = config.in.list_id as number;
  const preferUserId = config.in.prefer_user_id;
  return {
    endpoint: "lists/getUsers",
    epochMillisFields: false,
    description: `list ${listId} members${preferUserId ? " (prefer user id)" : ""}`,
    slices: fixedPlan([
      {
        id: `list:${listId}`,
        label: `list ${listId}`,
        cursor: null,
        async *read(o) {
          for await (const batch of client.listUsersBatches(listId, { preferUserId, ...o })) {
            yield batch.map((id): SourceRecord =>
              preferUserId && !id.includes("@") ? { list_id: listId, email: null, user_id: id } : { list_id: listId, email: id, user_id: null },
            );
          }
        },
      },
    ]),
  };
}
