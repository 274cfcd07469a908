/** Members of a list, as GET /api/lists/getUsers serves them. */
import { isMember } from "./lists.js";
import type { GeneratorConfig } from "./options.js";
import { userEmail, userIdOf } from "./people.js";
import { worldFor } from "./world.js";

/**
 * The identifiers of list `listId`'s members in user order: emails, or with
 * `preferUserId` the userId of members that have one. Throws when the list
 * does not exist.
 */
export function* listMembers(cfg: GeneratorConfig, listId: number, preferUserId: boolean): Generator<string> {
  const list = worldFor(cfg).listsById.get(listId);
  if (!list) throw new Error(`unknown list ${listId}`);
  for (let u = 0; u < cfg.users; u++) {
    if (!isMember(cfg.seed, list, u)) continue;
    const id = preferUserId ? userIdOf(cfg.seed, u) : null;
    yield id ?? userEmail(cfg.seed, u);
  }
}
