// A typed client for the muni API: every path, parameter, body and response as the OpenAPI
// document (openapi/openapi.json) describes it. `src/schema.d.ts` is generated from that document
// (`npm run generate`); CI fails when it is stale.
import createClient, { type ClientOptions } from "openapi-fetch";

import type { components, paths } from "./schema";

export type { components, paths };
export type Schemas = components["schemas"];

/** A client for one muni server, e.g. `createMuniClient({ baseUrl: "https://api.phuong.example.vn" })`. */
export function createMuniClient(options: ClientOptions) {
  return createClient<paths>(options);
}

export type MuniClient = ReturnType<typeof createMuniClient>;
