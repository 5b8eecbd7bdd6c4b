import { DurableObject } from "cloudflare:workers";
import { ApiError } from "../../core/errors";
import { withRoundTripCounter } from "../../data/d1/round-trips";
import { commitFile } from "../../data/files/files";
import { sendBlocks } from "./blocks-body";
import { receiveChunk } from "./chunk-receiver";
import { FINISHED_TTL_MS, partSizeFor, UPLOAD_TTL_MS } from "./upload-plan";
import type { StoredObject, UploadError, UploadInit, UploadRecord, UploadResult, UploadStatus } from "./upload-record";
import { type BlockRef, UploadStore } from "./upload-store";

/** How soon an expired upload whose row could not be written tries again. */
const COMMIT_RETRY_MS = 60_000;

/** A chunk being read: a newer PATCH for the same upload cancels it and waits for it to end. */
interface Receiving {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  done: Promise<unknown>;
}

/**
 * One resumable (tus) upload: the object named by {@link uploadObjectName}. It keeps the bytes
 * that do not make a whole R2 part yet in its SQLite storage (blocks of at most 1 MiB), sends
 * each whole part to an R2 multipart upload as soon as it is complete, and completes the
 * multipart upload when the last byte is in. Clients may send chunks of any size, in any number
 * of requests; whatever arrived before a connection cut is kept, and an eviction loses nothing
 * (the state is all in storage). An unfinished upload expires by alarm and its multipart upload
 * is aborted.
 *
 * The Worker checks credentials and bucket rules; this object keeps bytes and offsets, and once
 * the rules allowed the finished file, puts it in R2 and writes its row. Its RPC methods return
 * `{ status }` or `{ error }` (thrown errors would lose their code over RPC).
 */
export class UploadObject extends DurableObject<Env> {
  #store: UploadStore;
  #record: UploadRecord | null;
  /** Bytes durably received (R2 parts plus kept blocks). */
  #offset = 0;
  #receiving: Receiving | null = null;
  /** The one completion in progress, shared by concurrent callers. */
  #storing: Promise<UploadResult> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, withRoundTripCounter(env));
    this.#store = new UploadStore(ctx.storage.sql);
    this.#record = this.#store.record();
    if (this.#record) this.#offset = this.#storedOffset();
  }

  /**
   * Expiry: an unfinished upload is aborted (its R2 parts too); a finished one's record goes. A
   * file R2 holds whose row is not written yet (the request that completed it failed after R2)
   * passed its rules already: its row is written now, so bytes never stay unlisted.
   */
  override async alarm(): Promise<void> {
    const record = this.#record;
    if (record && Date.now() < record.expires_at) {
      await this.ctx.storage.setAlarm(record.expires_at);
      return;
    }
    if (record?.phase === "stored") {
      if ((await this.store()).error) {
        await this.ctx.storage.setAlarm(Date.now() + COMMIT_RETRY_MS);
        return;
      }
    }
    await this.#discard();
  }

