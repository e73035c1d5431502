import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { parseKeySet } from './keys.js';
import { AesGcmPayloadCodec } from './payload-codec.js';

/** The module the SDK loads the failure converter from (workers, clients and the workflow bundle). */
export const failureConverterPath = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));

const converters = new Map<string, DataConverter>();

/**
 * The one data converter of the deployment, for the worker, the client, the CLI, the codec server,
 * `npm start`, the benchmark and the tests alike: every payload encrypted (AES-256-GCM) with the
 * newest of `codecKeys` (`id:base64key,...`, newest first), failure messages and stacks too.
 * Memoized per key set, so every client and worker of a process shares one codec.
 */
export function dataConverter(codecKeys: string): DataConverter {
  let converter = converters.get(codecKeys);
  if (!converter) {
    converter = { payloadCodecs: [new AesGcmPayloadCodec(parseKeySet(codecKeys))], failureConverterPath };
    converters.set(codecKeys, converter);
  }
  return converter;
}
