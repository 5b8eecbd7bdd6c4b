import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../core/errors";
import { findUserByIdentity } from "../../data/accounts/identities";
import { createUser, getAccountUser } from "../../data/accounts/users";
import type { IdTokenClaims } from "../../worker/accounts/oidc/id-token";
import { userForIdentity } from "../../worker/accounts/oidc/identity";
import { createProject } from "./helpers";

const claims = (sub: string, extra: Partial<IdTokenClaims> = {}): IdTokenClaims => ({
  sub,
  iss: "https://login.example",
  aud: "app",
  exp: Math.floor(Date.now() / 1000) + 600,
  iat: Math.floor(Date.now() / 1000),
  ...extra,
});

describe("the user an OpenID Connect identity signs in", () => {
  it("is created on the first sign-in, with the provider's name and verified email, and found after", async () => {
    const project = await createProject();
    const first = await userForIdentity(
      env.DB,
      project.id,
      "corp",
      claims("sub-1", { name: "Ada", email: "ada@example.test", email_verified: true }),
      null,
    );
    const user = await getAccountUser(env.DB, project.id, first);
    expect(user).toMatchObject({ is_anonymous: false, display_name: "Ada", email_verified: true });
    expect(user?.identities).toEqual([
      expect.objectContaining({ provider: "oidc:corp", subject: "sub-1", email: "ada@example.test" }),
    ]);
    expect(await userForIdentity(env.DB, project.id, "corp", claims("sub-1"), null)).toBe(first);
    // The same subject at another provider is another person.
    expect(await userForIdentity(env.DB, project.id, "other", claims("sub-1"), null)).not.toBe(first);
  });

  it("does not take an unverified email as verified", async () => {
    const project = await createProject();
    const id = await userForIdentity(
      env.DB,
      project.id,
      "corp",
      claims("sub-2", { email: "bo@example.test", email_verified: false }),
      null,
    );
    expect((await getAccountUser(env.DB, project.id, id))?.email_verified).toBe(false);
  });

  it("makes one user of two first sign-ins that race", async () => {
    const project = await createProject();
    const ids = await Promise.all(
      [1, 2, 3].map(() => userForIdentity(env.DB, project.id, "corp", claims("sub-3"), null)),
    );
    expect(new Set(ids).size).toBe(1);
    const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM users WHERE project_id = ?1")
      .bind(project.id)
      .first<{ n: number }>()) ?? { n: -1 };
    expect(n).toBe(1);
  });

  it("links to the given user, who stops being a guest; another user's identity is a conflict", async () => {
    const project = await createProject();
    const guest = await createUser(env.DB, project.id, { isAnonymous: true }, null);
    expect(await userForIdentity(env.DB, project.id, "corp", claims("sub-4"), guest.id)).toBe(guest.id);
    expect(await getAccountUser(env.DB, project.id, guest.id)).toMatchObject({ is_anonymous: false });
    expect((await findUserByIdentity(env.DB, project.id, "oidc:corp", "sub-4"))?.id).toBe(guest.id);

    const other = await createUser(env.DB, project.id, { isAnonymous: true }, null);
    const conflict = await userForIdentity(env.DB, project.id, "corp", claims("sub-4"), other.id).catch((e) => e);
    expect(conflict).toBeInstanceOf(ApiError);
    expect(conflict).toMatchObject({ code: "identity_conflict", status: 409 });
    expect(await getAccountUser(env.DB, project.id, other.id)).toMatchObject({ is_anonymous: true, identities: [] });
  });
});
