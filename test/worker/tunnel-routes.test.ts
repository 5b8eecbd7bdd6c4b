import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLOSE_CODES } from "../../core/protocol/close-codes";
import { TunnelLogSchema, TunnelStatusSchema } from "../../core/rest/tunnels";
import { api, createProject, errorOf, type TestProject } from "./helpers";
import { callTunnel, TestCli, uniqueLabel } from "./tunnel-helpers";

async function registerTunnel(
  project: TestProject,
  label: string,
  target: Record<string, unknown> = { kind: "tunnel" },
) {
  const response = await api("/v1/endpoints", {
    method: "POST",
    headers: { "X-API-Key": project.keys.secret },
    json: { label, target },
  });
  expect(response.status).toBe(201);
}

/** Connects through the Worker's route, as the CLI does (the key as a subprotocol). */
async function connectThroughWorker(label: string, key: string): Promise<TestCli> {
  const response = await exports.default.fetch(`https://flarebase.test/v1/tunnels/${label}/connect`, {
    headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": `flarebase.v1, flarebase.key.${key}` },
  });
  expect(response.status).toBe(101);
  return new TestCli(response.webSocket as WebSocket);
}

describe("the tunnel routes", () => {
  it("connects a secret key to a registered tunnel endpoint, and logs each request without query or body", async () => {
    const project = await createProject();
    const label = uniqueLabel();
    await registerTunnel(project, label);
    const cli = await connectThroughWorker(label, project.keys.secret);
    const target = { projectId: project.id, label };

    const status = await api(`/v1/tunnels/${label}`, { headers: { "X-API-Key": project.keys.secret } });
    expect(TunnelStatusSchema.parse(await status.json())).toMatchObject({ label, online: true, in_flight: 0 });

    const call = callTunnel(target, "/prompt?token=secret-in-query", { method: "POST", body: "a secret body" });
    const { stream } = await cli.next("request");
    await cli.readBody(stream);
    cli.respond(stream, { status: 201, headers: [] }, "0123456789");
    expect(await (await call).text()).toBe("0123456789");

    const offlineCall = callTunnel(target, "/dropped");
    await cli.next("request");
    cli.close(1001);
    await expect(offlineCall).rejects.toMatchObject({ code: "tunnel_disconnected" });

    await expect
      .poll(async () => {
        const log = await api(`/v1/tunnels/${label}/requests`, { headers: { "X-API-Key": project.keys.secret } });
        return TunnelLogSchema.parse(await log.json()).items.length;
      })
      .toBe(2);
    const log = await api(`/v1/tunnels/${label}/requests?limit=5`, { headers: { "X-API-Key": project.keys.secret } });
    const text = await log.text();
    expect(text).not.toContain("secret");
    const { items } = TunnelLogSchema.parse(JSON.parse(text));
    expect(items[0]).toMatchObject({ method: "GET", path: "/dropped", status: null, outcome: "disconnected" });
    expect(items[1]).toMatchObject({
      method: "POST",
      path: "/prompt",
      status: 201,
      outcome: "completed",
      bytes_in: 13,
      bytes_out: 10,
    });
  });

  it("refuses in-band: a public key, an unknown label, a URL endpoint, a bad key", async () => {
    const project = await createProject();
    const label = uniqueLabel();
    await registerTunnel(project, label);
    const urlLabel = uniqueLabel();
    await registerTunnel(project, urlLabel, { kind: "url", url: "https://example.com" });
    const cases = [
      [label, project.keys.public, "forbidden", CLOSE_CODES.forbidden],
      [uniqueLabel(), project.keys.secret, "endpoint_not_found", CLOSE_CODES.invalid_channel],
      [urlLabel, project.keys.secret, "endpoint_not_found", CLOSE_CODES.invalid_channel],
      [label, "sk_nope", "unauthorized", CLOSE_CODES.unauthorized],
    ] as const;
    for (const [name, key, code, close] of cases) {
      const cli = await connectThroughWorker(name, key);
      expect((await cli.closed).code, code).toBe(close);
      expect(JSON.parse(cli.texts[0] ?? "{}"), code).toMatchObject({ type: "error", code });
    }
  });

  it("reads the log and status with the secret key only", async () => {
    const project = await createProject();
    const label = uniqueLabel();
    const asPublic = await api(`/v1/tunnels/${label}/requests`, { headers: { "X-API-Key": project.keys.public } });
    expect((await errorOf(asPublic)).code).toBe("forbidden");
    const status = await api(`/v1/tunnels/${label}`, { headers: { "X-API-Key": project.keys.secret } });
    expect(await status.json()).toEqual({ label, online: false, connected_at: null, in_flight: 0 });
    const bad = await api("/v1/tunnels/Not_A_Label/requests", { headers: { "X-API-Key": project.keys.secret } });
    expect((await errorOf(bad)).code).toBe("invalid_request");
  });
});
