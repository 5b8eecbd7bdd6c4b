// The little of oidc-provider (v9, untyped) the test provider uses: a Koa app that is an OpenID
// Connect provider. https://github.com/panva/node-oidc-provider/blob/main/docs/README.md
declare module "oidc-provider" {
  import type { Server } from "node:http";

  export interface ProviderContext {
    oidc?: { route?: string };
    status: number;
    body: unknown;
  }

  export interface Account {
    accountId: string;
    claims(): Promise<Record<string, unknown>> | Record<string, unknown>;
  }

  export interface Configuration {
    clients: Record<string, unknown>[];
    jwks: { keys: Record<string, unknown>[] };
    clientAuthMethods?: string[];
    cookies?: { keys: string[] };
    claims?: Record<string, string[]>;
    conformIdTokenClaims?: boolean;
    features?: Record<string, { enabled: boolean }>;
    findAccount(ctx: unknown, id: string): Promise<Account | undefined>;
    ttl?: Record<string, number>;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    use(middleware: (ctx: ProviderContext, next: () => Promise<void>) => Promise<void>): void;
    listen(port: number, host: string, callback: () => void): Server;
  }
}
