/** Iterable's error bodies: `{msg, code, params}` (iterable-api.md §1). */

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

export function badApiKey(path: string): ApiError {
  return { status: 401, msg: "Invalid API key", code: "BadApiKey", params: { endpoint: path } };
}

export function notFound(method: string, path: string): ApiError {
  return { status: 404, msg: `Not found: ${method} ${path}`, code: "NotFound", params: null };
}

export function rateLimitExceeded(path: string): ApiError {
  return { status: 429, msg: `Exceeded rate limit for endpoint: ${path}, project: 1`, code: "RateLimitExceeded", params: {} };
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
