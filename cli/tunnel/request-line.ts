// The line the CLI prints as each request ends: time, method, path, status, duration, and what
// cut it short if something did.
import type { StreamReport } from "./local-stream.js";

export function requestLine(report: StreamReport, now = new Date()): string {
  const time = now.toISOString().slice(11, 19);
  const status = report.status === null ? "---" : String(report.status);
  const duration =
    report.durationMs < 1000 ? `${Math.round(report.durationMs)} ms` : `${(report.durationMs / 1000).toFixed(1)} s`;
  const problem = report.problem === null ? "" : `  (${report.problem})`;
  return `${time}  ${report.method.padEnd(6)} ${report.path}  ${status}  ${duration}${problem}`;
}
