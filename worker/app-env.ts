import type { Precondition } from "../data/d1/precondition";
import type { AuthContext } from "./auth/auth-context";

/** Request-scoped values set by middleware and read by handlers. */
export interface AppVariables {
  requestId: string;
  auth: AuthContext;
  /** The caller's standing, on routes that check it in their own first batch (`foldsStanding`). */
  standing: Precondition;
}

/** The one Hono environment type every sub-app shares. */
export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
