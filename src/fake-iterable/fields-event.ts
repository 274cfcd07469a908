/**
 * Value generators for the fields Iterable's event types share (identity,
 * campaign references, message ids, devices, places, channel specifics).
 * A generator returns the value, null, or undefined for "field absent".
 */
import { CHANNEL_IDS } from "./campaigns.js";
import type { RecordContext } from "./context.js";
import { hex8 } from "./ids.js";
import { firstName, phoneOf, placeOf } from "./people.js";
import { hash32 } from "./prng.js";
import { DAY_MS, exportTime } from "./time.js";
import { PLATFORMS, SKIP_REASONS, UNSUB_SOURCES, USER_AGENTS, SIGNUP_SOURCES } from "./vocab.js";

export type Gen = (c: RecordContext) => unknown;

/** A time `backMs` before the record, never before the data starts. */
export function before(c: RecordContext, backMs: number): string {
  return exportTime(Math.max(c.cfg.dataStart, c.t - backMs));
}

function deviceInfo(c: RecordContext): Record<string, unknown> {
  const platform = PLATFORMS[(hash32(c.cfg.seed, c.user, 77) % PLATFORMS.length)] as string;
  return {
    deviceId: hex8(hash32(c.cfg.seed, c.user, 78)).toUpperCase() + "-4F89-11D3-9A0C-" + hex8(c.user).toUpperCase() + "0000",
    platform,
    appPackageName: "com.example.app",
  };
}

/** The triggering events of triggered sends: a fixed pool, so no record pays for building one. */
const TRANSACTIONAL: readonly Record<string, unknown>[] = Array.from({ length: 32 }, (_, i) => ({
  eventName: i % 3 === 0 ? "orderShipped" : "passwordReset",
  orderId: `A-${100_231 + i * 7919}`,
  // ASCII only: a character above U+00FF makes V8 hold a whole chunk as two-byte text (half the throughput), and any
  // non-ASCII character slows UTF-8 encoding; emailSend, the benchmark type, stays ASCII.
  note: i % 4 === 0 ? "Gift for \"Mom\"" : "Leave at the door\\back",
  items: 1 + (i % 4),
}));
const TRANSACTIONAL_TEXT: readonly string[] = TRANSACTIONAL.map((t) => JSON.stringify(t));

function transactional(c: RecordContext): Record<string, unknown> {
  return { ...c.rng.pick(TRANSACTIONAL) };
}

const campaignId: Gen = (c) => c.campaign?.id ?? null;
const templateId: Gen = (c) => c.campaign?.templateId ?? null;
const messageTypeId: Gen = (c) => c.campaign?.messageTypeId ?? null;
const channelId: Gen = (c) => (c.campaign ? CHANNEL_IDS[c.campaign.messageMedium] : null);
const smallCount: Gen = (c) => (c.rng.float() < 0.8 ? 0 : c.rng.int(5));
const url: Gen = (c) => `https://shop.example.com/p/sku-${1001 + c.rng.int(7)}?utm_source=iterable&utm_campaign=${c.campaign?.id ?? 0}`;
const phone: Gen = (c) => phoneOf(c.cfg.seed, c.user);
const businessPhone: Gen = (c) => `+1888555${String(100 + (c.cfg.seed % 900)).padStart(4, "0")}`;
const sentAt: Gen = (c) => before(c, 1000 + c.rng.int(600_000));

