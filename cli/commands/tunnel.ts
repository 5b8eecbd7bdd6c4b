// `flarebase tunnel <port> --label <name>`: serves a local port as the project's endpoint <name>
// (registered with a tunnel target), through the server, with no other software.
import { parseArgs } from "node:util";
import { ENDPOINT_LABEL } from "../../core/endpoints/limits.js";
import { CONNECTION_HELP, resolveConnection } from "../connection.js";
import { CliError, EXIT } from "../exit.js";
import { serveTunnel } from "../tunnel/serve.js";

const HELP = `Usage: flarebase tunnel <port> --label <name> [options]

Serves http://<host>:<port> as the endpoint <name>: calls to /v1/proxy/<name>/... on the
server are forwarded to it and its answers streamed back. Register the endpoint with a tunnel
target first (docs/endpoints.md). Reconnects by itself; Ctrl+C stops it.

Options:
  --label NAME        the endpoint label to serve (required)
  --host HOST         the local server's host (default: localhost)
  --timeout SECONDS   how long the local server may take to start answering (default: 300; 0: no limit)
  --max-body MB       the largest request body passed on (default: 100)
${CONNECTION_HELP}
  -h, --help          show this help
`;

const DEFAULT_TIMEOUT_S = 300;
const DEFAULT_MAX_BODY_MB = 100;
const EXIT_GRACE_MS = 200;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const port = Number(positionals[0]);
  if (positionals.length !== 1 || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new CliError(`give the local port, 1-65535\n\n${HELP}`, EXIT.usage);
  }
  const label = values.label;
  if (!label || !ENDPOINT_LABEL.test(label)) {
    throw new CliError("--label is required: 1-63 of a-z 0-9 _ - (starting with a letter or digit)", EXIT.usage);
  }
  const timeoutS = numberFlag("--timeout", values.timeout, DEFAULT_TIMEOUT_S);
  const maxBodyMb = numberFlag("--max-body", values["max-body"], DEFAULT_MAX_BODY_MB);
  const connection = resolveConnection(values);

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await serveTunnel({
      connection,
      label,
      target: {
        host: values.host ?? "localhost",
        port,
        timeoutMs: timeoutS * 1000,
        maxBodyBytes: Math.floor(maxBodyMb * 1024 * 1024),
      },
      signal: stop.signal,
      out: (line) => process.stdout.write(`${line}\n`),
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    // Nothing is left to do, but a socket the server closed can sit in its closing handshake for
    // seconds behind a proxy: the process exits (with the code set by then) instead of waiting.
    setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
  }
  return EXIT.ok;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        label: { type: "string" },
        host: { type: "string" },
        timeout: { type: "string" },
        "max-body": { type: "string" },
        url: { type: "string" },
        "secret-key": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${HELP}`, EXIT.usage);
  }
}

function numberFlag(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < 0) {
    throw new CliError(`${name} must be a number of 0 or more, got "${raw}"`, EXIT.usage);
  }
  return value;
}
