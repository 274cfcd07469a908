/**
 * Project-specific fields that Iterable flattens to the top level: custom
 * event data (varying by eventName), purchase data fields and cart items, and
 * the profile fields an emailSubscribe row carries.
 */
import type { CartItem, RecordContext } from "./context.js";
import type { Gen } from "./fields-event.js";
import { firstName, placeOf } from "./people.js";
import { PRODUCTS, REVIEW_TEXTS, SEARCH_QUERIES } from "./vocab.js";

interface EventVariant {
  name: string;
  fields: readonly string[];
}

/** The custom events of the fake project; each carries its own data fields. */
export const CUSTOM_EVENTS: readonly EventVariant[] = [
  { name: "addToWishlist", fields: ["productId", "price", "source"] },
  { name: "appOpened", fields: ["appVersion", "platform", "source"] },
  { name: "searched", fields: ["searchQuery", "resultCount"] },
  { name: "pageViewed", fields: ["pageUrl", "referrer", "durationSec"] },
  { name: "reviewSubmitted", fields: ["productId", "rating", "reviewText", "tags"] },
  { name: "levelUp", fields: ["level", "character", "achievements", "meta"] },
];

const CUSTOM_VALUES: Record<string, Gen> = {
  productId: (c) => c.rng.pick(PRODUCTS).id,
  price: (c) => c.rng.pick(PRODUCTS).price,
  source: (c) => c.rng.pick(["ios", "android", "web"]),
  appVersion: (c) => `3.${c.rng.int(12)}.${c.rng.int(5)}`,
  platform: (c) => c.rng.pick(["iOS", "Android"]),
  searchQuery: (c) => c.rng.pick(SEARCH_QUERIES),
  resultCount: (c) => c.rng.int(250),
  pageUrl: (c) => `https://shop.example.com/c/${c.rng.pick(["sale", "new", "café"])}`,
  referrer: (c) => (c.rng.chance(0.3) ? null : c.rng.pick(["https://www.google.com/", "https://t.co/x1"])),
  durationSec: (c) => c.rng.int(60_000) / 100,
  rating: (c) => 1 + c.rng.int(5),
  reviewText: (c) => c.rng.pick(REVIEW_TEXTS),
  tags: (c) => (c.rng.chance(0.5) ? ["gift", "sale"] : []),
  level: (c) => 1 + c.rng.int(99),
  character: (c) => `${firstName(c.cfg.seed, c.user).display} the ${c.rng.pick(["Brave", "Wise", "Swift 🏃"])}`,
  achievements: (c) => Array.from({ length: c.rng.int(3) }, (_, i) => ({ id: i + 1, title: c.rng.pick(["First win", "Combo ×3", "Night owl 🦉"]) })),
  meta: (c) => ({ device: { os: c.rng.pick(["iOS", "Android"]), beta: c.rng.chance(0.1) }, coins: c.rng.int(10_000), note: null }),
};

/** Union of custom event fields in first-seen order. */
export const CUSTOM_EVENT_FIELDS: readonly string[] = [...new Set(CUSTOM_EVENTS.flatMap((e) => e.fields))];

/** Generators of the custom fields of customEvent: each is absent unless the record's eventName carries it. */
export const CUSTOM_EVENT_GENS: Record<string, Gen> = Object.fromEntries(
  CUSTOM_EVENT_FIELDS.map((name) => {
    const value = CUSTOM_VALUES[name] as Gen;
    const carriers = new Set(CUSTOM_EVENTS.flatMap((e, i) => (e.fields.includes(name) ? [i] : [])));
    const gen: Gen = (c) => (carriers.has(c.variant) ? value(c) : undefined);
    return [name, gen];
  }),
);

export function prepareCustomEvent(c: RecordContext): void {
  c.variant = c.rng.int(CUSTOM_EVENTS.length);
}

export const CUSTOM_EVENT_OVERRIDES: Record<string, Gen> = {
  eventName: (c) => (CUSTOM_EVENTS[c.variant] as EventVariant).name,
  eventUpdatedAt: (c) => c.ts,
  id: (c) => c.uuid(),
};

export function prepareCart(c: RecordContext): void {
  const n = 1 + c.rng.int(3);
  const items: CartItem[] = [];
  for (let i = 0; i < n; i++) {
    const p = c.rng.pick(PRODUCTS);
    items.push({
      id: p.id,
      sku: p.sku,
      name: p.name,
      price: p.price,
      quantity: 1 + c.rng.int(3),
      categories: [...p.categories],
      url: `https://shop.example.com/p/${p.id}`,
      imageUrl: `https://cdn.example.com/p/${p.id}.jpg`,
    });
  }
  c.items = items;
}

function column<K extends keyof CartItem>(key: K): Gen {
  return (c) => c.items.map((item) => item[key]);
}

export const PURCHASE_CUSTOM_FIELDS: readonly string[] = ["orderId", "couponCode", "storeLocation"];

export const PURCHASE_OVERRIDES: Record<string, Gen> = {
  id: (c) => c.uuid(),
  total: (c) => Math.round(c.items.reduce((sum, i) => sum + i.price * i.quantity, 0) * 100) / 100,
  eventName: () => null,
  shoppingCartItems: (c) => c.items.map((i) => ({ ...i, categories: [...i.categories] })),
  "shoppingCartItems.id": column("id"),
  "shoppingCartItems.sku": column("sku"),
  "shoppingCartItems.name": column("name"),
  "shoppingCartItems.price": column("price"),
  "shoppingCartItems.quantity": column("quantity"),
  "shoppingCartItems.categories": (c) => c.items.map((i) => [...i.categories]),
  "shoppingCartItems.url": column("url"),
  "shoppingCartItems.imageUrl": column("imageUrl"),
  orderId: (c) => `A-${c.hour % 100_000}${String(c.index).padStart(5, "0")}`,
  couponCode: (c) => (c.rng.chance(0.2) ? c.rng.pick(["WELCOME10", "ÉTÉ-2025"]) : undefined),
  storeLocation: (c) => (c.rng.chance(0.5) ? placeOf(c.cfg.seed, c.user).city : null),
};

export const SUBSCRIBE_CUSTOM_FIELDS: readonly string[] = ["firstName", "isVip"];

export const SUBSCRIBE_OVERRIDES: Record<string, Gen> = {
  id: (c) => c.uuid(),
  firstName: (c) => firstName(c.cfg.seed, c.user).display,
  isVip: (c) => (c.rng.chance(0.5) ? c.rng.chance(0.2) : undefined),
};
