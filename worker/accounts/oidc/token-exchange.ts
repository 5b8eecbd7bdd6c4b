import { z } from "zod";
import { ApiError } from "../../../core/errors";
import type { ProviderMetadata } from "./discovery";
import { fetchProviderJson, unavailable } from "./provider-http";

/** What the sign-in needs of a token response (OpenID Connect Core §3.1.3.3). */
const TokenResponse = z.object({ id_token: z.string().min(1) });
/** An OAuth error answer (RFC 6749 §5.2). */
const TokenError = z.object({ error: z.string(), error_description: z.string().optional() });

export interface CodeExchange {
  issuer: string;
  metadata: ProviderMetadata;
  clientId: string;
  clientSecret: string;
  code: string;
  redirectUrl: string;
  codeVerifier: string;
}

/**
 * Trades an authorization code for the provider's ID token at its token endpoint, authenticated
 * with the client secret: HTTP Basic, the default of RFC 6749 §2.3.1, unless the provider lists
 * only `client_secret_post`.
 *
 * @throws {ApiError} `oidc_exchange_failed` when the provider refuses (`details.provider_error`:
 * `invalid_grant` for a used or expired code, `invalid_client` for a wrong client id or secret…),
 * `oidc_provider_unavailable` when it does not answer or answers outside the protocol.
 */
export async function exchangeCode(exchange: CodeExchange): Promise<string> {
  const { issuer, metadata, clientId, clientSecret } = exchange;
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code: exchange.code,
    redirect_uri: exchange.redirectUrl,
    code_verifier: exchange.codeVerifier,
  });
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
  const methods = metadata.token_endpoint_auth_methods_supported;
  if (methods && !methods.includes("client_secret_basic") && methods.includes("client_secret_post")) {
    form.set("client_id", clientId);
    form.set("client_secret", clientSecret);
  } else {
    headers.Authorization = `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`;
  }

  const doing = "exchanging the authorization code";
  const { status, body } = await fetchProviderJson(issuer, doing, metadata.token_endpoint, {
    method: "POST",
    headers,
    body: form.toString(),
  });
  if (status === 200) {
    const answer = TokenResponse.safeParse(body);
    if (answer.success) return answer.data.id_token;
    throw unavailable(issuer, doing, "the token response has no id_token (is `openid` among the scopes?)");
  }
  const refusal = TokenError.safeParse(body);
  if (status >= 400 && status < 500 && refusal.success) {
    const { error, error_description } = refusal.data;
    throw new ApiError(
      "oidc_exchange_failed",
      `The provider refused the authorization code: ${error}${error_description ? ` (${error_description.slice(0, 300)})` : ""}. ${
        error === "invalid_client"
          ? "The provider's client_id or client_secret in this project's configuration is wrong."
          : "Start the sign-in again."
      }`,
      { provider_error: error.slice(0, 100), provider_error_description: error_description?.slice(0, 300) ?? null },
    );
  }
  throw unavailable(issuer, doing, `the token endpoint answered ${status}`);
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 encodes the client id and secret. */
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
