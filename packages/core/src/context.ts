/**
 * App-scoped values handlers can reach through their message (`message.context.get("db")`).
 * Declare their types once by augmenting {@link AppContext}:
 *
 * @example
 * declare module "@faststream/core" {
 *   interface AppContext { db: Database }
 * }
 * broker.context.set("db", db);
 */
import { StateError } from "./errors.js";

/** Types of app-scoped values, by key. Augment it to type `get`/`set`. */
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation
export interface AppContext {}

type Key = keyof AppContext extends never ? string : keyof AppContext | (string & {});
type ValueOf<K> = K extends keyof AppContext ? AppContext[K] : unknown;

/** A registry of app-scoped values. */
export class ContextRegistry {
  readonly #values = new Map<string, unknown>();

  /** Sets a value. */
  set<K extends Key>(key: K, value: ValueOf<K>): this {
    this.#values.set(key as string, value);
    return this;
  }

  /** Gets a value; throws a StateError naming the key when it was never set. */
  get<K extends Key>(key: K): ValueOf<K> {
    if (!this.#values.has(key as string)) throw new StateError(`context value "${String(key)}" is not set`);
    return this.#values.get(key as string) as ValueOf<K>;
  }

  /** True if `key` was set. */
  has(key: Key): boolean {
    return this.#values.has(key as string);
  }

  /** Removes a value. */
  delete(key: Key): boolean {
    return this.#values.delete(key as string);
  }
}
