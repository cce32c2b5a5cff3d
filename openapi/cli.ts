/**
 * `npm run openapi`: writes openapi.json from the schemas that validate requests (openapi/build.ts).
 * `npm run openapi -- --check` exits 1 when the checked-in file differs (the test does the same).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { buildOpenApi, serialize } from './build';

const FILE = new URL('../openapi.json', import.meta.url);
const text = serialize(await buildOpenApi());
if (process.argv.includes('--check')) {
  const current = await readFile(FILE, 'utf8').catch(() => '');
  if (current !== text) {
    console.error('openapi.json is out of date: run `npm run openapi`.');
    process.exit(1);
  }
  console.log('openapi.json is up to date.');
} else {
  await writeFile(FILE, text);
  console.log(`wrote openapi.json (${Object.keys(JSON.parse(text).paths as object).length} paths)`);
}
