/**
 * Runs in the traced workflow bundle only, once per reusable V8 context (`preloadModules`,
 * worker/workflow-bundle.ts), not per workflow run: OpenTelemetry's semantic conventions, thousands
 * of string constants the tracing packages import, built by `createConstMap` when initialised.
 * Through this module because the package is `sideEffects: false`: webpack drops a preload of it by
 * name whose result nothing uses (the SDK's generated `require` became `0;`), and its files are
 * behind an exports map, so the module namespace is referenced here to keep it.
 */
import * as semanticConventions from '@opentelemetry/semantic-conventions';

export default semanticConventions;
