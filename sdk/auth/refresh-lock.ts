/**
 * One refresh at a time across the tabs of a browser: the Web Locks API (`navigator.locks`)
 * grants the named lock to one tab at a time, so the tabs that wait find the session already
 * refreshed (in shared storage) and take it instead of spending the refresh token again, which
 * the server would see as a reuse. Where there are no Web Locks (Node, old browsers), the lock
 * is this process's: refreshes of one client already share one promise.
 *
 * @module
 */

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** Runs `task` holding the lock `name` (across tabs where the platform allows). */
export function withRefreshLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return locks ? locks.request(name, task) : task();
}
