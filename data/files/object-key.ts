/**
 * Where a file's bytes live in R2: `files/<project>/<bucket>/<path>`. Project ids and bucket
 * names never hold `/` (see `BUCKET_NAME` and the project id format), and paths are checked by
 * `checkFilePath`, so a key always parses back to the one file it belongs to and no path can
 * reach another bucket's or project's prefix.
 */
export const FILES_KEY_PREFIX = "files/";

/** The R2 key of a file (its path must have passed `checkFilePath`). */
export function objectKey(projectId: string, bucket: string, path: string): string {
  return `${FILES_KEY_PREFIX}${projectId}/${bucket}/${path}`;
}

/** The R2 key prefix of everything in one bucket (ends with `/`). */
export function bucketKeyPrefix(projectId: string, bucket: string): string {
  return `${FILES_KEY_PREFIX}${projectId}/${bucket}/`;
}

/** The parts of a key made by `objectKey`, or null for any other key. */
export function parseObjectKey(key: string): { projectId: string; bucket: string; path: string } | null {
  if (!key.startsWith(FILES_KEY_PREFIX)) return null;
  const rest = key.slice(FILES_KEY_PREFIX.length);
  const first = rest.indexOf("/");
  const second = first < 0 ? -1 : rest.indexOf("/", first + 1);
  if (first <= 0 || second <= first + 1 || second === rest.length - 1) return null;
  return { projectId: rest.slice(0, first), bucket: rest.slice(first + 1, second), path: rest.slice(second + 1) };
}
