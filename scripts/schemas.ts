/**
 * `npm run schemas`: writes the JSON Schemas of the sweep contract (from the zod schemas in
 * workflows/contract.schema.ts) into docs/schemas/. A test fails when the checked-in files differ.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { contractSchemas } from '../workflows/contract.schema.js';

export const schemasDir = fileURLToPath(new URL('../docs/schemas/', import.meta.url));

/** File name → JSON text. Input schemas describe what a starter may send, the rest what it gets back. */
export function renderContractSchemas(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(contractSchemas).map(([name, schema]) => {
      const json = z.toJSONSchema(schema, { io: name === 'sweep-input' ? 'input' : 'output' });
      return [`${name}.json`, `${JSON.stringify({ $id: `inbox-agent/${name}.json`, ...json }, null, 2)}\n`];
    }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [file, text] of Object.entries(renderContractSchemas())) writeFileSync(schemasDir + file, text);
  console.log(`wrote ${Object.keys(contractSchemas).length} schemas to docs/schemas/`);
}
