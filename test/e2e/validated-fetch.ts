// The fetch the e2e clients use: the global fetch, plus a check of every JSON response against the
// server's OpenAPI document, so a response that drifts from its declared schema (or a status or
// error code a route does not declare) fails the test that got it.
import { afterEach, expect, inject } from "vitest";
import { type OpenApiDocument, ResponseValidator, type Violation } from "./openapi-validator";

let validator: Promise<ResponseValidator> | undefined;
const violations: Violation[] = [];

/** The server's document, fetched once per test file. */
function documentValidator(): Promise<ResponseValidator> {
  validator ??= fetch(`${inject("baseUrl")}/openapi.json`).then(async (response) => {
    if (response.status !== 200) throw new Error(`GET /openapi.json answered ${response.status}`);
    return new ResponseValidator((await response.json()) as OpenApiDocument);
  });
  return validator;
}

/**
 * `fetch`, checking the response before handing it back. JSON bodies are read from a clone, so
 * the caller still reads the original; other bodies (files, streams) are checked by status only.
 */
export async function validatedFetch(input: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  const url = new URL(input);
  if (url.origin !== new URL(inject("baseUrl")).origin) return response;
  const method = init?.method ?? "GET";
  const isJson = response.headers.get("Content-Type")?.includes("application/json") ?? false;
  const body = isJson ? await response.clone().text() : null;
  const problem = (await documentValidator()).check(method, url.pathname, response.status, body);
  if (problem) violations.push({ request: `${method} ${url.pathname}${url.search}`, status: response.status, problem });
  return response;
}

afterEach(() => {
  const found = violations.splice(0);
  expect(found, "responses that do not match /openapi.json").toEqual([]);
});
