/** Iterable's error bodies: `{msg, code, params}` (iterable-api.md §1), worded as in its recorded responses. */
import type { RateLimit } from "./rate-limit.js";

/** The project id the fake's messages name. */
export const FAKE_PROJECT_ID = 1;

export interface ApiError {
  status: number;
  msg: string;
  code: string;
  params: Record<string, unknown> | null;
}

/** A bad request parameter: 400 BadParams with a message naming it. */
export class BadParams extends Error {
  constructor(
    message: string,
    readonly params: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "BadParams";
  }
}

export function badParams(err: BadParams): ApiError {
  return { status: 400, msg: err.message, code: "BadParams", params: err.params };
}

/** 401 for a missing or wrong key; `ip` is the caller's address as the server saw it. */
export function badApiKey(path: string, ip: string): ApiError {
  return { status: 401, msg: "Invalid API key", code: "BadApiKey", params: { ip, endpoint: path } };
}

export function notFound(method: string, path: string): ApiError {
  return { status: 404, msg: `Not found: ${method} ${path}`, code: "NotFound", params: null };
}

/** A number as Iterable (a JVM) prints a double: `4.0`, `0.4`, `100.0`. */
function doubleText(x: number): string {
  const n = Number(x.toPrecision(12));
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/** The limit as a rate: per minute for windows of a minute or more, else per second (`4.0 per minute`, `100.0 per second`). */
export function rateText(limit: RateLimit): string {
  return limit.windowMs >= 60_000
    ? `${doubleText((limit.limit * 60_000) / limit.windowMs)} per minute`
    : `${doubleText((limit.limit * 1_000) / limit.windowMs)} per second`;
}

/** 429, with Iterable's message naming the endpoint's limit, the path and the project (and its trailing space). */
export function rateLimitExceeded(path: string, limit: RateLimit): ApiError {
  return {
    status: 429,
    msg: `Exceeded rate limit of ${rateText(limit)} for endpoint: ${path}, project: ${FAKE_PROJECT_ID} `,
    code: "RateLimitExceeded",
    params: {},
  };
}

export function genericError(): ApiError {
  return { status: 500, msg: "An unexpected error occurred. Please try again later.", code: "GenericError", params: null };
}

export function requestTimeout(): ApiError {
  return { status: 503, msg: "Request timeout. Try again later.", code: "GenericError", params: null };
}

export function errorBody(e: ApiError): string {
  return JSON.stringify({ msg: e.msg, code: e.code, params: e.params });
}

/** What a proxy in front of Iterable answers when the upstream fails. */
export const BAD_GATEWAY_HTML =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
