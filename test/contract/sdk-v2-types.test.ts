// Type-level contract of the V2 order endpoints against the official SDK's generated models
// (kalshi-typescript 3.30.0, the newer truth the OpenAPI document predates): `tsc --noEmit`, run
// before every commit and in CI, fails when what the client sends is not a valid SDK request or
// when an SDK-valid answer is not accepted by the client's wire schema.
import { expect, test } from "bun:test";
import type {
  AmendOrderV2Request,
  AmendOrderV2Response,
  BatchCancelOrdersV2Request,
  BatchCancelOrdersV2Response,
  BatchCreateOrdersV2Request,
  BatchCreateOrdersV2Response,
  CancelOrderV2Response,
  CreateOrderV2Request,
  CreateOrderV2Response,
  DecreaseOrderV2Request,
  DecreaseOrderV2Response,
} from "kalshi-typescript";
import type { z } from "zod";
import type * as W from "../../src/kalshi/wire/rest.ts";

type Assignable<A, B> = [A] extends [B] ? true : false;
/** Our loose objects without their `[key: string]: unknown` (extra fields pass through; the SDK's interfaces have none). */
type Known<T> =
  T extends ReadonlyArray<infer U> ? Known<U>[] : T extends object ? { [K in keyof T as string extends K ? never : K]: Known<T[K]> } : T;
const yes = <T extends true>(): T => true as T;

// What we send is an SDK request.
yes<Assignable<W.CreateOrderV2RequestWire, CreateOrderV2Request>>();
yes<Assignable<{ orders: W.CreateOrderV2RequestWire[] }, BatchCreateOrdersV2Request>>();
yes<Assignable<W.AmendOrderV2RequestWire, AmendOrderV2Request>>();
yes<Assignable<W.DecreaseOrderV2RequestWire, DecreaseOrderV2Request>>();
yes<Assignable<W.BatchCancelOrdersV2RequestWire, BatchCancelOrdersV2Request>>();
// What the SDK says an answer is, we accept.
yes<Assignable<CreateOrderV2Response, Known<z.input<typeof W.CreateOrderV2Response>>>>();
yes<Assignable<BatchCreateOrdersV2Response, Known<z.input<typeof W.BatchCreateOrdersV2Response>>>>();
yes<Assignable<CancelOrderV2Response, Known<z.input<typeof W.CancelOrderV2Response>>>>();
yes<Assignable<BatchCancelOrdersV2Response, Known<z.input<typeof W.BatchCancelOrdersV2Response>>>>();
yes<Assignable<AmendOrderV2Response, Known<z.input<typeof W.AmendOrderV2Response>>>>();
yes<Assignable<DecreaseOrderV2Response, Known<z.input<typeof W.DecreaseOrderV2Response>>>>();

test("the V2 order types line up with the SDK's (checked by tsc)", () => {
  expect(yes()).toBe(true);
});
