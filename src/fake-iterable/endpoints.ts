/** The Iterable endpoints the fake serves, by the short names used in options, faults and stats. */

export const FAKE_ENDPOINTS = ["campaigns", "metrics", "lists", "getUsers", "export.json", "export.csv"] as const;
export type FakeEndpoint = (typeof FAKE_ENDPOINTS)[number];

export const ENDPOINT_PATHS: Record<FakeEndpoint, string> = {
  campaigns: "/api/campaigns",
  metrics: "/api/campaigns/metrics",
  lists: "/api/lists",
  getUsers: "/api/lists/getUsers",
  "export.json": "/api/export/data.json",
  "export.csv": "/api/export/data.csv",
};

const BY_PATH = new Map<string, FakeEndpoint>(FAKE_ENDPOINTS.map((e) => [ENDPOINT_PATHS[e], e]));

/** The endpoint a request path names (a trailing slash is tolerated), or undefined. */
export function endpointOfPath(path: string): FakeEndpoint | undefined {
  return BY_PATH.get(path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path);
}

/** Names that stand for several endpoints: `export` = both export endpoints. */
export function expandEndpoint(name: string): readonly FakeEndpoint[] | undefined {
  if (name === "export") return ["export.json", "export.csv"];
  return (FAKE_ENDPOINTS as readonly string[]).includes(name) ? [name as FakeEndpoint] : undefined;
}
