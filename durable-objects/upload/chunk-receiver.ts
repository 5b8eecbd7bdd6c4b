import { BLOCK_BYTES } from "./upload-plan";
import type { UploadStore } from "./upload-store";

/** Where a chunk goes and what may be in it. */
export interface ReceiveTarget {
  store: UploadStore;
  /** The durable offset when the chunk starts. */
  offset: number;
  /** The whole file's size: bytes past it are refused. */
  length: number;
  partSize: number;
  /** Called each time the kept bytes make a whole part (not the last one), before reading on. */
  partFull(): Promise<void>;
}

export interface ReceiveOutcome {
  /** The durable offset after the chunk: every byte below it is stored. */
  offset: number;
  /** The body held more bytes than the file's declared length; the extra bytes were dropped. */
  overflow: boolean;
  /** The body ended with an error (a cut connection): what arrived before it is kept. */
  cut: boolean;
}

/**
 * Reads one chunk (a PATCH body) into blocks of at most {@link BLOCK_BYTES}, never across a part
 * boundary, so each part is a run of whole blocks. Bytes reach storage block by block: a
 * connection cut mid-chunk keeps everything that arrived (the partial block is written when the
 * body ends, even with an error), and the client resumes from there. Memory stays at about one
 * block plus what the stream hands over at once, whatever the chunk's size.
 */
export async function receiveChunk(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  target: ReceiveTarget,
): Promise<ReceiveOutcome> {
  const { store, length, partSize } = target;
  let offset = target.offset;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let overflow = false;
  let cut = false;

  const flush = async () => {
    if (pendingBytes === 0) return;
    store.addBlock(concat(pending, pendingBytes));
    offset += pendingBytes;
    pending = [];
    pendingBytes = 0;
    if (offset % partSize === 0 && offset < length) await target.partFull();
  };

  reading: while (true) {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch {
      cut = true;
      break;
    }
    if (result.done) break;
    let chunk = result.value;
    while (chunk.length > 0) {
      const position = offset + pendingBytes;
      if (position >= length) {
        overflow = true;
        await reader.cancel().catch(() => {});
        break reading;
      }
      const partEnd = (Math.floor(position / partSize) + 1) * partSize;
      const room = Math.min(BLOCK_BYTES - pendingBytes, partEnd - position, length - position);
      const taken = chunk.subarray(0, room);
      pending.push(taken);
      pendingBytes += taken.length;
      chunk = chunk.subarray(taken.length);
      const end = position + taken.length;
      if (pendingBytes === BLOCK_BYTES || end === partEnd || end === length) await flush();
    }
  }
  await flush();
  return { offset, overflow, cut };
}

/** One exact-size copy of the pieces (the stream's buffers are not ours to keep). */
function concat(pieces: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const piece of pieces) {
    bytes.set(piece, at);
    at += piece.length;
  }
  return bytes;
}
