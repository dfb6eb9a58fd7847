import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { secretChecker } from '../infra/secret-check';

export interface CodecEndpointOptions {
  codec: PayloadCodec;
  /** Origins allowed to call from a browser (Temporal UI's), e.g. `http://localhost:8233`. */
  allowedOrigins: string[];
  /** When set, the `Authorization` header must equal it (Temporal CLI's `--codec-auth`). */
  authorization?: string;
}

/** The remote codec protocol's body: proto3 JSON payloads, bytes as base64. */
const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const PayloadsBody = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), Base64).optional(), data: Base64.optional() }))
    .max(10_000),
});
type JsonPayload = z.infer<typeof PayloadsBody>['payloads'][number];

const fromJson = (payload: JsonPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
  ),
  data: Buffer.from(payload.data ?? '', 'base64'),
});

const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value).toString('base64'),
    ]),
  ),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

/**
 * Temporal's remote codec endpoint (`POST /encode`, `POST /decode`), so Temporal UI and
 * `temporal workflow show --codec-endpoint` show the decrypted payloads to whoever runs this
 * with the keys. Browsers reach it from the allowed origins only (CORS, preflight answered).
 */
export function registerCodecEndpoint(app: FastifyInstance, options: CodecEndpointOptions): void {
  const expected = options.authorization ? secretChecker(options.authorization) : undefined;

  const cors = (request: FastifyRequest, reply: FastifyReply): void => {
    const origin = request.headers.origin;
    if (origin && options.allowedOrigins.includes(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
      reply.header('vary', 'origin');
    }
  };

  const authorized = (request: FastifyRequest): boolean => {
    if (!expected) return true;
    return expected(request.headers.authorization);
  };

  // `/decode` for Temporal UI; `/{namespace}/decode` too, for the CLI's templated --codec-endpoint.
  const routes = (['encode', 'decode'] as const).flatMap((operation) => [
    { operation, path: `/${operation}` },
    { operation, path: `/:namespace/${operation}` },
  ]);
  for (const { operation, path } of routes) {
    app.options(path, async (request, reply) => {
      cors(request, reply);
      reply.header('access-control-allow-methods', 'POST');
      reply.header('access-control-allow-headers', 'content-type, x-namespace, authorization');
      reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    });
    app.post(path, async (request, reply) => {
      cors(request, reply);
      if (!authorized(request)) {
        return reply
          .code(401)
          .send({ error: { type: 'Unauthenticated', message: 'a valid Authorization header is required' } });
      }
      const parsed = PayloadsBody.safeParse(request.body);
      if (!parsed.success) {
        const message = parsed.error.issues
          .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
          .join('; ');
        return reply.code(400).send({ error: { type: 'InvalidPayloads', message } });
      }
      const payloads = parsed.data.payloads.map(fromJson);
      try {
        const result = await options.codec[operation](payloads);
        return reply.send({ payloads: result.map(toJson) });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return reply.code(400).send({ error: { type: 'UndecodablePayload', message } });
      }
    });
  }
}
