// A ComfyUI-like job API served from "a desktop" through the tunnel, driven by the SDK the way an
// app would: submit a prompt, poll its history with pollUntil until the result is named, fetch it.
import { afterAll, beforeAll, expect, it } from "vitest";
import { endpoint } from "../../sdk/index";
import { RESULT_PNG, startUpstream, type Upstream } from "../upstream/server.mjs";
import { createTestProject } from "./helpers";
import { type RunningCli, registerTunnelEndpoint, startCli, uniqueLabel } from "./tunnel-helpers";

let upstream: Upstream;
let cli: RunningCli;

beforeAll(async () => {
  upstream = await startUpstream();
});

afterAll(async () => {
  cli?.kill("SIGKILL");
  await upstream?.close();
});

it("runs the pollUntil flow of a ComfyUI-like job API through the tunnel", async () => {
  const { project, publicClient } = await createTestProject();
  const label = uniqueLabel("comfy");
  await registerTunnelEndpoint(project.keys.secret, label);
  cli = startCli(label, upstream.port, project.keys.secret);
  await cli.waitFor(/online/);

  const comfy = endpoint(publicClient);
  const submitted = await comfy.call(label, {
    method: "POST",
    path: "/prompt?steps=3",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: { "9": { class_type: "SaveImage" } } }),
  });
  expect(submitted.status).toBe(200);
  const { prompt_id: promptId } = (await submitted.json()) as { prompt_id: string };

  type History = Record<string, { outputs: Record<string, { images: { filename: string }[] }> }>;
  const filename = await comfy.pollUntil<string, History>(
    label,
    { path: `/history/${promptId}` },
    (history) => history[promptId]?.outputs["9"]?.images[0]?.filename,
    { intervalMs: 100, timeoutMs: 20_000 },
  );
  expect(filename).toMatch(/\.png$/);

  const image = await comfy.call(label, { path: `/view?filename=${encodeURIComponent(filename)}` });
  expect(image.headers.get("content-type")).toBe("image/png");
  expect(new Uint8Array(await image.arrayBuffer())).toEqual(new Uint8Array(RESULT_PNG));
  await cli.waitFor(new RegExp(`GET\\s+/history/${promptId}\\s+200`));
});
