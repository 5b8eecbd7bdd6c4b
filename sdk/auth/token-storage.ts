/**
 * Where a signed-in session is kept between page loads: `localStorage` in browsers, memory
 * elsewhere (Node, workers, a browser that refuses storage), or anything with the same three
 * methods (sessionStorage, an encrypted store, React Native's AsyncStorage: they may be async).
 *
 * @module
 */

/** A key-value store for the session; `localStorage` fits as it is. */
export interface TokenStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

/** A store that lives as long as the page or process: nothing survives a reload. */
export function memoryStorage(): TokenStorage {
  const values = new Map<string, string>();
  return {
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => {
      values.set(key, value);
    },
    removeItem: (key) => {
      values.delete(key);
    },
  };
}

/** `localStorage` when this environment has a usable one (browsers), else {@link memoryStorage}. */
export function defaultStorage(): TokenStorage {
  try {
    const storage = (globalThis as { localStorage?: Storage }).localStorage;
    if (storage) {
      // Some browsers (private modes, disabled storage) expose localStorage but throw on use.
      const probe = "flarebase.probe";
      storage.setItem(probe, "1");
      storage.removeItem(probe);
      return storage;
    }
  } catch {
    // Falls back to memory below.
  }
  return memoryStorage();
}