  /** Starts the upload. */
  async create(init: UploadInit): Promise<UploadResult> {
    if (this.#record) return failure("conflict", "This upload exists already.");
    const now = Date.now();
    const record: UploadRecord = {
      ...init,
      v: 1,
      part_size: partSizeFor(init.length),
      multipart_id: null,
      created_at: now,
      expires_at: now + UPLOAD_TTL_MS,
      phase: "receiving",
      stored: null,
      file: null,
    };
    this.#save(record);
    await this.ctx.storage.setAlarm(record.expires_at);
    return { status: this.#status(record) };
  }

  /** The upload as it is now (`not_found` once terminated or expired). */
  async status(): Promise<UploadResult> {
    return this.#record ? { status: this.#status(this.#record) } : gone();
  }

  /**
   * Appends one chunk at `offset`, which must be the durable offset (`conflict` otherwise, with
   * `details.offset`). A chunk still being read from an earlier, cut connection is cancelled
   * first, so the offset compared is final. Answers with the new durable offset, also after a
   * cut: then the client asks for it and resumes.
   */
  async append(offset: number, body: ReadableStream<Uint8Array> | null): Promise<UploadResult> {
    await this.#cancelReceiving();
    const record = this.#record;
    if (!record) {
      await body?.cancel();
      return gone();
    }
    if (record.phase !== "receiving") {
      await body?.cancel();
      return failure("conflict", "The upload is complete: it takes no more bytes.", { offset: this.#offset });
    }
    if (offset !== this.#offset) {
      await body?.cancel();
      return failure(
        "conflict",
        `Upload-Offset is ${offset}, but ${this.#offset} bytes are stored: resume from there.`,
        {
          offset: this.#offset,
        },
      );
    }
    if (body) {
      const reader = body.getReader();
      const receiving = (async () => {
        // Whole parts left over from a chunk whose part upload failed go first.
        await this.#sendWholeParts();
        return receiveChunk(reader, {
          store: this.#store,
          offset,
          length: record.length,
          partSize: record.part_size,
          partFull: () => this.#sendWholeParts(),
        });
      })();
      this.#receiving = { reader, done: receiving.catch(() => {}) };
      try {
        const outcome = await receiving;
        if (outcome.overflow) {
          return failure(
            "invalid_request",
            `The chunk goes past Upload-Length (${record.length} bytes); the bytes up to it are stored.`,
            { offset: this.#storedOffset(), length: record.length },
          );
        }
      } catch (error) {
        // R2 refused a part: the bytes stay kept here, and the next chunk sends the part again.
        console.error(`Upload ${record.upload_id}: sending a part to R2 failed:`, error);
        await reader.cancel().catch(() => {});
        return failure("internal", "Storing the chunk failed; ask for the offset (HEAD) and resume.", {
          offset: this.#storedOffset(),
        });
      } finally {
        if (this.#receiving?.reader === reader) this.#receiving = null;
        this.#offset = this.#storedOffset();
        await this.#touch();
      }
    }
    return { status: this.#status(this.#record ?? record) };
  }

  /**
   * Makes the file once every byte is in: puts it whole in R2 (the last part and the completion
   * of the multipart upload, or one plain put for a file smaller than a part), then writes its
   * row in D1, so it is listed only once R2 holds it. Call it only after the bucket's rules
   * allowed the file. Each step runs once; calling again after a failure resumes at the step
   * that failed, and a finished upload answers with its file. `origin` makes the file's URL
   * absolute (`https://api.example`).
   */
  async store(origin?: string): Promise<UploadResult> {
    const record = this.#record;
    if (!record) return gone();
    if (record.phase === "committed") return { status: this.#status(record) };
    if (record.phase === "receiving" && this.#offset < record.length) {
      return failure("conflict", `The upload has ${this.#offset} of ${record.length} bytes.`, { offset: this.#offset });
    }
    this.#storing ??= this.#finish(origin)
      .catch((error: unknown) => {
        if (error instanceof ApiError) {
          return failure(error.code, error.message, error.details as Record<string, unknown> | undefined);
        }
        // R2 or D1 failed: the phase reached is kept, and the next call (or the alarm) goes on from it.
        console.error(`Upload ${record.upload_id}: finishing ${record.path} failed:`, error);
        return failure("internal", "Storing the finished upload failed; ask again (HEAD) to retry.");
      })
      .finally(() => {
        this.#storing = null;
      });
    return this.#storing;
  }

  /** Termination (tus DELETE), or a failed final rule check: aborts the multipart upload, forgets everything. */
  async terminate(): Promise<UploadResult> {
    const record = this.#record;
    if (!record) return gone();
    await this.#cancelReceiving();
    const status = this.#status(record);
    await this.#discard();
    return { status };
  }

  /**
   * Sends each whole part among the kept blocks to R2, oldest first: normally the one the chunk
   * just completed, more when an earlier send failed (an R2 error, an eviction mid-send). A part
   * is exactly `part_size` bytes, as R2 requires of all parts but the last.
   */
  async #sendWholeParts(): Promise<void> {
    for (;;) {
      const record = this.#record as UploadRecord;
      const blocks = wholePart(this.#store.blocks(), record.part_size);
      if (!blocks) return;
      const multipart = await this.#multipart(record);
      const part = await sendBlocks(this.#store, blocks, (body) =>
        multipart.uploadPart(this.#store.partCount() + 1, body),
      );
      this.#store.partStored(part, (blocks.at(-1) as BlockRef).seq);
    }
  }

  /** Bytes durably received: R2's parts and the kept blocks. */
  #storedOffset(): number {
    return this.#store.partCount() * (this.#record as UploadRecord).part_size + this.#store.keptBytes();
  }

  async #finish(origin: string | undefined): Promise<UploadResult> {
    const resumed = (this.#record as UploadRecord).phase === "stored";
    if (!resumed) await this.#completeInR2(this.#record as UploadRecord);
    const record = this.#record as UploadRecord;
    const stored = record.stored as StoredObject;
    // A retry after a failure between the row and this object's own record: the row may have been
    // written and the file deleted since, bytes included. Committing again would list a file
    // without bytes.
    if (resumed && !(await this.env.BUCKET.head(record.key))) {
      return failure("not_found", `The file at "${record.path}" was deleted after the upload finished.`);
    }
    const { file } = await commitFile(
      this.env.DB,
      this.env.BUCKET,
      {
        projectId: record.project_id,
        bucket: record.bucket,
        path: record.path,
        size: stored.size,
        contentType: record.content_type,
        etag: stored.etag,
        metadata: record.metadata,
        uploadedBy: record.owner.user_id,
        objectKey: record.key,
        objectUploaded: new Date(stored.uploaded_at),
      },
      origin,
    );
    const expiresAt = Date.now() + FINISHED_TTL_MS;
    this.#save({ ...record, phase: "committed", file, expires_at: expiresAt });
    await this.ctx.storage.setAlarm(expiresAt);
    return { status: this.#status(this.#record as UploadRecord) };
  }

  async #completeInR2(record: UploadRecord): Promise<void> {
    const blocks = this.#store.blocks();
    let object: R2Object;
    if (record.multipart_id === null) {
      object = await sendBlocks(this.#store, blocks, (body) =>
        this.env.BUCKET.put(record.key, body, { httpMetadata: { contentType: record.content_type } }),
      );
    } else {
      await this.#sendWholeParts();
      const multipart = this.env.BUCKET.resumeMultipartUpload(record.key, record.multipart_id);
      const rest = this.#store.blocks();
      if (rest.length > 0) {
        const last = await sendBlocks(this.#store, rest, (body) =>
          multipart.uploadPart(this.#store.partCount() + 1, body),
        );
        this.#store.partStored(last, (rest.at(-1) as BlockRef).seq);
      }
      object = await multipart.complete(this.#store.parts());
    }
    const stored = { etag: object.etag, size: object.size, uploaded_at: object.uploaded.toISOString() };
    this.#save({ ...record, phase: "stored", stored });
    this.#store.clearBytes();
  }

  async #multipart(record: UploadRecord): Promise<R2MultipartUpload> {
    if (record.multipart_id !== null) return this.env.BUCKET.resumeMultipartUpload(record.key, record.multipart_id);
    const multipart = await this.env.BUCKET.createMultipartUpload(record.key, {
      httpMetadata: { contentType: record.content_type },
    });
    this.#save({ ...record, multipart_id: multipart.uploadId });
    return multipart;
  }

  async #cancelReceiving(): Promise<void> {
    const receiving = this.#receiving;
    if (!receiving) return;
    await receiving.reader.cancel().catch(() => {});
    await receiving.done;
  }

  /** Bytes arrived: the expiry moves on. */
  async #touch(): Promise<void> {
    const record = this.#record;
    if (record?.phase !== "receiving") return;
    this.#save({ ...record, expires_at: Date.now() + UPLOAD_TTL_MS });
    await this.ctx.storage.setAlarm((this.#record as UploadRecord).expires_at);
  }

  /** Forgets the upload: aborts its R2 multipart upload unless it completed, then drops all storage. */
  async #discard(): Promise<void> {
    const record = this.#record;
    if (record?.multipart_id && record.phase === "receiving") {
      try {
        await this.env.BUCKET.resumeMultipartUpload(record.key, record.multipart_id).abort();
      } catch (error) {
        // R2 aborts unfinished multipart uploads after 7 days anyway; the bytes here go regardless.
        console.error(`Upload ${record.upload_id}: aborting multipart upload ${record.multipart_id} failed:`, error);
      }
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#store = new UploadStore(this.ctx.storage.sql);
    this.#record = null;
    this.#offset = 0;
  }

  #save(record: UploadRecord): void {
    this.#store.saveRecord(record);
    this.#record = record;
  }

  #status(record: UploadRecord): UploadStatus {
    return { ...record, offset: record.phase === "receiving" ? this.#offset : record.length };
  }
}

function failure(code: UploadError["code"], message: string, details?: Record<string, unknown>): UploadResult {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** The first blocks that make exactly one part, or null when the kept bytes do not fill one. */
function wholePart(blocks: readonly BlockRef[], partSize: number): BlockRef[] | null {
  let size = 0;
  for (let i = 0; i < blocks.length; i++) {
    size += (blocks[i] as BlockRef).size;
    if (size === partSize) return blocks.slice(0, i + 1);
    // Blocks are cut at part boundaries (chunk-receiver.ts): overshooting means they were not.
    if (size > partSize) throw new Error(`Kept blocks straddle a part boundary (${size} > ${partSize} bytes).`);
  }
  return null;
}

function gone(): UploadResult {
  return failure("not_found", "No such upload: it was terminated, it expired, or it never existed.");
}
