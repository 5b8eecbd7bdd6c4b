import type { BlockRef, UploadStore } from "./upload-store";

/**
 * Sends kept blocks to R2 as one body, reading them from SQLite one block at a time, so a part
 * of any size costs about one block of memory. R2 takes a stream only when its length is known
 * up front: a `FixedLengthStream` gives it that.
 *
 * @param send puts the body somewhere (an R2 part or object) and resolves with what R2 answers.
 */
export async function sendBlocks<T>(
  store: UploadStore,
  blocks: readonly BlockRef[],
  send: (body: ReadableStream<Uint8Array>) => Promise<T>,
): Promise<T> {
  const size = blocks.reduce((total, block) => total + block.size, 0);
  const { readable, writable } = new FixedLengthStream(size);
  const writer = writable.getWriter();
  const pumping = (async () => {
    for (const block of blocks) await writer.write(store.blockBytes(block.seq));
    await writer.close();
  })();
  try {
    const [result] = await Promise.all([send(readable), pumping]);
    return result;
  } catch (error) {
    // Unblocks a write waiting for a reader that R2 gave up on.
    await writer.abort(error).catch(() => {});
    throw error;
  }
}
