import { describe, expect, it } from "vitest";
import { endpointProject, proxy, upstreamUrl } from "./endpoints-helpers";

interface Echo {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
  body_bytes: number;
}

const echoOf = async (response: Response) => (await response.json()) as Echo;

describe("the proxy forwards", () => {
  it("the method, the rest of the path, the query and the body", async () => {
    const { label, publicKey } = await endpointProject();
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
      const hasBody = method !== "GET";
      const response = await proxy(label, "/echo/a%20b/c?x=1&y=%C3%A9&x=2", {
        method,
        headers: { "X-API-Key": publicKey, "Content-Type": "text/plain" },
        ...(hasBody ? { body: `body of ${method}` } : {}),
      });
      expect(response.status, method).toBe(200);
      const echo = await echoOf(response);
      expect(echo).toMatchObject({
        method,
        path: "/echo/a%20b/c",
        query: "?x=1&y=%C3%A9&x=2",
        body: hasBody ? `body of ${method}` : "",
      });
      expect(echo.headers["content-type"]).toBe("text/plain");
    }
  });

  it("HEAD as HEAD, and a bare label as the upstream's root", async () => {
    const { label, publicKey } = await endpointProject();
    const head = await proxy(label, "/json", { method: "HEAD", headers: { "X-API-Key": publicKey } });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const root = await proxy(label, "", { headers: { "X-API-Key": publicKey } });
    expect(root.status).toBe(404); // the upstream's own 404 for "/"
    expect(((await root.json()) as { path: string }).path).toBe("/");
    expect(root.headers.get("X-Flarebase-Error")).toBeNull();
  });

  it("onto the upstream URL's own base path", async () => {
    const { label, publicKey } = await endpointProject({ target: { kind: "url", url: `${upstreamUrl()}/echo/base/` } });
    const echo = await echoOf(await proxy(label, "/v1/models?q=1", { headers: { "X-API-Key": publicKey } }));
    expect([echo.path, echo.query]).toEqual(["/echo/base/v1/models", "?q=1"]);
  });

  it("never the caller's credentials, cookies or hop-by-hop headers; the secret headers and X-Forwarded-* instead", async () => {
    const { label, publicKey, user } = await endpointProject({
      headers: { Authorization: "Bearer upstream-secret", "X-Model-Key": "k-1" },
    });
    const callers: Record<string, string>[] = [{ "X-API-Key": publicKey }, { Authorization: `Bearer ${user}` }];
    for (const credentials of callers) {
      const response = await proxy(label, "/echo", {
        headers: {
          ...credentials,
          Cookie: "session=caller",
          Connection: "keep-alive, X-Drop-Me",
          "X-Drop-Me": "1",
          "Keep-Alive": "timeout=5",
          "Proxy-Authorization": "Basic eA==",
          "X-Forwarded-For": "6.6.6.6",
          "X-Forwarded-Host": "forged.example",
          "X-Model-Key": "caller-tries",
          "X-Kept": "yes",
        },
      });
      const { headers } = await echoOf(response);
      const sent = JSON.stringify(headers);
      expect(sent).not.toContain(publicKey);
      expect(sent).not.toContain(user);
      expect(headers).not.toHaveProperty("x-api-key");
      expect(headers).not.toHaveProperty("cookie");
      expect(headers).not.toHaveProperty("x-drop-me");
      expect(headers).not.toHaveProperty("keep-alive");
      expect(headers).not.toHaveProperty("proxy-authorization");
      expect(headers.authorization).toBe("Bearer upstream-secret");
      expect(headers["x-model-key"]).toBe("k-1");
      expect(headers["x-kept"]).toBe("yes");
      expect(headers["x-forwarded-for"]).not.toBe("6.6.6.6");
      expect(headers["x-forwarded-host"]).toBe("flarebase.test");
      expect(headers["x-forwarded-proto"]).toBe("https");
      expect(headers["x-forwarded-prefix"]).toBe(`/v1/proxy/${label}`);
    }
  });

  it("the upstream's status, headers and body back, without its cookies, hop-by-hop or CORS headers", async () => {
    const { label, publicKey } = await endpointProject();
    const response = await proxy(label, "/cookies", {
      headers: { "X-API-Key": publicKey, Origin: "https://app.example" },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("cookies");
    expect(response.headers.get("x-upstream")).toBe("kept");
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(response.headers.get("keep-alive")).toBeNull();
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(response.headers.get("access-control-expose-headers")).toContain("x-upstream");
    const teapot = await proxy(label, "/status/418", { headers: { "X-API-Key": publicKey } });
    expect([teapot.status, await teapot.json()]).toEqual([418, { status: 418 }]);
    expect(teapot.headers.get("X-Flarebase-Error")).toBeNull();
  });

  it("a large streamed body both ways, byte for byte", async () => {
    const { label, publicKey } = await endpointProject({ max_body_bytes: 20 * 1024 * 1024 });
    const size = 8 * 1024 * 1024 + 13;
    const download = await proxy(label, `/bytes?size=${size}`, { headers: { "X-API-Key": publicKey } });
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(bytes.length).toBe(size);
    expect(bytes.every((byte, i) => byte === i % 251)).toBe(true);

    const upload = await proxy(label, "/upload", {
      method: "POST",
      headers: { "X-API-Key": publicKey, "Content-Type": "application/octet-stream" },
      body: bytes,
    });
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) =>
      b.toString(16).padStart(2, "0"),
    ).join("");
    expect(await upload.json()).toMatchObject({ bytes: size, sha256: digest, content_length: String(size) });
  });

  it("a chunked request body as it streams", async () => {
    const { label, publicKey } = await endpointProject();
    const pieces = ["one ", "two ", "three"];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const piece = pieces.shift();
        if (piece === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(piece));
      },
    });
    const response = await proxy(label, "/echo", { method: "POST", headers: { "X-API-Key": publicKey }, body });
    expect((await echoOf(response)).body).toBe("one two three");
  });

  it("each project to its own endpoint of the same label", async () => {
    const a = await endpointProject({ label: "same", target: { kind: "url", url: `${upstreamUrl()}/echo/a` } });
    const b = await endpointProject({ label: "same", target: { kind: "url", url: `${upstreamUrl()}/echo/b` } });
    const viaA = await echoOf(await proxy("same", "/x", { headers: { "X-API-Key": a.publicKey } }));
    const viaB = await echoOf(await proxy("same", "/x", { headers: { "X-API-Key": b.publicKey } }));
    expect([viaA.path, viaB.path]).toEqual(["/echo/a/x", "/echo/b/x"]);
  });
});
