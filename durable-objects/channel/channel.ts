import { ApiError, type ErrorBody } from "../../core/errors";
import { OP_BITS, opNames } from "../../core/protocol/capabilities";
import {
  type CapabilityOp,
  CHANNEL_CLIENT_FRAME_TYPES,
  ChannelClientFrame,
  type HelloFrame,
  type HistoryFrame,
  type Message,
  type PresenceFrame,
  type PresenceSnapshotFrame,
  type PublishFrame,
} from "../../core/protocol/channel";
import type { ConnectParams } from "../../core/protocol/connect-params";
import type { Attachment } from "../hub/attachment";
import { ackFrame, type Json, messagesFrames, serializeFrame } from "../hub/frames";
import { type BaseClientFrame, randomId, SocketHub } from "../hub/socket-hub";
import { DedupWindow } from "../log/dedup";
import { historyReply } from "../log/history";
import { MessageLog, serializeMessage } from "../log/message-log";
import { PresenceSet } from "../log/presence";

/** What a publish (from a socket or from REST) resolves to. */
export interface PublishResult {
  id: string;
  /** The message's seq; null for an ephemeral message. */
  seq: number | null;
  timestamp: number;
  /** True when the id was already published: `seq` and `timestamp` are the original ones. */
  duplicate: boolean;
}

/** A publish as the REST route hands it over, already authorized. */
export interface PublishInput {
  client_id: string;
  /** Client-assigned id for exactly-once; the server makes one up when absent. */
  id?: string | undefined;
  name: string;
  data: unknown;
  ephemeral?: boolean | undefined;
}

/**
 * What a REST publish resolves to: the outcome, or the error body of an {@link ApiError} (an error
 * thrown over RPC reaches the Worker as a plain `Error`, so it comes back as a value; the route
 * throws it again with `ApiError.fromBody`).
 */
export type PublishOutcome = { result: PublishResult; error: null } | { result: null; error: ErrorBody };

/** A page of history as REST serves it: newest first. */
export interface HistoryResult {
  /** Serialized messages, newest first (the route splices them into its body as they are). */
  items: Json<Message>[];
  next_before_seq: number | null;
}

/**
 * One pub/sub channel of one project: the object named `<project id>:<channel name>`.
 *
 * Stored messages go through the {@link MessageLog}: a gap-free `seq` written with the message and
 * its dedup key in one synchronous turn, a replay buffer for resume and history, exactly-once
 * publishes. Presence lives in the socket attachments. See docs/protocol.md.
 */
export class ChannelObject extends SocketHub {
  protected readonly frameSchema = ChannelClientFrame;
  protected readonly frameTypes: ReadonlySet<string> = new Set(CHANNEL_CLIENT_FRAME_TYPES);

