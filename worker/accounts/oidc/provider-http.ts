import { ApiError } from "../../../core/errors";

/** How long a provider gets to answer one request (discovery, JWKS, token exchange). */
export const PROVIDER_TIMEOUT_MS = 10_000;
/** The largest answer we read from a provider: discovery documents and token responses are small. */
const MAX_ANSWER_CHARS = 256 * 1024;

/** The error for a provider we could not talk to, naming it and what we were doing. */
export function unavailable(issuer: string, doing: string, problem: string, cause?: unknown) {
  return new ApiError(
    "oidc_provider_unavailable",
    `The OpenID Connect provider ${issuer} could not be used (${doing}): ${problem}. Check the provider's issuer URL in its configuration, and that the provider is up.`,
    { issuer },
    { cause },
  );
}

/**
 * Sends one request to a provider, bounded in time, and reads its answer as JSON (bounded in
 * size). Answers of every status are returned: the caller tells a refusal from an outage.
 *
 * @throws {ApiError} `oidc_provider_unavailable` when there is no answer in time or it is not JSON.
 */
export async function fetchProviderJson(
  issuer: string,
  doing: string,
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      headers: { Accept: "application/json", ...init.headers },
      redirect: "manual",
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    });
  } catch (error) {
    throw unavailable(issuer, doing, `${url} did not answer (${(error as Error).message})`, error);
  }
  const text = await response.text();
  if (text.length > MAX_ANSWER_CHARS) {
    throw unavailable(issuer, doing, `${url} answered more than ${MAX_ANSWER_CHARS} characters`);
  }
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch (error) {
    throw unavailable(issuer, doing, `${url} answered ${response.status} with a body that is not JSON`, error);
  }
}
