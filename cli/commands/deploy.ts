// Placeholder until the deploy command lands; `flarebase deploy` says so and exits with the usage code.
import { EXIT } from "../exit.js";

export async function run(_argv: string[]): Promise<number> {
  process.stderr.write("flarebase: `deploy` is not built yet\n");
  return EXIT.usage;
}
