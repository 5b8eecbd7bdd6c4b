// Placeholder until the tunnel command lands; `flarebase tunnel` says so and exits with the usage code.
import { EXIT } from "../exit.js";

export async function run(_argv: string[]): Promise<number> {
  process.stderr.write("flarebase: `tunnel` is not built yet\n");
  return EXIT.usage;
}
