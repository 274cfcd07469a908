/**
 * Word lists the generator draws from. Display names carry unicode (Zoë, 東京,
 * emoji) and a few characters JSON and CSV must escape; the `ascii` forms are
 * what emails are built from, so emails never need escaping.
 */

export interface Name {
  display: string;
  ascii: string;
}

export const FIRST_NAMES: readonly Name[] = [
  { display: "Jane", ascii: "jane" },
  { display: "Zoë", ascii: "zoe" },
  { display: "José", ascii: "jose" },
  { display: "美咲", ascii: "misaki" },
  { display: "Łukasz", ascii: "lukasz" },
  { display: "Anaïs", ascii: "anais" },
  { display: "Søren", ascii: "soren" },
  { display: "Maria", ascii: "maria" },
  { display: "Олег", ascii: "oleg" },
  { display: "Chloé", ascii: "chloe" },
  { display: "Dana", ascii: "dana" },
  { display: "Mohammed", ascii: "mohammed" },
  { display: "Siobhán", ascii: "siobhan" },
  { display: "Ji-woo", ascii: "jiwoo" },
  { display: "Björn", ascii: "bjorn" },
  { display: "Priya", ascii: "priya" },
  { display: "Kai 🌊", ascii: "kai" },
  { display: "Noah", ascii: "noah" },
  { display: "Emma", ascii: "emma" },
  { display: "Yusuf", ascii: "yusuf" },
];

export const LAST_NAMES: readonly Name[] = [
  { display: "Doe", ascii: "doe" },
  { display: "O'Brien", ascii: "obrien" },
  { display: "Müller", ascii: "muller" },
  { display: "García", ascii: "garcia" },
  { display: "佐藤", ascii: "sato" },
  { display: "Kim", ascii: "kim" },
  { display: "Nowak", ascii: "nowak" },
  { display: "Lopez", ascii: "lopez" },
  { display: "Smith-Jones", ascii: "smithjones" },
  { display: "Ødegaard", ascii: "odegaard" },
  { display: "Nguyễn", ascii: "nguyen" },
  { display: "Іваненко", ascii: "ivanenko" },
  { display: "Rossi", ascii: "rossi" },
  { display: "\"Ace\" Walker", ascii: "walker" },
  { display: "Dubois", ascii: "dubois" },
  { display: "Singh", ascii: "singh" },
];

export const EMAIL_DOMAINS: readonly string[] = [
  "example.com",
  "mail.example.org",
  "example.net",
  "shop.example.co.jp",
  "example.de",
];

export interface Place {
  city: string;
  region: string;
  country: string;
  timeZone: string;
  locale: string;
  callingCode: string;
}

export const PLACES: readonly Place[] = [
  { city: "San Francisco", region: "CA", country: "United States", timeZone: "America/Los_Angeles", locale: "en_US", callingCode: "1" },
  { city: "New York", region: "NY", country: "United States", timeZone: "America/New_York", locale: "en_US", callingCode: "1" },
  { city: "東京", region: "13", country: "Japan", timeZone: "Asia/Tokyo", locale: "ja_JP", callingCode: "81" },
  { city: "São Paulo", region: "SP", country: "Brazil", timeZone: "America/Sao_Paulo", locale: "pt_BR", callingCode: "55" },
  { city: "Zürich", region: "ZH", country: "Switzerland", timeZone: "Europe/Zurich", locale: "de_CH", callingCode: "41" },
  { city: "Kraków", region: "12", country: "Poland", timeZone: "Europe/Warsaw", locale: "pl_PL", callingCode: "48" },
  { city: "Kyiv", region: "30", country: "Ukraine", timeZone: "Europe/Kyiv", locale: "uk_UA", callingCode: "380" },
  { city: "Montréal", region: "QC", country: "Canada", timeZone: "America/Toronto", locale: "fr_CA", callingCode: "1" },
  { city: "München", region: "BY", country: "Germany", timeZone: "Europe/Berlin", locale: "de_DE", callingCode: "49" },
  { city: "서울", region: "11", country: "South Korea", timeZone: "Asia/Seoul", locale: "ko_KR", callingCode: "82" },
  { city: "London", region: "ENG", country: "United Kingdom", timeZone: "Europe/London", locale: "en_GB", callingCode: "44" },
  { city: "Lomé", region: "TG", country: "Togo", timeZone: "Africa/Lome", locale: "fr_TG", callingCode: "228" },
];

