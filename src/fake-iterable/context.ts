/**
 * The state one record is generated from: its coordinates (type, hour, index
 * within the hour), its time, its user and campaign, and a PRNG reseeded for
 * it. One context is reused for all records of a cursor.
 */
import type { FakeCampaign } from "./campaigns.js";
import { uniqueHex, uniqueUuid } from "./ids.js";
import type { GeneratorConfig } from "./options.js";
import { Rng } from "./prng.js";
import { userEmail, userIdOf } from "./people.js";
import { EMAIL_CACHE_USERS, type World } from "./world.js";

export interface CartItem {
  id: string;
  sku: string;
  name: string;
  price: number;
  quantity: number;
  categories: string[];
  url: string;
  imageUrl: string;
}

export class RecordContext {
  readonly rng = new Rng();
  /** Coordinates: unique per record of a seed. */
  hour = 0;
  index = 0;
  /** Record time (createdAt or profileUpdatedAt), epoch ms, whole seconds. */
  t = 0;
  /** The record time in export form, computed once per record. */
  ts = "";
  user = 0;
  /** Users: which profile version of `user` the record is (0 = the first). */
  version = 0;
  /** Users: when the user's first profile version was written, epoch ms (its signup date derives from it). */
  firstT = 0;
  campaign: FakeCampaign | undefined;
  /** Variant of a custom event (index into the event catalogue). */
  variant = 0;
  items: CartItem[] = [];

  constructor(
    readonly cfg: GeneratorConfig,
    readonly world: World,
    readonly typeIndex: number,
  ) {}

  private messageIdOf = -1;
  private messageIdHex = "";

  /** 32 hex characters unique to this record (and to `salt`, 0–63). */
  hexId(salt = 0): string {
    if (salt === 0) return this.messageId();
    return uniqueHex(this.hour, this.index, this.typeIndex + salt * 64, this.cfg.seed);
  }

  /** The record's messageId (computed once per record). */
  messageId(): string {
    const serial = this.hour * 4294967296 + this.index;
    if (serial !== this.messageIdOf) {
      this.messageIdOf = serial;
      this.messageIdHex = uniqueHex(this.hour, this.index, this.typeIndex, this.cfg.seed);
    }
    return this.messageIdHex;
  }

  /** The record's user's email. */
  email(): string {
    const u = this.user;
    if (u >= EMAIL_CACHE_USERS) return userEmail(this.cfg.seed, u);
    const cache = this.world.emails;
    const hit = cache[u] as string;
    return hit !== "" ? hit : (cache[u] = userEmail(this.cfg.seed, u));
  }

  /** The record's user's userId (null for users known by email only). */
  userId(): string | null {
    const u = this.user;
    if (u >= EMAIL_CACHE_USERS) return userIdOf(this.cfg.seed, u);
    const cache = this.world.userIds;
    const hit = cache[u] as string | null;
    return hit !== "" ? hit : (cache[u] = userIdOf(this.cfg.seed, u));
  }

  /** A UUID-shaped id unique to this record (and to `salt`, 0–63). */
  uuid(salt = 0): string {
    return uniqueUuid(this.hour, this.index, this.typeIndex + (salt + 32) * 64, this.cfg.seed);
  }
}
