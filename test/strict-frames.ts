// Strict parsing of server frames for the test socket helpers (test/worker and test/e2e): every
// frame a test receives must match its object's schema in core/protocol and carry no field the
// schema does not declare, at any depth, so a frame that drifts from the contract fails a test.
import type { z } from "zod";
import { ChannelServerFrame } from "../core/protocol/channel";
import { RoomServerFrame } from "../core/protocol/room";
import { WatcherServerFrame } from "../core/protocol/watcher";

/** The server-frame union of each realtime endpoint, by its path segment under `/v1/realtime/`. */
export const SERVER_FRAME_SCHEMAS = {
  channels: ChannelServerFrame,
  rooms: RoomServerFrame,
  collections: WatcherServerFrame,
} as const;

/** The server-frame union of the realtime endpoint `url` (or path) points at. */
export function serverFrameSchemaFor(url: string | URL): z.ZodType<{ type: string }> {
  const path = new URL(String(url), "http://x").pathname;
  const kind = /\/v1\/realtime\/([^/]+)\//.exec(path)?.[1] as keyof typeof SERVER_FRAME_SCHEMAS | undefined;
  const schema = kind === undefined ? undefined : SERVER_FRAME_SCHEMAS[kind];
  if (!schema) throw new Error(`No server-frame schema for ${path}`);
  return schema;
}

/**
 * Parses one server frame against `schema`, strictly: it must match, and every field it carries
 * must be declared (zod objects strip unknown fields, so any field missing from the parsed value is
 * one the schema does not know).
 *
 * @throws {Error} naming the frame and what is wrong with it.
 */
export function parseServerFrame<S extends z.ZodType>(schema: S, text: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`A server frame is not JSON: ${text.slice(0, 500)}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(frame)"}: ${issue.message}`);
    throw new Error(`A server frame does not match its schema (${issues.join("; ")}): ${text.slice(0, 500)}`);
  }
  const undeclared = undeclaredFields(value, parsed.data, "");
  if (undeclared.length > 0) {
    throw new Error(
      `A server frame has fields its schema does not declare (${undeclared.join(", ")}): ${text.slice(0, 500)}`,
    );
  }
  return parsed.data;
}

/** Paths of `raw` that the parsed value dropped. */
function undeclaredFields(raw: unknown, parsed: unknown, path: string): string[] {
  if (Array.isArray(raw) && Array.isArray(parsed)) {
    return raw.flatMap((item, index) => undeclaredFields(item, parsed[index], `${path}[${index}]`));
  }
  if (!isObject(raw) || !isObject(parsed)) return [];
  const found: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const at = path === "" ? key : `${path}.${key}`;
    if (!(key in parsed)) found.push(at);
    else found.push(...undeclaredFields(value, parsed[key], at));
  }
  return found;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