export const USER_AGENTS: readonly { agent: string; device: string }[] = [
  { agent: "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", device: "Gmail" },
  { agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", device: "Windows" },
  { agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", device: "Mac" },
  { agent: "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", device: "Linux" },
  { agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148", device: "iPhone" },
  { agent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", device: "Other" },
];

export const PLATFORMS: readonly string[] = ["iOS", "Android", "Web"];

export const PRODUCTS: readonly { id: string; sku: string; name: string; price: number; categories: readonly string[] }[] = [
  { id: "sku-1001", sku: "TSHIRT-BLK-M", name: "Black T-Shirt", price: 19.99, categories: ["apparel", "tops"] },
  { id: "sku-1002", sku: "MUG-KAFFEE", name: "Kaffee-Tasse ☕", price: 12.5, categories: ["home"] },
  { id: "sku-1003", sku: "BAG-TOTE", name: "Tote \"Everyday\" Bag", price: 34, categories: ["accessories"] },
  { id: "sku-1004", sku: "TEA-MATCHA", name: "抹茶 Matcha 100g", price: 24.95, categories: ["food", "tea"] },
  { id: "sku-1005", sku: "SOCK-3PK", name: "Socks, 3-pack", price: 9.99, categories: ["apparel"] },
  { id: "sku-1006", sku: "LAMP-DESK", name: "Desk Lamp \\ Brass", price: 79, categories: ["home", "lighting"] },
  { id: "sku-1007", sku: "GIFT-CARD", name: "Gift Card 🎁", price: 50, categories: [] },
];

export const CAMPAIGN_WORDS: readonly string[] = [
  "Spring Sale 🌸",
  "Welcome, friend",
  "Rentrée — offres",
  "夏のセール",
  "Cart Reminder",
  "Win-back \"VIP\"",
  "Weekly Digest",
  "Black Friday",
  "Order Shipped",
  "Nouveautés",
  "Loyalty Points",
  "Re-engagement",
];

export const LABELS: readonly string[] = ["promo", "retention", "Q1, 2025", "transactional", "test \"A/B\"", "オンボーディング"];

export const LIST_NAMES: readonly string[] = [
  "Newsletter",
  "VIP customers ⭐",
  "Suppression — hard bounces",
  "Bêta testers",
  "Japan 日本",
  "Lapsed buyers, 90d",
  "Internal QA",
];

export const SEARCH_QUERIES: readonly string[] = [
  "red shoes",
  "shoes \"red\"",
  "C:\\temp\\file",
  "line one\nline two",
  "tab\tseparated",
  "🎉 party",
  "café au lait",
  "50% off, today",
  "</script>",
];

export const REVIEW_TEXTS: readonly string[] = [
  "Great product!",
  "Très bien 👍",
  "Arrived late, but \"fine\".",
  "很好\n推荐",
  "Would buy again; 5/5",
  "",
];

export const UNSUB_SOURCES: readonly string[] = ["EmailLink", "HardBounce", "Import", "API", "Complaint"];
export const SIGNUP_SOURCES: readonly string[] = ["ListAPI", "Import", "API", "ResubscribePage"];
export const SKIP_REASONS: readonly string[] = [
  "DuplicateMarketingMessage",
  "FrequencyCapped",
  "Unsubscribed",
  "MessageTypeUnsubscribed",
  "QuietHours",
];