/** Generators by field name, shared by every event type that has the field. */
export const EVENT_FIELDS: Record<string, Gen> = {
  createdAt: (c) => c.ts,
  email: (c) => c.email(),
  userId: (c) => c.userId(),
  itblUserId: (c) => (c.user % 5 === 0 ? hex8(hash32(c.cfg.seed, c.user, 5)) + hex8(c.user) : undefined),
  campaignId,
  templateId,
  messageId: (c) => c.hexId(),
  /** The key the fake adds to types that have no unique field. */
  id: (c) => c.uuid(),
  messageBusId: (c) => `0100${hex8(c.t / 1000)}${c.messageId().slice(0, 4)}-${c.messageId()}-000000`,
  messageTypeId,
  channelId,
  contentId: (c) => (c.campaign ? c.campaign.templateId * 4 + 1 : null),
  catalogCollectionCount: smallCount,
  catalogLookupCount: smallCount,
  productRecommendationCount: smallCount,
  espName: (c) => c.rng.pick(["SparkPost", "SendGrid", "Iterable", "Amazon SES"]),
  transactionalData: (c) => (c.campaign?.type === "Triggered" ? c.rng.pick(TRANSACTIONAL_TEXT) : undefined),
  ip: (c) => `${10 + c.rng.int(200)}.${c.rng.int(256)}.${c.rng.int(256)}.${1 + c.rng.int(254)}`,
  userAgent: (c) => (USER_AGENTS[c.user % USER_AGENTS.length] as { agent: string }).agent,
  userAgentDevice: (c) => (USER_AGENTS[c.user % USER_AGENTS.length] as { device: string }).device,
  city: (c) => placeOf(c.cfg.seed, c.user).city,
  region: (c) => placeOf(c.cfg.seed, c.user).region,
  country: (c) => placeOf(c.cfg.seed, c.user).country,
  proxySource: (c) => (c.user % USER_AGENTS.length === 0 ? "Gmail" : undefined),
  isBot: (c) => c.rng.chance(0.03),
  url,
  hrefIndex: (c) => c.rng.int(6),
  recipientState: (c) => c.rng.pick(["HardBounce", "SoftBounce", "Unknown"]),
  status: (c) => c.rng.pick(["5.1.1", "4.2.2", "5.7.1"]),
  reason: (c) => c.rng.pick(SKIP_REASONS),
  platformEndpoint: (c) => `arn:aws:sns:us-east-1:123456789012:endpoint/APNS/com.example.app/${hex8(hash32(c.cfg.seed, c.user, 9))}`,
  notificationsEnabled: (c) => c.rng.chance(0.9),
  sentAt,
  appAlreadyRunning: (c) => c.rng.chance(0.3),
  actionIdentifier: (c) => c.rng.pick(["default", "open_cart", "dismiss"]),
  expiresAt: (c) => exportTime(c.t + 30 * DAY_MS),
  priorityLevel: (c) => c.rng.pick([100.5, 200.5, 300.5, 400.5]),
  messageContext: (c) => ({ saveToInbox: c.rng.chance(0.7), silentInbox: c.rng.chance(0.1), location: c.rng.pick(["in-app", "inbox"]) }),
  deviceInfo,
  clickedUrl: url,
  closeAction: (c) => c.rng.pick(["back", "link", "delete"]),
  inboxSessionId: (c) => c.uuid(2),
  deleteAction: (c) => c.rng.pick(["inbox-swipe", "delete-button"]),
  inboxSessionStart: (c) => before(c, 60_000 + c.rng.int(600_000)),
  inboxSessionEnd: (c) => c.ts,
  startTotalMessageCount: (c) => 5 + c.rng.int(20),
  endTotalMessageCount: (c) => c.rng.int(20),
  startUnreadMessageCount: (c) => c.rng.int(10),
  endUnreadMessageCount: (c) => c.rng.int(5),
  impressions: (c) => [{ messageId: c.hexId(3), silentInbox: false, displayCount: 1 + c.rng.int(3), displayDuration: c.rng.int(5000) / 100 }],
  fromSMSSenderId: (c) => 250 + (c.cfg.seed % 10),
  toPhoneNumber: phone,
  renderedSmsMessage: (c) =>
    `Hi ${firstName(c.cfg.seed, c.user).display}, your order has shipped! Track it: https://ex.co/t/${hex8(hash32(c.index, c.hour)).slice(0, 5)} Reply "STOP" to opt out`,
  smsSendCount: (c) => 1 + (c.rng.chance(0.1) ? 1 : 0),
  mmsSendCount: (c) => (c.rng.chance(0.05) ? 1 : 0),
  isSMSEstimation: () => false,
  billingParty: (c) => c.rng.pick(["Iterable", "Customer"]),
  espAccountId: () => "AC1f2e3d4c5b6a79880f1e2d3c4b5a6978",
  smsProviderResponse: () => ({
    status: 400,
    code: 21211,
    message: "The 'To' number is not a valid phone number.",
    more_info: "https://www.twilio.com/docs/errors/21211",
  }),
  fromPhoneNumber: phone,
  smsMessage: (c) => c.rng.pick(["STOP", "Yes", "Merci 🙏", "When does it arrive?"]),
  smsReceiveCount: () => 1,
  mmsReceiveCount: () => 0,
  senderPhoneNumberType: (c) => c.rng.pick(["TollFree", "LongCode", "ShortCode"]),
  recipientCountryName: (c) => placeOf(c.cfg.seed, c.user).country,
  recipientCountryCallingCode: (c) => placeOf(c.cfg.seed, c.user).callingCode,
  signupSource: (c) => c.rng.pick(SIGNUP_SOURCES),
  emailListIds: (c) => (c.world.lists.length > 0 ? [c.rng.pick(c.world.lists).id] : []),
  channelIds: (c) => (c.rng.chance(0.5) ? [CHANNEL_IDS.Email] : []),
  messageTypeIds: () => [],
  emailListId: (c) => (c.world.lists.length > 0 ? c.rng.pick(c.world.lists).id : null),
  workflowId: (c) => c.campaign?.workflowId ?? null,
  profileUpdatedAt: (c) => c.ts,
  unsubSource: (c) => c.rng.pick(UNSUB_SOURCES),
  bounceMessage: (c) => c.rng.pick(["550 5.1.1 <user>: Recipient address rejected", "Mailbox full"]),
  embeddedButtonId: (c) => c.rng.pick(["", "shop-now", "learn-more"]),
  embeddedTargetUrl: url,
  session: (c) => ({ id: c.uuid(3), start: before(c, 360_000), end: c.ts }),
  toWhatsAppPhoneNumber: phone,
  messageStatus: () => "failed",
  errorCode: (c) => c.rng.pick([131026, 131047, 131051]),
  replyToMessageId: (c) => c.hexId(4),
  attributionType: (c) => c.rng.pick(["Reply", "Organic"]),
  fromWhatsAppPhoneNumber: phone,
  receivedAt: (c) => c.ts,
  whatsAppMessage: (c) => ({ type: "text", text: c.rng.pick(["Thanks! When will it arrive?", "¿Dónde está mi pedido?", "👍"]) }),
  sanitized: () => ({ inputText: "thanks when will it arrive" }),
  seenMessageId: (c) => c.hexId(4),
  seenAt: (c) => c.ts,
  fromWhatsAppSenderId: (c) => 410 + (c.cfg.seed % 10),
  renderedWhatsAppMessage: (c) => `Hi ${firstName(c.cfg.seed, c.user).display}, your order has shipped.`,
};

