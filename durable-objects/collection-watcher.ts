import { DurableObject } from "cloudflare:workers";

/** Placeholder until its issue lands: bound in wrangler.toml so migrations are stable. */
export class CollectionWatcher extends DurableObject<Env> {}
