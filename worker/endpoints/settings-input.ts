import { z } from "zod";
import { ENDPOINT_BOUNDS, ENDPOINT_DEFAULTS, ENDPOINT_LABEL } from "../../core/endpoints/limits";
import type { EndpointSettingsInput } from "../../core/endpoints/wire";
import { ApiError } from "../../core/errors";
import { MAX_FILTER_LENGTH } from "../../core/query";
import { parseEndpointRule } from "../../data/endpoints/access";
import type { EndpointSettings } from "../../data/endpoints/endpoints";
import { HEADER_NAME, RESERVED_SECRET_HEADERS } from "./headers";
import { checkUpstreamUrl, type UpstreamPolicy } from "./upstream-guard";

export const EndpointLabel = z
  .string()
  .regex(ENDPOINT_LABEL, "1-63 lowercase letters, digits, - or _, starting with a letter or digit");

const TimeoutMs = z.number().int().min(ENDPOINT_BOUNDS.timeout_ms.min).max(ENDPOINT_BOUNDS.timeout_ms.max);
const PerMinute = z
  .number()
  .int()
  .min(ENDPOINT_BOUNDS.requests_per_minute.min)
  .max(ENDPOINT_BOUNDS.requests_per_minute.max)
  .nullable();

const Target = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("url"), url: z.string().min(1).max(2048) }),
  z.strictObject({ kind: z.literal("tunnel") }),
]);

const SecretHeaders = z
  .record(
    z.string().regex(HEADER_NAME, "a header name"),
    z
      .string()
      .max(ENDPOINT_BOUNDS.header_value_chars)
      .regex(/^[\t\x20-\x7e\x80-\xff]*$/, "a header value (no line breaks or control characters)")
      .nullable(),
  )
  .refine((headers) => Object.keys(headers).length <= ENDPOINT_BOUNDS.headers, {
    message: `at most ${ENDPOINT_BOUNDS.headers} headers`,
  });

const SettingsFields = {
  description: z.string().trim().max(ENDPOINT_BOUNDS.description_chars).nullable().optional(),
  headers: SecretHeaders.optional(),
  timeouts: z
    .strictObject({
      first_byte_ms: TimeoutMs.optional(),
      idle_ms: TimeoutMs.optional(),
      total_ms: TimeoutMs.optional(),
    })
    .optional(),
  max_body_bytes: z
    .number()
    .int()
    .min(ENDPOINT_BOUNDS.max_body_bytes.min)
    .max(ENDPOINT_BOUNDS.max_body_bytes.max)
    .optional(),
  rate_limit: z.strictObject({ per_label: PerMinute.optional(), per_caller: PerMinute.optional() }).optional(),
  access: z
    .strictObject({
      public_key: z.boolean().optional(),
      user_tokens: z.boolean().optional(),
      rule: z.string().trim().min(1).max(MAX_FILTER_LENGTH).nullable().optional(),
    })
    .optional(),
};

/** `POST /v1/endpoints` body. */
export const CreateEndpointBody = z.strictObject({ label: EndpointLabel, target: Target, ...SettingsFields });

/** `PATCH /v1/endpoints/:label` body: the fields to change. */
export const UpdateEndpointBody = z.strictObject({ target: Target.optional(), ...SettingsFields });

/** What a new endpoint starts from. */
export const NEW_ENDPOINT: Omit<EndpointSettings, "target"> = {
  description: null,
  secretHeaders: {},
  timeouts: {
    first_byte_ms: ENDPOINT_DEFAULTS.first_byte_ms,
    idle_ms: ENDPOINT_DEFAULTS.idle_ms,
    total_ms: ENDPOINT_DEFAULTS.total_ms,
  },
  maxBodyBytes: ENDPOINT_DEFAULTS.max_body_bytes,
  rateLimit: { per_label: null, per_caller: null },
  access: { public_key: true, user_tokens: true, rule: null },
};

function mergeHeaders(current: Record<string, string>, input: Record<string, string | null>) {
  // Header names are case-insensitive: one spelling per name, the last one sent.
  const merged = new Map(Object.entries(current).map(([name, value]) => [name.toLowerCase(), { name, value }]));
  for (const [name, value] of Object.entries(input)) {
    const key = name.toLowerCase();
    if (RESERVED_SECRET_HEADERS.has(key)) {
      throw new ApiError("invalid_request", `The secret header "${name}" is set or removed by the proxy itself.`, {
        header: name,
      });
    }
    if (value === null) merged.delete(key);
    else merged.set(key, { name, value });
  }
  if (merged.size > ENDPOINT_BOUNDS.headers) {
    throw new ApiError("invalid_request", `An endpoint has at most ${ENDPOINT_BOUNDS.headers} secret headers.`);
  }
  return Object.fromEntries([...merged.values()].map(({ name, value }) => [name, value]));
}

/**
 * A request's settings over the current ones (a new endpoint's defaults on create), checked as a
 * whole: the upstream URL against the SSRF guard, the rule parsed, the timeouts consistent.
 *
 * @throws {ApiError} `invalid_request` (URL, headers, timeouts) or `invalid_filter` (rule).
 */
export function mergeSettings(
  current: EndpointSettings,
  input: EndpointSettingsInput,
  policy: UpstreamPolicy,
): EndpointSettings {
  const target = input.target ?? current.target;
  const merged: EndpointSettings = {
    description: input.description === undefined ? current.description : input.description || null,
    target: target.kind === "url" ? { kind: "url", url: checkUpstreamUrl(target.url, policy) } : { kind: "tunnel" },
    secretHeaders: input.headers ? mergeHeaders(current.secretHeaders, input.headers) : current.secretHeaders,
    timeouts: { ...current.timeouts, ...definedOnly(input.timeouts) },
    maxBodyBytes: input.max_body_bytes ?? current.maxBodyBytes,
    rateLimit: { ...current.rateLimit, ...definedOnly(input.rate_limit) },
    access: { ...current.access, ...definedOnly(input.access) },
  };
  const { first_byte_ms, idle_ms, total_ms } = merged.timeouts;
  if (first_byte_ms > total_ms || idle_ms > total_ms) {
    throw new ApiError("invalid_request", "The first-byte and idle timeouts cannot be longer than the total timeout.", {
      timeouts: merged.timeouts,
    });
  }
  if (merged.access.rule !== null) parseEndpointRule(merged.access.rule);
  return merged;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, field]) => field !== undefined)) as Partial<T>;
}
