import type { AuthContext } from "./auth/auth-context";

/** Request-scoped values set by middleware and read by handlers. */
export interface AppVariables {
  requestId: string;
  auth: AuthContext;
}

/** The one Hono environment type every sub-app shares. */
export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
