// Talking to the JSON API (docs/api.md): one fetch helper that turns every failure into an
// ApiError carrying the server's volunteer-readable message, plus a retry loop for the
// failures that are worth retrying (the network dropped, the server said 503).

import { locale, t } from "./i18n.js";
import { showAlert } from "./ui.js";

export const API = "/api/v1";

const NETWORK_MESSAGE = () => t("We could not reach the server. Check your connection and try again.");

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the request never got an answer
   * @param {string} code the API's stable error code ("network" when there was no answer)
   * @param {string} message a sentence a volunteer can read
   * @param {number|null} retryAfter seconds from a Retry-After header, if any
   * @param {string|null} field the request field the error is about, when the API names one
   */
  constructor(status, code, message, retryAfter = null, field = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.field = field;
  }

  /** True for failures that may succeed if the same request is sent again. */
  get retryable() {
    return this.status === 0 || this.status === 503 || this.status === 502 || this.status === 504;
  }
}

/**
 * Send a request to the API and return its parsed JSON body.
 * Pass `json` for a JSON body or `form` for multipart (uploads). Throws ApiError.
 */
export async function api(path, options = {}) {
  try {
    return await send(path, options);
  } catch (error) {
    // A write needs a session; the page view normally brought one. If it did not (the
    // cookie was cleared, or the address was asked to wait), ask for one and try once more.
    if (!(error instanceof ApiError) || error.code !== "no_session") throw error;
    await send("session", { method: "POST" });
    return send(path, options);
  }
}

/** The browser's IANA time zone ("Asia/Kolkata"), or null when it does not say. */
function timeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

async function send(path, { method = "GET", json, form, signal } = {}) {
  // The page's language, so that error messages come in it (the API follows Accept-Language).
  const headers = { Accept: "application/json", "Accept-Language": locale };
  // The browser's time zone: a person's streak and weekly goals count their own days.
  const zone = timeZone();
  if (zone) headers["X-Time-Zone"] = zone;
  const init = { method, signal, credentials: "same-origin", headers };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form; // the browser sets the multipart boundary itself
  }
  let response;
  try {
    response = await fetch(path.startsWith("/") ? path : `${API}/${path}`, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "network", NETWORK_MESSAGE());
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page, an empty answer): fall through with body = null.
  }
  if (!response.ok) {
    const error = (body && body.error) || {};
    const retryAfter = Number.parseInt(response.headers.get("Retry-After") || "", 10);
    const failure = new ApiError(
      response.status,
      error.code || `http_${response.status}`,
      error.message || t("The server answered {status}. Please try again.", { status: response.status }),
      Number.isNaN(retryAfter) ? null : retryAfter,
      error.field || null,
    );
    if (SESSION_ENDED.has(failure.code)) tellSessionEnded(failure.message);
    throw failure;
  }
  return body;
}

// A session that ends while a page is open (the contributor key was replaced on another
// device, or the cookie is not one we signed): the server clears the cookie at the first call
// that meets it, and the calls after it are a new visitor's. Whichever call met it, even one
// whose failure the page would shrug off (language names, ranks), the volunteer is told why
// in the page's alert region.
const SESSION_ENDED = new Set(["session_revoked", "invalid_session"]);

function tellSessionEnded(message) {
  const region = document.getElementById("alert");
  if (region) showAlert(region, message);
}

/**
 * Run `request` (a function returning a promise) until it succeeds, retrying network
 * failures and 503s up to `attempts` times with a growing pause. `onRetry(error, seconds)`
 * is told before each pause. Other errors are thrown at once.
 */
export async function withRetries(request, { attempts = 4, onRetry = () => {} } = {}) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof ApiError) || !error.retryable || attempt >= attempts) throw error;
      // Honour Retry-After but never make a volunteer wait more than 10 s per pause.
      const seconds = Math.min(error.retryAfter ?? 2 ** (attempt - 1), 10);
      onRetry(error, seconds);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    }
  }
}

/** A fresh idempotency key (crypto.randomUUID needs a secure context; fall back otherwise). */
export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
