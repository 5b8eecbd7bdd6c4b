/** The tunnel routes' JSON responses (`GET /v1/tunnels/:label`, `…/requests`) as zod schemas. */
import { z } from "zod";

/** One request the tunnel carried, as its request log keeps it (no bodies, no headers, no query). */
export const TunnelLogEntrySchema = z.object({
  id: z.number().int().min(1),
  method: z.string(),
  path: z.string().meta({ description: "The path the local server was asked for, without the query." }),
  status: z.number().int().nullable().meta({ description: "The local server's status; null if it never answered." }),
  outcome: z.enum(["completed", "cancelled", "reset", "disconnected"]).meta({
    description:
      "completed: the whole response went through; cancelled: the caller went away (or the CLI cancelled); reset: the CLI or the object abandoned the stream (unreachable, timeout, body too large, protocol error); disconnected: the tunnel dropped mid-request.",
  }),
  bytes_in: z.number().int().min(0).meta({ description: "Request body bytes sent to the local server." }),
  bytes_out: z.number().int().min(0).meta({ description: "Response body bytes received from it." }),
  duration_ms: z.number().int().min(0),
  started_at: z.string().meta({ description: "ISO-8601 UTC" }),
});
export type TunnelLogEntry = z.infer<typeof TunnelLogEntrySchema>;

export const TunnelLogSchema = z.object({
  items: z.array(TunnelLogEntrySchema),
  next_cursor: z.null(),
});

/** Whether a CLI is connected for the label right now. */
export const TunnelStatusSchema = z.object({
  label: z.string(),
  online: z.boolean(),
  connected_at: z.string().meta({ description: "ISO-8601 UTC" }).nullable(),
  in_flight: z.number().int().min(0).meta({ description: "Requests going through the tunnel right now." }),
});
export type TunnelStatus = z.infer<typeof TunnelStatusSchema>;
