import { ApiError } from "../../core/errors";
import { checkSitePath } from "../../core/sites/names";
import type { ManifestEntry } from "../../core/sites/wire";

/**
 * A manifest as a release stores it: every path checked and NFC-normalized, no path twice, and
 * one size per hash (the same bytes cannot have two lengths).
 *
 * @throws {ApiError} `invalid_path` with `details.path` and `reason`; `invalid_request` for a
 * duplicate path or a hash given two sizes.
 */
export function checkManifest(files: ManifestEntry[]): ManifestEntry[] {
  const paths = new Set<string>();
  const sizes = new Map<string, number>();
  return files.map((file) => {
    const check = checkSitePath(file.path);
    if (!check.ok) {
      throw new ApiError("invalid_path", `${file.path}: ${check.message}`, { path: file.path, reason: check.reason });
    }
    if (paths.has(check.path)) {
      throw new ApiError("invalid_request", `The manifest lists ${check.path} twice.`, { path: check.path });
    }
    paths.add(check.path);
    const size = sizes.get(file.hash);
    if (size !== undefined && size !== file.size) {
      throw new ApiError(
        "invalid_request",
        `The manifest gives hash ${file.hash} two sizes (${size} and ${file.size}).`,
        {
          hash: file.hash,
        },
      );
    }
    sizes.set(file.hash, file.size);
    return { ...file, path: check.path };
  });
}
