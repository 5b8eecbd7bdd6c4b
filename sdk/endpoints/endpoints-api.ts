import type {
  DeletedEndpoint,
  EndpointInput,
  EndpointRecord,
  EndpointSettingsInput,
} from "../../core/endpoints/wire.js";
import { type CallOptions, path, request, type Transport } from "../http.js";
import type { Page } from "../types.js";

/** Managing one project's endpoints: with a secret key (`endpoint(client)`) or the admin client. */
export interface EndpointsApi {
  /** The project's endpoints, by label (secret header values are never returned). */
  list(options?: CallOptions): Promise<Page<EndpointRecord>>;
  /**
   * Registers an endpoint.
   *
   * @example
   * await endpoint(server).register({ label: "vllm", target: { kind: "url", url: "https://gpu.example.com" },
   *   headers: { Authorization: `Bearer ${process.env.VLLM_KEY}` } });
   *
   * @throws {FlarebaseError} `conflict` when the label is taken; `invalid_request` (a refused URL:
   * `details.reason`), `invalid_filter` (the access rule).
   */
  register(input: EndpointInput, options?: CallOptions): Promise<EndpointRecord>;
  /** @throws {FlarebaseError} `endpoint_not_found`. */
  get(label: string, options?: CallOptions): Promise<EndpointRecord>;
  /** Changes the settings given; `headers` are merged (a name with `null` removes it). */
  update(label: string, settings: EndpointSettingsInput, options?: CallOptions): Promise<EndpointRecord>;
  /** @throws {FlarebaseError} `endpoint_not_found`. */
  delete(label: string, options?: CallOptions): Promise<DeletedEndpoint>;
}

/** The management routes under `base` (`/v1/endpoints` or an admin project's `…/endpoints`). */
export function createEndpointsApi(transport: Transport, base: string): EndpointsApi {
  const one = (label: string) => `${base}${path`/${label}`}`;
  return {
    list: (options) => request(transport, "GET", base, options),
    register: (input, options) => request(transport, "POST", base, { ...options, body: input }),
    get: (label, options) => request(transport, "GET", one(label), options),
    update: (label, settings, options) => request(transport, "PATCH", one(label), { ...options, body: settings }),
    delete: (label, options) => request(transport, "DELETE", one(label), options),
  };
}
