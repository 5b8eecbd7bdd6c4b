import { inject } from "vitest";
import type { EndpointRecord } from "../../core/endpoints/wire";
import { adminHeaders, api, createProject, mintToken, type TestProject } from "./helpers";

/** The real upstream started for this run (test/worker/upstream-setup.ts). */
export const upstreamUrl = () => inject("upstreamUrl");

/** A fresh id for `?id=`, so the upstream's record of one request is this test's alone. */
export const requestTag = () => `t-${crypto.randomUUID()}`;

/** Registers an endpoint with the project's secret key; fails the test on anything but 201. */
export async function registerEndpoint(project: TestProject, body: Record<string, unknown>) {
  const response = await api("/v1/endpoints", {
    method: "POST",
    headers: { "X-API-Key": project.keys.secret },
    json: { target: { kind: "url", url: upstreamUrl() }, ...body },
  });
  if (response.status !== 201) throw new Error(`register endpoint: ${response.status} ${await response.text()}`);
  return (await response.json()) as EndpointRecord;
}

/** A project with one endpoint `label` on the upstream, and a user token of `userId`. */
export async function endpointProject(endpoint: Record<string, unknown> = {}, userId = "u1") {
  const project = await createProject();
  const label = (endpoint.label as string | undefined) ?? "up";
  await registerEndpoint(project, { label, ...endpoint });
  const { token } = await mintToken(project, { user_id: userId, role: "member" });
  return { project, label, secret: project.keys.secret, publicKey: project.keys.public, user: token };
}

/** Calls the proxy: `/v1/proxy/<label><path>`. */
export function proxy(label: string, path: string, init: RequestInit = {}) {
  return api(`/v1/proxy/${label}${path}`, init);
}

/** The JSON body of an endpoint answer. */
export const endpointOf = async (response: Response) => (await response.json()) as EndpointRecord;

/** What happened to the request tagged `id` at the upstream ("received", "finished", "aborted", …). */
export async function upstreamEvents(id: string): Promise<string[]> {
  const response = await fetch(`${upstreamUrl()}/_events/${id}`);
  return (await response.json()) as string[];
}

export { adminHeaders };

/**
 * Waits until the upstream has recorded `event` for request `id`, polling (the upstream is
 * another process: nothing to await on) for at most `timeoutMs`; returns the events seen.
 */
export async function waitForUpstreamEvent(id: string, event: string, timeoutMs = 5_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await upstreamEvents(id);
    if (events.includes(event) || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
