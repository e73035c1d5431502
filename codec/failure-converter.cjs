// Failure messages and stack traces go into an encoded attributes payload, so the codec encrypts
// them too. CommonJS on purpose: the SDK require()s this file by path (workers and clients), and
// the workflow bundler aliases it into the sandbox; plain JS loads the same under tsx, vitest and node.
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
