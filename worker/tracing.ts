import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';

export interface Tracing {
  enabled: boolean;
  /** The activity interceptors and the sink the workflow interceptors export their spans through. */
  workerOptions: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** For the worker's own client: starts and signals carry the trace context into the workflow. */
  clientInterceptor: OpenTelemetryWorkflowClientInterceptor;
  /** Flushes the spans still buffered (call before the process exits). */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Where spans go instead of OTLP (tests pass an in-memory exporter's processor). */
  spanProcessor?: SpanProcessor;
  env?: Record<string, string | undefined>;
}

let installed: Tracing | undefined;

/**
 * Tracing for this process, set up once: on when a span processor is given or the standard
 * `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` is set (the OTLP/HTTP exporter reads the rest of the
 * standard OTEL_* variables itself), off otherwise. Off costs little: the activity interceptors run
 * against OpenTelemetry's no-op tracer, and the worker runs the plain workflow bundle, without the
 * workflow interceptors (worker/workflow-bundle.ts).
 */
export function installTracing(options: TracingOptions = {}): Tracing {
  if (installed) return installed;
  const env = options.env ?? process.env;
  const otlp = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const enabled = Boolean(options.spanProcessor) || otlp;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME || 'inbox-agent-worker' });
  const spanProcessor =
    options.spanProcessor ?? (otlp ? new BatchSpanProcessor(new OTLPTraceExporter()) : new NoopSpanProcessor());
  let provider: NodeTracerProvider | undefined;
  if (enabled) {
    provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
    // Global: the SDK's interceptors use the global tracer, context manager and W3C propagator.
    provider.register();
  }
  installed = {
    enabled,
    workerOptions: {
      interceptors: {
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(spanProcessor, resource) },
    },
    clientInterceptor: new OpenTelemetryWorkflowClientInterceptor(),
    shutdown: async () => {
      await provider?.shutdown();
    },
  };
  return installed;
}
