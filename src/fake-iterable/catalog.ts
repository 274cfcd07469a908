/**
 * The record shapes of Iterable's export types, copied from
 * shared/iterable-fields.json (the catalog is not read at runtime). A type
 * string is `timestamp` (`yyyy-MM-dd HH:mm:ss +00:00`), string, integer,
 * number, boolean, object or array; a trailing `?` marks a nullable or
 * optional field.
 */
import type { ExportDataType } from "../iterable/types.js";

export type CatalogType = "timestamp" | "string" | "integer" | "number" | "boolean" | "object" | "array";

export const CATALOG: Readonly<Record<ExportDataType, Readonly<Record<string, string>>>> = {
  emailSend: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer",
    templateId: "integer", messageId: "string", messageBusId: "string?", messageTypeId: "integer",
    channelId: "integer", contentId: "integer?", catalogCollectionCount: "integer?", catalogLookupCount: "integer?",
    productRecommendationCount: "integer?", espName: "string?", transactionalData: "string?", itblInternal: "object?",
  },
  emailOpen: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer",
    templateId: "integer", messageId: "string", ip: "string?", userAgent: "string?", userAgentDevice: "string?",
    city: "string?", region: "string?", country: "string?", contentId: "integer?", proxySource: "string?",
    isBot: "boolean?", itblInternal: "object?",
  },
  emailClick: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer",
    templateId: "integer", messageId: "string", url: "string", hrefIndex: "integer?", contentId: "integer?",
    ip: "string?", userAgent: "string?", userAgentDevice: "string?", city: "string?", region: "string?",
    country: "string?", isBot: "boolean?", itblInternal: "object?",
  },
  hostedUnsubscribeClick: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", itblInternal: "object?",
  },
  emailComplaint: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", recipientState: "string?", itblInternal: "object?",
  },
  emailBounce: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", recipientState: "string?", status: "string?",
    itblInternal: "object?",
  },
  emailSendSkip: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", messageTypeId: "integer?", channelId: "integer?",
    contentId: "integer?", reason: "string?", transactionalData: "string?", itblInternal: "object?",
  },
  pushSend: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer",
    templateId: "integer", messageId: "string", channelId: "integer?", messageTypeId: "integer?",
    contentId: "integer?", platformEndpoint: "string?", notificationsEnabled: "boolean?",
    catalogLookupCount: "integer?", catalogCollectionCount: "integer?", productRecommendationCount: "integer?",
    transactionalData: "string?", itblInternal: "object?",
  },
  pushOpen: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer",
    templateId: "integer", messageId: "string", sentAt: "timestamp?", appAlreadyRunning: "boolean?",
    actionIdentifier: "string?", itblInternal: "object?",
  },
  pushUninstall: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", itblInternal: "object?",
  },
  pushBounce: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", channelId: "integer?", messageTypeId: "integer?",
    itblInternal: "object?",
  },
  pushSendSkip: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", channelId: "integer?", messageTypeId: "integer?", reason: "string?",
    itblInternal: "object?",
  },
  inAppSend: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string", channelId: "integer?", messageTypeId: "integer?",
    contentId: "integer?", expiresAt: "timestamp?", priorityLevel: "number?", catalogLookupCount: "integer?",
    catalogCollectionCount: "integer?", productRecommendationCount: "integer?", messageContext: "object?",
    itblInternal: "object?",
  },
  inAppOpen: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string", expiresAt: "timestamp?", deviceInfo: "object?",
    messageContext: "object?", itblInternal: "object?",
  },
  inAppClick: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string", clickedUrl: "string?", sentAt: "timestamp?", expiresAt: "timestamp?",
    deviceInfo: "object?", messageContext: "object?", itblInternal: "object?",
  },
  inAppClose: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string", expiresAt: "timestamp?", deviceInfo: "object?",
    messageContext: "object?", closeAction: "string?", clickedUrl: "string?", inboxSessionId: "string?",
    itblInternal: "object?",
  },
  inAppDelete: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string", expiresAt: "timestamp?", deviceInfo: "object?",
    messageContext: "object?", deleteAction: "string?", itblInternal: "object?",
  },
  inAppDelivery: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string", expiresAt: "timestamp?", deviceInfo: "object?",
    messageContext: "object?", itblInternal: "object?",
  },
  inAppSendSkip: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string", channelId: "integer?", messageTypeId: "integer?", reason: "string?",
    itblInternal: "object?",
  },
  inAppRecall: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", itblInternal: "object?",
  },
  inboxSession: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", inboxSessionId: "string?",
    inboxSessionStart: "timestamp?", inboxSessionEnd: "timestamp?", startTotalMessageCount: "integer?",
    endTotalMessageCount: "integer?", startUnreadMessageCount: "integer?", endUnreadMessageCount: "integer?",
    impressions: "array?", deviceInfo: "object?", itblInternal: "object?",
  },
  inboxMessageImpression: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", itblInternal: "object?",
  },
  smsSend: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer",
    templateId: "integer", messageId: "string", messageBusId: "string?", messageTypeId: "integer?",
    channelId: "integer?", contentId: "integer?", fromSMSSenderId: "integer?", toPhoneNumber: "string?",
    renderedSmsMessage: "string?", smsSendCount: "integer?", mmsSendCount: "integer?", isSMSEstimation: "boolean?",
    billingParty: "string?", espName: "string?", espAccountId: "string?", catalogLookupCount: "integer?",
    catalogCollectionCount: "integer?", productRecommendationCount: "integer?", transactionalData: "string?",
    itblInternal: "object?",
  },
  smsBounce: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", messageTypeId: "integer?", channelId: "integer?",
    contentId: "integer?", fromSMSSenderId: "integer?", toPhoneNumber: "string?", smsProviderResponse: "object?",
    itblInternal: "object?",
  },
  smsClick: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer",
    templateId: "integer", messageId: "string", clickedUrl: "string", isBot: "boolean?", messageTypeId: "integer?",
    channelId: "integer?", contentId: "integer?", itblInternal: "object?",
  },
  smsReceived: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", fromPhoneNumber: "string?",
    toPhoneNumber: "string?", smsMessage: "string?", smsReceiveCount: "integer?", mmsReceiveCount: "integer?",
    senderPhoneNumberType: "string?", recipientCountryName: "string?", recipientCountryCallingCode: "string?",
    espName: "string?", espAccountId: "string?", billingParty: "string?",
  },
  smsSendSkip: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", messageTypeId: "integer?", channelId: "integer?",
    contentId: "integer?", reason: "string?", itblInternal: "object?",
  },
  webPushSend: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer",
    templateId: "integer", messageId: "string", channelId: "integer?", messageTypeId: "integer?",
    contentId: "integer?", catalogLookupCount: "integer?", catalogCollectionCount: "integer?",
    productRecommendationCount: "integer?", itblInternal: "object?",
  },
  webPushClick: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer",
    templateId: "integer", messageId: "string", itblInternal: "object?",
  },
  webPushSendSkip: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", channelId: "integer?", messageTypeId: "integer?", reason: "string?",
    itblInternal: "object?",
  },
  rcsSend: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", itblInternal: "object?",
  },
  rcsSendSkip: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", itblInternal: "object?",
  },
  emailSubscribe: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", signupSource: "string?",
    emailListIds: "array", channelIds: "array?", messageTypeIds: "array?", emailListId: "integer?",
    workflowId: "integer?", campaignId: "integer?", templateId: "integer?", profileUpdatedAt: "timestamp?",
    itblInternal: "object?",
  },
  emailUnSubscribe: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", unsubSource: "string?",
    emailListIds: "array?", channelIds: "array?", messageTypeIds: "array?", emailListId: "integer?",
    channelId: "integer?", workflowId: "integer?", campaignId: "integer?", templateId: "integer?",
    messageId: "string?", recipientState: "string?", status: "string?", bounceMessage: "string?",
    itblInternal: "object?",
  },
  purchase: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", id: "string?",
    campaignId: "integer?", templateId: "integer?", total: "number", eventName: "string?", shoppingCartItems: "array",
    "shoppingCartItems.id": "array?", "shoppingCartItems.sku": "array?", "shoppingCartItems.name": "array?",
    "shoppingCartItems.price": "array?", "shoppingCartItems.quantity": "array?",
    "shoppingCartItems.categories": "array?", "shoppingCartItems.url": "array?",
    "shoppingCartItems.imageUrl": "array?", itblInternal: "object?",
  },
  customEvent: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", eventName: "string",
    eventUpdatedAt: "timestamp?", id: "string?", campaignId: "integer?", templateId: "integer?",
    itblInternal: "object?",
  },
  user: {
    email: "string?", userId: "string?", itblUserId: "string?", signupDate: "timestamp?", signupSource: "string?",
    profileUpdatedAt: "timestamp", emailListIds: "array", subscribedMessageTypeIds: "array?",
    unsubscribedChannelIds: "array", unsubscribedMessageTypeIds: "array", userListIds: "array?",
    phoneNumber: "string?", whatsAppPhoneNumber: "string?", phoneNumberDetails: "object?", locale: "string?",
    timeZone: "string?", country: "string?", region: "string?", city: "string?", ip: "string?", devices: "array?",
    receivedSMSDisclaimer: "boolean?", profile: "object?", "itblInternal.emailDomain": "string?",
    "itblInternal.documentCreatedAt": "timestamp?", "itblInternal.documentUpdatedAt": "timestamp?",
    "itblInternal.isUnknownUser": "boolean?", "itblInternal.phoneCountry": "string?",
    "itblInternal.phoneType": "string?", "itblDS.brandAffinityLabel": "string?", firstName: "string?",
    lastName: "string?",
  },
  smsUsageInfo: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", itblInternal: "object?",
  },
  embeddedSend: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", itblInternal: "object?",
  },
  embeddedSendSkip: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", itblInternal: "object?",
  },
  embeddedClick: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string", embeddedButtonId: "string?", embeddedTargetUrl: "string?",
    deviceInfo: "object?", itblInternal: "object?",
  },
  embeddedReceived: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string", deviceInfo: "object?", itblInternal: "object?",
  },
  embeddedImpression: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", itblInternal: "object?",
  },
  embeddedSession: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", session: "object?",
    impressions: "array?", deviceInfo: "object?", itblInternal: "object?",
  },
  unknownSession: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", itblInternal: "object?",
  },
  journeyExit: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", itblInternal: "object?",
  },
  whatsAppBounce: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", messageTypeId: "integer?", channelId: "integer?",
    contentId: "integer?", toWhatsAppPhoneNumber: "string?", messageStatus: "string?", errorCode: "integer?",
  },
  whatsAppClick: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", clickedUrl: "string?", userAgent: "string?",
    userAgentDevice: "string?",
  },
  whatsAppReceived: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", replyToMessageId: "string?", attributionType: "string?",
    fromWhatsAppPhoneNumber: "string?", toWhatsAppPhoneNumber: "string?", receivedAt: "timestamp?",
    whatsAppMessage: "object?", sanitized: "object?", espName: "string?", espAccountId: "string?",
  },
  whatsAppSeen: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", seenMessageId: "string?", fromWhatsAppPhoneNumber: "string?",
    toWhatsAppPhoneNumber: "string?", seenAt: "timestamp?", sentAt: "timestamp?", espName: "string?",
    espAccountId: "integer?",
  },
  whatsAppSend: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer",
    templateId: "integer", messageId: "string", messageTypeId: "integer?", channelId: "integer?",
    contentId: "integer?", fromWhatsAppSenderId: "integer?", toWhatsAppPhoneNumber: "string?",
    renderedWhatsAppMessage: "string?", billingParty: "string?", espName: "string?", espAccountId: "integer?",
    catalogLookupCount: "integer?", catalogCollectionCount: "integer?", productRecommendationCount: "integer?",
    transactionalData: "object?",
  },
  whatsAppSendSkip: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", messageTypeId: "integer?", channelId: "integer?",
    contentId: "integer?", reason: "string?", espName: "string?", transactionalData: "object?",
  },
  whatsAppUsageInfo: {
    createdAt: "timestamp", email: "string?", userId: "string?", itblUserId: "string?", campaignId: "integer?",
    templateId: "integer?", messageId: "string?", itblInternal: "object?",
  },
};
