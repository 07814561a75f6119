// compare.mjs - check a Parquet file against an expected NDJSON file with several independent readers.
//   node compare.mjs [--readers duckdb,arrow,hyparquet] [--allow-fail reader:reason]... FILE.parquet EXPECTED.ndjson
// Every row is compared, in order, after both sides are put in the canonical form of readers.mjs (driven by
// the file's Parquet schema). Prints one line per reader:
//   ok <reader> <rows>
//   FAIL <reader>: <count and the first 5 mismatches with row index and path>
//   NOTE <reader> failed, allowed (<reason>): ...      (for --allow-fail; exits 0 for that reader)
// Exit status: 0 when every reader matched (or failed with --allow-fail), 1 otherwise, 2 on bad usage.
import { existsSync } from 'node:fs';
import { READERS, loadSchema, checkReader, errMsg } from './readers.mjs';

function usage(msg) {
  if (msg) process.stderr.write(`compare.mjs: ${msg}\n`);
  process.stderr.write('usage: node compare.mjs [--readers duckdb,arrow,hyparquet] [--allow-fail reader:reason] FILE.parquet EXPECTED.ndjson\n');
  process.exit(2);
}

let readers = READERS.slice();
const allow = new Map();
const pos = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const val = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
  if (a === '--readers') readers = val().split(',').map((s) => s.trim()).filter(Boolean);
  else if (a.startsWith('--readers=')) readers = a.slice(10).split(',').map((s) => s.trim()).filter(Boolean);
  else if (a === '--allow-fail' || a.startsWith('--allow-fail=')) {
    const v = a === '--allow-fail' ? val() : a.slice(13);
    const c = v.indexOf(':');
    const r = c < 0 ? v : v.slice(0, c);
    if (!READERS.includes(r)) usage(`--allow-fail: unknown reader ${r}`);
    allow.set(r, c < 0 ? 'no reason given' : v.slice(c + 1));
  } else if (a === '-h' || a === '--help') usage();
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else pos.push(a);
}
if (pos.length !== 2) usage('need FILE.parquet and EXPECTED.ndjson');
for (const r of readers) if (!READERS.includes(r)) usage(`unknown reader ${r} (have ${READERS.join(', ')})`);
const [parquetPath, expectedPath] = pos;
if (!existsSync(parquetPath)) usage(`no such file: ${parquetPath}`);
if (!existsSync(expectedPath)) usage(`no such file: ${expectedPath}`);

let schema;
try {
  schema = await loadSchema(parquetPath);
} catch (e) {
  console.log(`FAIL schema: cannot read the Parquet footer with hyparquet: ${errMsg(e)}`);
  process.exit(1);
}

let failed = false;
for (const reader of readers) {
  const res = await checkReader(reader, schema, parquetPath, expectedPath);
  if (res === null) {
    console.log(`ok ${reader} ${schema.numRows}` + (allow.has(reader) ? ` (NOTE: allowed failure "${allow.get(reader)}" did not happen)` : ''));
  } else if (allow.has(reader)) {
    console.log(`NOTE ${reader} failed, allowed (${allow.get(reader)}): ${res}`);
  } else {
    console.log(`FAIL ${reader}: ${res}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
