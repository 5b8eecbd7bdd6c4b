import type { ResumeResult } from "../../core/protocol/channel.js";

/**
 * Messages a realtime object could not deliver, said explicitly: `too_old` when they fell out of
 * the server's replay buffer while this client was away (`missed_from`..`missed_to`), `reset` when
 * the object's history restarted. Messages after the gap are delivered normally.
 */
export interface GapEvent {
  reason: "too_old" | "reset";
  missed_from: number | null;
  missed_to: number | null;
}

/** What a hello says about the message sequence (channels and rooms alike). */
interface SequenceHello {
  seq: number;
  epoch: string;
  resume: ResumeResult | null;
}

/**
 * Where a client stands in an object's stored message sequence (channels, rooms): the connect
 * parameters that resume from it, the hello's verdict on the resume, and the check that delivers
 * each stored message exactly once (a replay may overlap what already arrived live).
 */
export class ResumeCursor {
  #at: { seq: number; epoch: string | null } | null;

  /** @param sinceSeq start from this seq (the first connect replays what came after it) */
  constructor(sinceSeq?: number) {
    this.#at = sinceSeq === undefined ? null : { seq: sinceSeq, epoch: null };
  }

  /** The seq of the last message delivered (or the object's seq when first connected); null before. */
  get seq(): number | null {
    return this.#at?.seq ?? null;
  }

  /** The connect parameters that resume from here (none before the first hello). */
  params(): { since_seq: number | undefined; epoch: string | null | undefined } {
    return { since_seq: this.#at?.seq, epoch: this.#at?.epoch };
  }

  /** Takes a hello's position; returns the gap it reports, if any (the cursor then moves past it). */
  onHello(hello: SequenceHello): GapEvent | null {
    const resume = hello.resume;
    if (resume === null || this.#at === null) {
      this.#at = { seq: hello.seq, epoch: hello.epoch };
      return null;
    }
    if (resume.status === "ok") {
      this.#at.epoch = hello.epoch;
      return null;
    }
    this.#at =
      resume.reason === "too_old" && resume.missed_to !== null
        ? { seq: resume.missed_to, epoch: hello.epoch }
        : { seq: hello.seq, epoch: hello.epoch };
    return { reason: resume.reason, missed_from: resume.missed_from, missed_to: resume.missed_to };
  }

  /**
   * Whether a message is new, advancing past it when it is. Ephemeral messages (seq null) always
   * are; a stored one already delivered (a replay overlapping live traffic) is not.
   */
  accept(seq: number | null): boolean {
    if (seq === null) return true;
    if (this.#at && seq <= this.#at.seq) return false;
    if (this.#at) this.#at.seq = seq;
    return true;
  }
}
