/** `npm run schema`: writes schema/live-chats.schema.json from the config's zod schema (prettier-formatted). */
import fs from 'node:fs';
import path from 'node:path';
import prettier from 'prettier';
import { CONFIG_JSON_SCHEMA_FILE, configJsonSchemaText } from '../db/config-json-schema';

async function run(): Promise<void> {
  const file = path.join(__dirname, '..', CONFIG_JSON_SCHEMA_FILE);
  const options = (await prettier.resolveConfig(file)) ?? {};
  fs.writeFileSync(file, await prettier.format(configJsonSchemaText(), { ...options, filepath: file }));
  console.log(`wrote ${CONFIG_JSON_SCHEMA_FILE}`);
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
