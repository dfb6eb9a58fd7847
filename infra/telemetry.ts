/**
 * OpenTelemetry traces through Temporal's interceptors: a span for the client's start, the
 * workflow's run, each activity and the provider's call (activities/dispatch-message.ts), all in
 * one trace. Off unless the standard variables ask for it; the OTLP exporter reads the standard
 * OTEL_EXPORTER_OTLP_* variables itself (endpoint, headers, timeout).
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import type { Context } from '@opentelemetry/api';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import { scrub } from './logger';

/** The tracer our own spans (the provider's call) come from. */
export function liveChatTracer(): Tracer {
  return trace.getTracer('livechat-temporal');
}

export interface Tracing {
  /** Where finished spans go (the OTLP exporter, or a test's in-memory one). */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Sends what is buffered and stops; call on shutdown. */
  shutdown(): Promise<void>;
}

/**
 * Whether the environment asks for traces: `OTEL_TRACES_EXPORTER=otlp`, or an OTLP endpoint
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) without
 * `OTEL_TRACES_EXPORTER=none`; never with `OTEL_SDK_DISABLED=true`.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter === 'none') return false;
  if (exporter === 'otlp') return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Registers the process's tracer provider (async-local context, W3C propagation) with spans going to
 * `spanProcessor`, default a batching OTLP/HTTP exporter. `OTEL_SERVICE_NAME` and
 * `OTEL_RESOURCE_ATTRIBUTES` override the service name and add attributes.
 */
export function startTracing(serviceName: string, spanProcessor?: SpanProcessor): Tracing {
  const resource = new Resource({ 'service.name': serviceName }).merge(envDetectorSync.detect());
  const processor = new ScrubbingSpanProcessor(
    spanProcessor ?? new BatchSpanProcessor(new OTLPTraceExporter()),
  );
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  return { spanProcessor: processor, resource, shutdown: () => provider.shutdown() };
}

/**
 * Temporal's interceptors put a failure's message on its span (status and exception event), and a
 * provider's refusal can quote the address: those texts are scrubbed (`scrub`) before export.
 */
class ScrubbingSpanProcessor implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const status = span.status.message
      ? { ...span.status, message: scrub(span.status.message) }
      : span.status;
    const events = span.events.map((event) =>
      event.attributes
        ? {
            ...event,
            attributes: Object.fromEntries(
              Object.entries(event.attributes).map(([key, value]) => [
                key,
                typeof value === 'string' && key.startsWith('exception.') ? scrub(value) : value,
              ]),
            ),
          }
        : event,
    );
    this.inner.onEnd(
      Object.create(span, { status: { value: status }, events: { value: events } }) as ReadableSpan,
    );
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** The tracing the environment asks for (see `tracingRequested`), else undefined: traces off. */
export function tracingFromEnv(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): Tracing | undefined {
  return tracingRequested(env) ? startTracing(serviceName) : undefined;
}

/**
 * The worker-side interceptors: spans for workflow runs (their module is bundled into the workflow
 * code; `workflows: false` for a worker of activities only) and for activities, continuing the
 * trace the client's start began.
 */
export function telemetryInterceptors(options: { workflows?: boolean } = {}): WorkerInterceptors {
  return {
    ...(options.workflows === false
      ? {}
      : {
          workflowModules: [
            require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
          ],
        }),
    activity: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
  };
}

/** The sink through which workflow code hands its spans to the worker's span processor. */
export function telemetrySinks(tracing: Tracing): InjectedSinks<OpenTelemetrySinks> {
  return { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) };
}

/** The client-side interceptor that starts a trace at the workflow's start and passes it on in headers. */
export function telemetryClientInterceptors(): { workflow: WorkflowClientInterceptor[] } {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}
