import { describe, expect, it } from "vitest";
import { credentials, storageProject, upload } from "./files-helpers";
import { api, errorOf } from "./helpers";

async function sign(key: string, body: Record<string, unknown>) {
  return api("/v1/storage/buckets/files/sign", { method: "POST", headers: credentials(key), json: body });
}

/** Path and query of a URL the API handed out. */
const local = (url: string) => {
  const { pathname, search } = new URL(url);
  return `${pathname}${search}`;
};

describe("signed URLs", () => {
  it("a signed GET URL works without headers until it expires", async () => {
    const { project, secret } = await storageProject();
    await upload(secret, "files", "private/photo.jpg", "jpeg", { "Content-Type": "image/jpeg" });
    const response = await sign(secret, { path: "private/photo.jpg", expires_in: 60 });
    expect(response.status).toBe(200);
    const signed = (await response.json()) as { url: string; method: string; expires_at: string };
    expect(signed.method).toBe("GET");
    expect(new URL(signed.url).searchParams.get("project")).toBe(project.id);
    const got = await api(local(signed.url));
    expect(got.status).toBe(200);
    expect(await got.text()).toBe("jpeg");
    expect(got.headers.get("Cache-Control")).toBe("private, no-cache");
    const head = await api(local(signed.url), { method: "HEAD" });
    expect(head.status).toBe(200);
  });

  it("tampering with any part gives 403", async () => {
    const { secret } = await storageProject();
    await upload(secret, "files", "a.txt", "a");
    await upload(secret, "files", "b.txt", "b");
    const { url } = (await (await sign(secret, { path: "a.txt" })).json()) as { url: string };
    const parsed = new URL(url);
    const variants: string[] = [];
    const withParam = (name: string, value: string) => {
      const copy = new URL(parsed);
      copy.searchParams.set(name, value);
      return local(copy.toString());
    };
    variants.push(local(url).replace("/a.txt", "/b.txt"));
    variants.push(withParam("expires", String(Number(parsed.searchParams.get("expires")) + 3600)));
    const signature = parsed.searchParams.get("signature") as string;
    variants.push(withParam("signature", `${signature.slice(0, -1)}${signature.endsWith("A") ? "B" : "A"}`));
    variants.push(withParam("signature", ""));
    variants.push(withParam("project", "pnotmyproject0000"));
    for (const variant of variants) {
      const response = await api(variant);
      expect(response.status, variant).toBe(403);
      expect((await errorOf(response)).code).toBe("forbidden");
    }
    // A GET grant is not a PUT grant.
    const put = await api(local(url), { method: "PUT", headers: { "Content-Length": "1" }, body: "x" });
    expect(put.status).toBe(403);
  });

  it("an expired URL is refused; the expiry is capped at 7 days", async () => {
    const { secret } = await storageProject();
    await upload(secret, "files", "a.txt", "a");
    const { url } = (await (await sign(secret, { path: "a.txt", expires_in: 1 })).json()) as { url: string };
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const expired = await errorOf(await api(local(url)));
    expect(expired).toMatchObject({ status: 403, code: "forbidden", details: { reason: "expired" } });
    expect((await sign(secret, { path: "a.txt", expires_in: 7 * 24 * 3600 + 1 })).status).toBe(400);
  });

  it("a signed PUT URL uploads once the server signed it; only secret keys sign PUT", async () => {
    const { secret, user, project } = await storageProject({ rules: { read: "true" } });
    const denied = await sign(user, { path: "uploads/x.bin", method: "PUT" });
    expect(await errorOf(denied)).toMatchObject({ status: 403, code: "forbidden" });
    const { url } = (await (await sign(secret, { path: "uploads/x.bin", method: "PUT" })).json()) as { url: string };
    const put = await api(local(url), {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream", "Content-Length": "3" },
      body: "abc",
    });
    expect(put.status).toBe(201);
    expect(await put.json()).toMatchObject({ path: "uploads/x.bin", size: 3, uploaded_by: null });
    // The grant names one path: the same signature cannot write elsewhere.
    const elsewhere = await api(local(url).replace("x.bin", "y.bin"), {
      method: "PUT",
      headers: { "Content-Length": "1" },
      body: "y",
    });
    expect(elsewhere.status).toBe(403);
    // A grant from one project is checked with that project's secret, not another's.
    const other = await storageProject();
    const forged = new URL(url);
    forged.searchParams.set("project", other.project.id);
    expect(
      (await api(local(forged.toString()), { method: "PUT", headers: { "Content-Length": "1" }, body: "z" })).status,
    ).toBe(403);
    expect(project.id).not.toBe(other.project.id);
  });

  it("signing a GET needs read access to an existing file", async () => {
    const { secret, user } = await storageProject();
    await upload(secret, "files", "a.txt", "a");
    expect((await sign(user, { path: "a.txt" })).status).toBe(403);
    expect((await sign(secret, { path: "missing.txt" })).status).toBe(404);
  });
});
