// Where the server is and which key to use: flags first, then the environment. Every command that
// talks to a server takes these two the same way.
import { CliError, EXIT } from "./exit.js";

export interface Connection {
  /** The server's origin, without a trailing slash, e.g. `https://my-app.workers.dev`. */
  url: string;
  /** A secret key (`sk_…`) of the project. */
  secretKey: string;
}

export const CONNECTION_HELP = `  --url URL           the Flarebase server (default: $FLAREBASE_URL)
  --secret-key KEY    the project's secret key (default: $FLAREBASE_SECRET_KEY)`;

export function resolveConnection(flags: { url?: string; "secret-key"?: string }): Connection {
  const url = flags.url ?? process.env.FLAREBASE_URL;
  const secretKey = flags["secret-key"] ?? process.env.FLAREBASE_SECRET_KEY;
  if (!url) throw new CliError("no server: pass --url or set FLAREBASE_URL", EXIT.usage);
  if (!secretKey) throw new CliError("no key: pass --secret-key or set FLAREBASE_SECRET_KEY", EXIT.usage);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`--url "${url}" is not a URL`, EXIT.usage);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    throw new CliError(`--url must be http(s), got "${parsed.protocol}"`, EXIT.usage);
  return { url: parsed.origin + parsed.pathname.replace(/\/+$/, ""), secretKey };
}
