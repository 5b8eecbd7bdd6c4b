import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../core/errors";
import {
  claimAuthorization,
  type PendingAuthorization,
  saveAuthorization,
} from "../../data/accounts/oidc-authorizations";
import { codeChallengeOf, randomToken } from "../../worker/accounts/oidc/pkce";
import { LIMITS } from "../../worker/accounts/rate-limits";
import { api, createProject, errorOf, mintToken, type TestProject } from "./helpers";

const REDIRECT = "https://app.example/auth/callback";
/** Port 1 (tcpmux) has no listener here: a request is refused at once, like a provider that is down. */
const DOWN_ISSUER = "http://127.0.0.1:1";

async function projectWithProvider(issuer = "https://accounts.google.com"): Promise<TestProject> {
  const project = await createProject();
  const response = await api("/v1/auth/oidc-providers", {
    method: "POST",
    headers: { "X-API-Key": project.keys.secret },
    json: { name: "corp", issuer, client_id: "app", client_secret: "secret", redirect_urls: [REDIRECT] },
  });
  if (response.status !== 201) throw new Error(`provider: ${response.status} ${await response.text()}`);
  return project;
}

/** A sign-in in flight, stored as the start stores it; returns it with its verifier. */
async function pending(projectId: string, overrides: Partial<PendingAuthorization> = {}) {
  const verifier = randomToken();
  const authorization: PendingAuthorization = {
    state: randomToken(),
    provider: "corp",
    nonce: randomToken(),
    code_challenge: await codeChallengeOf(verifier),
    redirect_url: REDIRECT,
    link_user_id: null,
    expires_at: new Date(Date.now() + 60_000).toISOString(),
    ...overrides,
  };
  await saveAuthorization(env.DB, projectId, authorization);
  return { authorization, verifier };
}

async function stateProblem(claim: Promise<unknown>): Promise<unknown> {
  try {
    await claim;
  } catch (error) {
    if (error instanceof ApiError && error.code === "oidc_state_invalid")
      return (error.details as { reason: string }).reason;
    throw error;
  }
  return "claimed";
}

describe("the store of sign-ins in flight", () => {
  it("gives a state to one callback, with the verifier whose hash it keeps", async () => {
    const project = await projectWithProvider();
    const { authorization, verifier } = await pending(project.id);
    const challenge = await codeChallengeOf(verifier);
    const claimed = await claimAuthorization(env.DB, project.id, "corp", authorization.state, challenge);
    expect(claimed).toEqual(authorization);
    expect(await stateProblem(claimAuthorization(env.DB, project.id, "corp", authorization.state, challenge))).toBe(
      "used",
    );
  });

  it("does not let a wrong verifier use the state up", async () => {
    const project = await projectWithProvider();
    const { authorization, verifier } = await pending(project.id);
    const wrong = await codeChallengeOf(randomToken());
    expect(await stateProblem(claimAuthorization(env.DB, project.id, "corp", authorization.state, wrong))).toBe(
      "verifier_mismatch",
    );
    const right = await codeChallengeOf(verifier);
    expect(await stateProblem(claimAuthorization(env.DB, project.id, "corp", authorization.state, right))).toBe(
      "claimed",
    );
  });

  it("tells unknown, expired, another provider's and another project's states apart from a claim", async () => {
    const [project, other] = await Promise.all([projectWithProvider(), projectWithProvider()]);
    const { authorization, verifier } = await pending(project.id);
    const challenge = await codeChallengeOf(verifier);
    expect(await stateProblem(claimAuthorization(env.DB, project.id, "corp", randomToken(), challenge))).toBe(
      "unknown",
    );
    expect(await stateProblem(claimAuthorization(env.DB, other.id, "corp", authorization.state, challenge))).toBe(
      "unknown",
    );
    expect(await stateProblem(claimAuthorization(env.DB, project.id, "other", authorization.state, challenge))).toBe(
      "unknown",
    );
    const expired = await pending(project.id, { expires_at: new Date(Date.now() - 1000).toISOString() });
    expect(
      await stateProblem(
        claimAuthorization(
          env.DB,
          project.id,
          "corp",
          expired.authorization.state,
          await codeChallengeOf(expired.verifier),
        ),
      ),
    ).toBe("expired");
  });

  it("lets exactly one of two racing callbacks claim a state", async () => {
    const project = await projectWithProvider();
    const { authorization, verifier } = await pending(project.id);
    const challenge = await codeChallengeOf(verifier);
    const outcomes = await Promise.all(
      [1, 2, 3].map(() => stateProblem(claimAuthorization(env.DB, project.id, "corp", authorization.state, challenge))),
    );
    expect(outcomes.sort()).toEqual(["claimed", "used", "used"]);
  });

  it("sweeps expired sign-ins when a new one starts", async () => {
    const project = await projectWithProvider();
    const old = await pending(project.id, { expires_at: new Date(Date.now() - 1000).toISOString() });
    await pending(project.id);
    const row = await env.DB.prepare("SELECT state FROM oidc_authorizations WHERE state = ?1")
      .bind(old.authorization.state)
      .first();
    expect(row).toBeNull();
  });

  it("ends a provider's sign-ins in flight when the provider is removed", async () => {
    const project = await projectWithProvider();
    const { authorization, verifier } = await pending(project.id);
    await api("/v1/auth/oidc-providers/corp", { method: "DELETE", headers: { "X-API-Key": project.keys.secret } });
    const claim = claimAuthorization(env.DB, project.id, "corp", authorization.state, await codeChallengeOf(verifier));
    expect(await stateProblem(claim)).toBe("unknown");
  });
});

