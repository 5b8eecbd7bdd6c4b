// A second process that resumes a tus upload another process started: it finds the upload's URL
// in the shared FileUrlStorage (what tus-js-client keeps on disk in Node), resumes it, and prints
// one JSON line: where it resumed from and how it ended. Run by files-tus.test.ts.
//   node files-tus-child.mjs <file> <url storage file> <api key>
import { readFile } from "node:fs/promises";
import { FileUrlStorage, Upload } from "tus-js-client";

const [file, storagePath, key] = process.argv.slice(2);
const bytes = await readFile(file);
const upload = new Upload(bytes, {
  headers: { "X-API-Key": key },
  chunkSize: 3_000_017,
  urlStorage: new FileUrlStorage(storagePath),
  fingerprint: async () => "files-tus-resume",
  retryDelays: [0, 250, 1000],
});
const previous = await upload.findPreviousUploads();
if (previous.length === 0) {
  console.log(JSON.stringify({ error: "no previous upload in the URL storage" }));
  process.exit(1);
}
upload.resumeFromPreviousUpload(previous[0]);
let resumedAt = null;
const result = await new Promise((resolve) => {
  upload.options.onProgress = (sent) => {
    resumedAt ??= sent;
  };
  upload.options.onSuccess = () => resolve({ ok: true });
  upload.options.onError = (error) => resolve({ ok: false, error: String(error) });
  upload.start();
});
console.log(JSON.stringify({ ...result, url: upload.url, resumedAt }));
