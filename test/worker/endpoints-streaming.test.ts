import { describe, expect, it } from "vitest";
import { endpointProject, proxy, requestTag, upstreamEvents, waitForUpstreamEvent } from "./endpoints-helpers";

const decoder = new TextDecoder();

describe("the proxy streams", () => {
  it("an event stream unbuffered: the first event arrives while the upstream is still writing", async () => {
    const { label, publicKey } = await endpointProject();
    const id = requestTag();
    const response = await proxy(label, `/sse?events=3&delay=400&id=${id}`, { headers: { "X-API-Key": publicKey } });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(decoder.decode(first.value)).toContain('data: {"n":0');
    // The upstream has more to write: it has neither ended its stream nor finished the response.
    expect(await upstreamEvents(id)).toEqual(["received"]);
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += decoder.decode(chunk.value);
    expect(rest).toContain('data: {"n":2');
    expect(rest).toContain("event: done");
  });

  it("chunks as the upstream writes them", async () => {
    const { label, publicKey } = await endpointProject();
    const id = requestTag();
    const response = await proxy(label, `/chunked?chunks=3&delay=300&id=${id}`, {
      headers: { "X-API-Key": publicKey },
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(decoder.decode((await reader.read()).value)).toBe("chunk 0\n");
    expect(await upstreamEvents(id)).toEqual(["received"]);
    await reader.cancel();
  });

  it("a caller cancelling the body cancels the upstream request", async () => {
    const { label, publicKey } = await endpointProject();
    const id = requestTag();
    const response = await proxy(label, `/sse?events=100&delay=100&id=${id}`, { headers: { "X-API-Key": publicKey } });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    expect(await waitForUpstreamEvent(id, "aborted")).toEqual(["received", "aborted"]);
  });

  it("a caller aborting before the upstream answered cancels the upstream request", async () => {
    const { label, publicKey } = await endpointProject();
    const id = requestTag();
    const controller = new AbortController();
    const call = proxy(label, `/hang?id=${id}`, { headers: { "X-API-Key": publicKey }, signal: controller.signal });
    expect(await waitForUpstreamEvent(id, "received")).toEqual(["received"]);
    controller.abort();
    await expect(call).rejects.toThrow();
    expect(await waitForUpstreamEvent(id, "aborted")).toEqual(["received", "aborted"]);
  });
});
