/** Exit codes CI scripts can branch on; documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** The command ran and failed: the server refused, a file could not be uploaded, … */
  failure: 1,
  /** Bad flags or arguments: nothing was sent. */
  usage: 2,
  /** The server could not be reached or answered 5xx after the retries. */
  unavailable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line, without a stack, and exits with its code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failure,
  ) {
    super(message);
    this.name = "CliError";
  }
}
