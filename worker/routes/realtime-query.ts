import { z } from "zod";
import { ApiError } from "../../core/errors";
import { describeIssues } from "../../core/issues";
import { parseJsonText } from "../../core/json-limits";

/**
 * Query parameters every realtime upgrade reads (worker/routes/realtime-upgrade.ts): credentials
 * for clients that cannot send headers or subprotocols, who is connecting, and where a resume
 * starts. Declared here for the OpenAPI document; the upgrade parses them in-band.
 */
export const ConnectQuery = z.object({
  api_key: z.string().optional().meta({ description: "A public key (pk_…); never a secret key in a URL." }),
  access_token: z.string().optional().meta({ description: "A user token." }),
  client_id: z
    .string()
    .optional()
    .meta({ description: "Who a key connects as (1-128 of A-Z a-z 0-9 . _ : @ | + -); a user token is its user." }),
  since_seq: z.string().optional().meta({ description: "Resume after this sequence number." }),
});

/** The `epoch` of a resume (what a hello frame reported), for channels and rooms. */
export const EpochQuery = z.object({
  epoch: z.string().optional().meta({ description: "The epoch of a resume, as a hello frame reported it." }),
});

/** A whole number in a query string ("" counts as absent, null). */
export function wholeNumberParam(name: string, maxDigits = 9) {
  return z
    .string()
    .regex(new RegExp(`^\\d{0,${maxDigits}}$`), `${name} must be a whole number.`)
    .transform((text) => (text === "" ? null : Number(text)))
    .optional();
}

/** A JSON object in a query string ("" counts as absent, null). */
export function jsonObjectParam(name: string) {
  return z
    .string()
    .transform((text, context): unknown => {
      if (text === "") return null;
      const json = parseJsonText(text);
      if (json.ok) return json.value;
      const why = json.problem.kind === "syntax" ? "" : ` ${json.problem.message}`;
      context.addIssue({ code: "custom", message: `${name} must be a JSON object.${why}` });
      return z.NEVER;
    })
    .optional()
    .meta({ description: "A JSON object." });
}

/**
 * Parses an upgrade's query with `schema` (each parameter's first value). A refusal says the
 * first problem in its message and lists every one in `details.issues`.
 *
 * @throws {ApiError} `invalid_request`, which refuses the socket in-band (close code 4000).
 */
export function parseUpgradeQuery<S extends z.ZodType>(schema: S, query: URLSearchParams): z.output<S> {
  const values: Record<string, string> = {};
  for (const [name, value] of query) values[name] ??= value;
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? "Invalid query parameters.";
    throw new ApiError("invalid_request", message, { issues: describeIssues(parsed.error) });
  }
  return parsed.data;
}
