import { BROADCAST_CHANNEL, CHANNEL_NAME_PATTERN } from "./identifiers.js";

/**
 * Why `name` cannot be a channel, or null when it can. Names are 1-255 characters of
 * `A-Z a-z 0-9 . _ : -`; names starting with `_` are reserved for the system, and only the project
 * broadcast channel (`_broadcast`) exists among them.
 */
export function channelNameProblem(name: string): string | null {
  if (!CHANNEL_NAME_PATTERN.test(name)) {
    return `"${name.slice(0, 300)}" is not a channel name: use 1-255 characters of A-Z a-z 0-9 . _ : -`;
  }
  if (name.startsWith("_") && name !== BROADCAST_CHANNEL) {
    return `Channel names starting with "_" are reserved (the only one is ${BROADCAST_CHANNEL}).`;
  }
  return null;
}

/**
 * The Durable Object name of a project's channel. Project ids never contain `:`, so the first `:`
 * separates the two and no two projects can share an object.
 */
export function channelObjectName(projectId: string, channel: string): string {
  return `${projectId}:${channel}`;
}