  readonly #log: MessageLog<Message>;
  readonly #presence: PresenceSet;
  readonly #epoch: string;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#log = new MessageLog(this.sql, () => this.limits);
    this.#presence = new PresenceSet({
      sockets: () => this.sockets(),
      attachment: (ws) => this.attachment(ws),
      setAttachment: (ws, attachment) => this.setAttachment(ws, attachment),
      broadcast: (frame) => this.broadcast(frame),
    });
    let epoch = this.meta("epoch");
    if (!epoch) {
      epoch = randomId().slice(0, 12);
      this.setMeta("epoch", epoch);
    }
    this.#epoch = epoch;
  }

  // ===== RPC (called by the Worker's REST routes, which authenticate and authorize first)

  /** Publishes a message from the REST API: same seq, dedup and fan-out as a socket publish. */
  publishMessage(input: PublishInput): PublishOutcome {
    try {
      const result = this.#publish(input.client_id, input.id ?? `srv-${randomId()}`, input.name, input.data ?? null, {
        ephemeral: input.ephemeral === true,
        tooLarge: "payload_too_large",
      });
      return { result, error: null };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return { result: null, error: error.toBody() };
    }
  }

  /** Stored messages older than `beforeSeq` (all when null), newest first. */
  history(beforeSeq: number | null, limit: number): HistoryResult {
    const page = this.#log.before(beforeSeq, limit);
    return { items: page.items, next_before_seq: page.nextBeforeSeq };
  }

  /** The present members, serialized (a JSON array of presence members). */
  presenceMembers(): string {
    return JSON.stringify(this.#presence.members());
  }

  /** The channel's epoch, head seq and retained range (for diagnostics and tests). */
  state(): { epoch: string; seq: number; oldest_seq: number; stored: number; connections: number } {
    return {
      epoch: this.#epoch,
      seq: this.#log.head,
      oldest_seq: this.#log.floor,
      stored: this.#log.count,
      connections: this.connectionCount,
    };
  }

  // ===== Socket hub hooks

  protected onConnect(_ws: WebSocket, attachment: Attachment, params: ConnectParams): string[] {
    const { resume, replay } = this.#log.resume(params.since_seq, params.epoch, this.#epoch);
    const hello = serializeFrame<typeof HelloFrame>({
      type: "hello",
      connection_id: attachment.cid,
      client_id: attachment.client,
      user_id: attachment.user,
      channel: params.name,
      epoch: this.#epoch,
      seq: this.#log.head,
      resume,
      presence: this.#presence.members(),
      capabilities: opNames(attachment.ops),
      limits: this.connectionLimits(attachment),
    });
    return [hello, ...messagesFrames(replay, this.limits.coalesce_max_items, this.limits.coalesce_max_bytes)];
  }

  protected onFrame(ws: WebSocket, attachment: Attachment, frame: BaseClientFrame): string {
    const request = frame as ChannelClientFrame;
    switch (request.type) {
      case "publish":
        return this.#onPublish(attachment, request);
      case "presence":
        return this.#onPresence(ws, attachment, request);
      case "presence_get":
        requireOp(attachment, "subscribe");
        return serializeFrame<typeof PresenceSnapshotFrame>({
          type: "presence_snapshot",
          ref: request.ref,
          members: this.#presence.members(),
        });
      case "history":
        return this.#onHistory(attachment, request);
      default:
        throw new ApiError("unknown_type", `Unknown frame type ${JSON.stringify(request.type)}.`);
    }
  }

  protected override onDisconnect(ws: WebSocket, attachment: Attachment): void {
    this.#presence.drop(ws, attachment, Date.now());
  }

  // ===== Frames

  #onPublish(attachment: Attachment, frame: PublishFrame): string {
    requireOp(attachment, "publish");
    const result = this.#publish(attachment.client, frame.id, frame.name, frame.data ?? null, {
      ephemeral: frame.ephemeral === true,
    });
    return ackFrame(frame.ref, result);
  }

  #onPresence(ws: WebSocket, attachment: Attachment, frame: PresenceFrame): string {
    requireOp(attachment, "presence");
    const now = Date.now();
    if (frame.action === "leave") {
      this.#presence.leave(ws, attachment, now);
    } else {
      const data = JSON.stringify(frame.data ?? null);
      if (data.length > this.limits.max_presence_bytes) {
        throw new ApiError("frame_too_large", `Presence data may be at most ${this.limits.max_presence_bytes} bytes.`, {
          max_bytes: this.limits.max_presence_bytes,
        });
      }
      this.#presence.set(ws, attachment, data, now);
    }
    return ackFrame(frame.ref);
  }

  #onHistory(attachment: Attachment, frame: HistoryFrame): string {
    requireOp(attachment, "history");
    return historyReply(this.#log, frame);
  }

  // ===== Core

  /**
   * Stores the message (next seq, dedup key) and queues it for fan-out, in one synchronous turn. A
   * duplicate id returns the original seq and delivers nothing.
   */
  #publish(
    clientId: string,
    id: string,
    name: string,
    data: unknown,
    options: { ephemeral: boolean; tooLarge?: "payload_too_large" },
  ): PublishResult {
    const timestamp = Date.now();
    if (options.ephemeral) {
      const message: Message = { id, seq: null, name, data, client_id: clientId, timestamp, ephemeral: true };
      this.enqueue(serializeMessage(message, this.limits.max_frame_bytes, options.tooLarge));
      return { id, seq: null, timestamp, duplicate: false };
    }
    // Serialized (and size-checked) before anything is written, so a refused message leaves no trace.
    const stored = this.#log.append(DedupWindow.key(clientId, id), timestamp, (seq) =>
      serializeMessage<Message>(
        { id, seq, name, data, client_id: clientId, timestamp },
        this.limits.max_frame_bytes,
        options.tooLarge,
      ),
    );
    if (stored.json === null) return { id, seq: stored.seq, timestamp: stored.timestamp, duplicate: true };
    this.enqueue(stored.json);
    return { id, seq: stored.seq, timestamp, duplicate: false };
  }
}

/** Throws `forbidden` unless the connection holds `op`. */
function requireOp(attachment: Attachment, op: CapabilityOp): void {
  if ((attachment.ops & OP_BITS[op]) === 0) {
    throw new ApiError(
      "forbidden",
      `This connection may not ${op === "presence" ? "enter presence" : op} on this channel.`,
      {
        capability: op,
      },
    );
  }
}
