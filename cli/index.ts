// `flarebase <command> [options]`: the package's bin. Each command lives in commands/ and is loaded
// only when asked for, so `flarebase --help` starts at once.
import { CliError, EXIT } from "./exit.js";

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const COMMANDS: Record<string, Command> = {
  deploy: { summary: "Upload a built web app as a new release of a site", load: () => import("./commands/deploy.js") },
  tunnel: { summary: "Serve a local port under an endpoint label", load: () => import("./commands/tunnel.js") },
};

const USAGE = `Usage: flarebase <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(10)}${command.summary}`)
  .join("\n")}

Run \`flarebase <command> --help\` for a command's options.
The server and key come from --url and --secret-key, or FLAREBASE_URL and FLAREBASE_SECRET_KEY.
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`flarebase: unknown command "${name}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { run } = await command.load();
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliError) {
      process.stderr.write(`flarebase: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`flarebase: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.failure;
  },
);