describe("POST /v1/auth/oidc/:provider/start", () => {
  /** Starts with the project's public key, or the credentials in `headers`. */
  const start = (
    project: TestProject,
    body: unknown,
    headers: Record<string, string> = { "X-API-Key": project.keys.public },
  ) => api("/v1/auth/oidc/corp/start", { method: "POST", headers, json: body });

  it("accepts only a redirect URL of the provider's list, exactly", async () => {
    const project = await projectWithProvider();
    for (const redirect_url of [
      `${REDIRECT}/`,
      `${REDIRECT}?x=1`,
      "https://APP.example/auth/callback",
      "https://evil.example/",
    ]) {
      const response = await start(project, { redirect_url });
      expect(await errorOf(response), redirect_url).toMatchObject({
        status: 400,
        code: "redirect_url_not_allowed",
        details: { redirect_url, allowed: [REDIRECT] },
      });
    }
  });

  it("answers 404 for a provider the project does not have", async () => {
    const project = await createProject();
    expect(await errorOf(await start(project, { redirect_url: REDIRECT }))).toMatchObject({
      status: 404,
      code: "not_found",
      details: { provider: "corp" },
    });
  });

  it("links only for a signed-in user's token", async () => {
    const project = await projectWithProvider();
    expect(await errorOf(await start(project, { redirect_url: REDIRECT, link: true }))).toMatchObject({
      status: 403,
      code: "forbidden",
    });
    // A minted token's user has no account to link to.
    const { token } = await mintToken(project, { user_id: "someone" });
    const minted = await start(project, { redirect_url: REDIRECT, link: true }, { Authorization: `Bearer ${token}` });
    expect(await errorOf(minted)).toMatchObject({ status: 404, code: "not_found" });
  });

  it("counts starts as sign-in attempts of the client's address: past the limit, 429 rate_limited", async () => {
    const project = await createProject();
    const headers = { "X-API-Key": project.keys.public, "CF-Connecting-IP": "203.0.113.7" };
    const limit = LIMITS.sign_in.perAddress.max;
    for (let attempt = 0; attempt < limit; attempt++) {
      expect((await start(project, { redirect_url: REDIRECT }, headers)).status).toBe(404);
    }
    const refused = await start(project, { redirect_url: REDIRECT }, headers);
    expect(await errorOf(refused)).toMatchObject({ status: 429, code: "rate_limited" });
    expect(refused.headers.get("Retry-After")).toMatch(/^\d+$/);
    // Another address is counted apart.
    const other = await start(project, { redirect_url: REDIRECT }, { ...headers, "CF-Connecting-IP": "203.0.113.8" });
    expect(other.status).toBe(404);
  }, 60_000); // a hundred requests on a shared machine

  it("answers 502 oidc_provider_unavailable when the issuer cannot be reached", async () => {
    const project = await projectWithProvider(DOWN_ISSUER);
    expect(await errorOf(await start(project, { redirect_url: REDIRECT }))).toMatchObject({
      status: 502,
      code: "oidc_provider_unavailable",
    });
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM oidc_authorizations WHERE project_id = ?1")
      .bind(project.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });
});

describe("POST /v1/auth/oidc/:provider/callback", () => {
  const callback = (project: TestProject, body: unknown) =>
    api("/v1/auth/oidc/corp/callback", { method: "POST", headers: { "X-API-Key": project.keys.public }, json: body });

  it("refuses a state no start made", async () => {
    const project = await projectWithProvider();
    const response = await callback(project, { state: randomToken(), code: "c", code_verifier: randomToken() });
    expect(await errorOf(response)).toMatchObject({
      status: 400,
      code: "oidc_state_invalid",
      details: { reason: "unknown" },
    });
  });

  it("turns the provider's error into oidc_authorization_failed, and the state is used up", async () => {
    const project = await projectWithProvider();
    const { authorization, verifier } = await pending(project.id);
    const body = {
      state: authorization.state,
      code_verifier: verifier,
      error: "access_denied",
      error_description: "End-User aborted interaction",
    };
    expect(await errorOf(await callback(project, body))).toMatchObject({
      status: 401,
      code: "oidc_authorization_failed",
      details: { provider_error: "access_denied", provider_error_description: "End-User aborted interaction" },
    });
    expect(await errorOf(await callback(project, body))).toMatchObject({
      status: 400,
      code: "oidc_state_invalid",
      details: { reason: "used" },
    });
  });

  it("wants either a code or an error", async () => {
    const project = await projectWithProvider();
    for (const body of [
      { state: "s", code_verifier: "v" },
      { state: "s", code_verifier: "v", code: "c", error: "access_denied" },
      { state: "s", code: "c" },
      { state: "s p", code_verifier: "v", code: "c" },
    ]) {
      expect(await errorOf(await callback(project, body)), JSON.stringify(body)).toMatchObject({
        status: 400,
        code: "invalid_request",
      });
    }
  });
});
