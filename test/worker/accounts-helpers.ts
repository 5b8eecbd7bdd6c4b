import type { AccountUser, SessionTokens } from "../../core/rest/accounts";
import { as, expectStatus } from "./documents-helpers";
import { api, type TestProject } from "./helpers";

/** A password no policy refuses. */
export const GOOD_PASSWORD = "plum-violin-harbor-42";

/** Calls an account route with the project's public key (what a browser holds). */
export function publicPost(project: TestProject, path: string, json: unknown, headers: Record<string, string> = {}) {
  return api(`/v1/auth${path}`, { method: "POST", headers: { "X-API-Key": project.keys.public, ...headers }, json });
}

export async function signUp(
  project: TestProject,
  loginId = "ada@example.com",
  password = GOOD_PASSWORD,
  extra: Record<string, unknown> = {},
): Promise<SessionTokens> {
  return expectStatus(publicPost(project, "/sign-up", { login_id: loginId, password, ...extra }), 201);
}

export async function signIn(project: TestProject, loginId: string, password = GOOD_PASSWORD): Promise<SessionTokens> {
  return expectStatus(publicPost(project, "/sign-in", { login_id: loginId, password }), 200);
}

export async function signInAnonymously(project: TestProject): Promise<SessionTokens> {
  return expectStatus(publicPost(project, "/anonymous", {}), 201);
}

export const refresh = (project: TestProject, refreshToken: string) =>
  publicPost(project, "/refresh", { refresh_token: refreshToken });

/** The signed-in user's own routes, with an access token. */
export const asUser = (accessToken: string) => as(accessToken);

export async function currentUser(accessToken: string): Promise<AccountUser> {
  return expectStatus(asUser(accessToken).get("/v1/auth/user"), 200);
}

/** Changes the project's account settings with its secret key. */
export async function setAuthSettings(project: TestProject, settings: Record<string, unknown>) {
  return expectStatus(as(project.keys.secret).patch("/v1/auth/settings", settings), 200);
}
