import type {
  AccountUser,
  CreateUserInput,
  UpdateUserInput,
  UserListOptions,
  UserPage,
} from "../../core/rest/accounts.js";
import { type CallOptions, path, request, type Transport } from "../http.js";

/**
 * A project's users, for the operator (`admin.users(projectId)`); the app's server has the same
 * routes with its secret key under `/v1/auth/users`.
 */
export interface UsersApi {
  /**
   * Users by login id (guests, who have none, first), a page at a time.
   *
   * @example
   * let page = await admin.users(projectId).list({ limit: 100 });
   * while (page.next_cursor) page = await admin.users(projectId).list({ cursor: page.next_cursor });
   */
  list(query?: UserListOptions, options?: CallOptions): Promise<UserPage>;
  /**
   * Creates a user with a login id (and a password, if given: the project's policy applies).
   *
   * @throws {FlarebaseError} `identity_conflict` (409) for a taken login id, `weak_password` (400).
   */
  create(input: CreateUserInput, options?: CallOptions): Promise<AccountUser>;
  /** @throws {FlarebaseError} `not_found` (404). */
  get(userId: string, options?: CallOptions): Promise<AccountUser>;
  /**
   * Changes role, claims, profile, `disabled` (true ends every session at once) or `email_verified`.
   *
   * @example
   * await admin.users(projectId).update(userId, { role: "moderator", claims: { team: "red" } });
   * await admin.users(projectId).update(userId, { disabled: true });
   *
   * @throws {FlarebaseError} `not_found` (404).
   */
  update(userId: string, patch: UpdateUserInput, options?: CallOptions): Promise<AccountUser>;
  /** Deletes the user, its identities and sessions (not its documents or files). @throws {FlarebaseError} `not_found` (404). */
  delete(userId: string, options?: CallOptions): Promise<void>;
}

/** The users API under `base` (`/v1/admin/projects/:id/users` or `/v1/auth/users`). */
export function createUsersApi(transport: Transport, base: string): UsersApi {
  return {
    list: (query = {}, options) => request(transport, "GET", base, { ...options, query: { ...query } }),
    create: (input, options) => request(transport, "POST", base, { ...options, body: input }),
    get: (userId, options) => request(transport, "GET", `${base}${path`/${userId}`}`, options),
    update: (userId, patch, options) =>
      request(transport, "PATCH", `${base}${path`/${userId}`}`, { ...options, body: patch }),
    delete: async (userId, options) => {
      await request(transport, "DELETE", `${base}${path`/${userId}`}`, options);
    },
  };
}
