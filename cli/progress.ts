// A progress bar on stderr. On a terminal it redraws one line; elsewhere (CI logs) it prints a line
// at most every few seconds, so logs stay short and still show that work goes on.
const BAR_WIDTH = 28;
const LOG_INTERVAL_MS = 5_000;

export interface Progress {
  /** Adds `done` units (e.g. bytes) to the total done so far. */
  advance(done: number): void;
  /** Replaces the trailing text, e.g. the file being uploaded. */
  label(text: string): void;
  /** Draws the final state and moves to a new line. */
  finish(): void;
}

export function createProgress(title: string, total: number, format: (value: number) => string = String): Progress {
  const stream = process.stderr;
  const tty = stream.isTTY === true;
  let done = 0;
  let text = "";
  let lastLog = 0;

  const line = () => {
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(ratio * BAR_WIDTH);
    const bar = `${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}`;
    return `${title} ${bar} ${Math.floor(ratio * 100)
      .toString()
      .padStart(3)}% ${format(done)}/${format(total)}${text ? ` ${text}` : ""}`;
  };

  const draw = (force: boolean) => {
    if (tty) {
      const columns = stream.columns ?? 80;
      stream.write(
        `\r${line()
          .slice(0, columns - 1)
          .padEnd(columns - 1)}`,
      );
      return;
    }
    const now = Date.now();
    if (force || now - lastLog >= LOG_INTERVAL_MS) {
      lastLog = now;
      stream.write(`${line()}\n`);
    }
  };

  return {
    advance(value) {
      done += value;
      draw(false);
    },
    label(value) {
      text = value;
      if (tty) draw(false);
    },
    finish() {
      text = "";
      draw(true);
      if (tty) stream.write("\n");
    },
  };
}

/** `1536` → `1.5 KB`: sizes as people read them in a summary line. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