/** Per-type replacements where a type means something else by a field. */
export const EVENT_OVERRIDES: Record<string, Record<string, Gen>> = {
  emailComplaint: { recipientState: () => "Complaint" },
  emailUnSubscribe: {
    recipientState: (c) => (c.variant === 1 ? "HardBounce" : undefined),
    status: (c) => (c.variant === 1 ? "5.1.1" : undefined),
    unsubSource: (c) => (c.variant === 1 ? "HardBounce" : c.rng.pick(UNSUB_SOURCES)),
    channelId: (c) => (c.rng.chance(0.5) ? CHANNEL_IDS.Email : null),
    messageId: (c) => c.hexId(),
  },
  pushSendSkip: { reason: (c) => c.rng.pick(["NoDeviceToken", "PushDisabled", "FrequencyCapped"]) },
  smsSendSkip: { reason: (c) => c.rng.pick(["NoPhoneNumber", "QuietHours", "Unsubscribed"]) },
  webPushSendSkip: { reason: (c) => c.rng.pick(["NoBrowserToken", "FrequencyCapped"]) },
  inAppSendSkip: { reason: (c) => c.rng.pick(["FrequencyCapped", "MessageTypeUnsubscribed"]) },
  whatsAppSendSkip: { reason: (c) => c.rng.pick(["NoWhatsAppPhoneNumber", "Unsubscribed"]), transactionalData: (c) => transactional(c) },
  whatsAppSend: { espAccountId: () => 102938, espName: () => "Meta", billingParty: () => "Customer", transactionalData: (c) => transactional(c) },
  whatsAppSeen: { espAccountId: () => 102938, espName: () => "Meta", fromWhatsAppPhoneNumber: businessPhone },
  whatsAppReceived: { espAccountId: () => "102938", espName: () => "Meta", toWhatsAppPhoneNumber: businessPhone },
  smsReceived: { espName: () => "Twilio", toPhoneNumber: businessPhone },
  smsSend: { espName: () => "Twilio" },
  embeddedClick: { deviceInfo: (c) => ({ ...deviceInfo(c), platform: "Web" }) },
};
