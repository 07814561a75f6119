// selftest.mjs - tests of the interop harness itself (compare.mjs, dump.mjs, duckdb_sql.mjs), on Parquet
// files written by DuckDB, so the harness is known to work before lakestream's writer is used with it.
//   node selftest.mjs            (run by t_interop_selftest.sh; prints "ok/FAIL <name>" lines and RESULT p f)
// Env: LS_TMP (scratch dir), LS_BUILD (build dir with bench/gen_events; compiled here when missing).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { READERS, checkReader, loadSchema } from './readers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const TMP = process.env.LS_TMP ? join(process.env.LS_TMP, 'interop_selftest') : mkdtempSync(join(tmpdir(), 'interop_selftest.'));
mkdirSync(TMP, { recursive: true });
const FIX = join(HERE, 'fixtures');
const EXPECTED = join(FIX, 'types.ndjson');

let passed = 0, failed = 0;
const ok = (name) => { passed++; console.log(`ok ${name}`); };
const bad = (name, why) => { failed++; console.log(`FAIL ${name}: ${why}`); };
const indent = (s) => s.trim().split('\n').map((l) => `    | ${l}`).join('\n');

function run(script, args) { // -> Promise<{code, out, err}>
  return new Promise((resolve) => {
    execFile(process.execPath, [join(HERE, script), ...args], { maxBuffer: 64 << 20 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err });
    });
  });
}

async function pool(items, n, fn) { // run fn over items, n at a time (the machines have 2 cores)
  const res = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) { const i = next++; res[i] = await fn(items[i], i); }
  }));
  return res;
}

const q = (p) => p.replace(/'/g, "''");

// ---------------------------------------------------------------------------------------------------
// 1. Parquet files from the types fixture, in several codecs.
const variants = {
  snappy: 'COMPRESSION snappy',
  zstd: 'COMPRESSION zstd',
  gzip: 'COMPRESSION gzip',
  none: 'COMPRESSION uncompressed',
};
const files = {};
{
  const sql = [readFileSync(join(FIX, 'types.sql'), 'utf8')];
  for (const [k, opt] of Object.entries(variants)) {
    files[k] = join(TMP, `types_${k}.parquet`);
    sql.push(`COPY (SELECT * FROM t ORDER BY id) TO '${q(files[k])}' (FORMAT parquet, ${opt})`);
  }
  files.v2 = join(TMP, 'types_v2.parquet');
  sql.push(`COPY (SELECT * FROM t ORDER BY id) TO '${q(files.v2)}' (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V2)`);
  const r = await run('duckdb_sql.mjs', sql);
  if (r.code !== 0) { bad('duckdb_sql writes the fixtures', r.err.trim()); }
  else ok('duckdb_sql writes the fixtures');
}

// duckdb_sql.mjs prints rows as JSON lines and the time on stderr
{
  const r = await run('duckdb_sql.mjs', ["SELECT 42::BIGINT AS a, 'x' AS b UNION ALL SELECT 9007199254740993, NULL ORDER BY a"]);
  const lines = r.out.trim().split('\n');
  if (r.code === 0 && lines.length === 2 && lines[0] === '{"a":"42","b":"x"}' && lines[1] === '{"a":"9007199254740993","b":null}' &&
      /^elapsed_ms \d+(\.\d+)?$/m.test(r.err)) ok('duckdb_sql prints JSON lines and elapsed_ms');
  else bad('duckdb_sql prints JSON lines and elapsed_ms', JSON.stringify(r));
  const e = await run('duckdb_sql.mjs', ['SELECT * FROM no_such_table']);
  if (e.code !== 0 && /duckdb error/.test(e.err)) ok('duckdb_sql reports SQL errors');
  else bad('duckdb_sql reports SQL errors', JSON.stringify(e));
}

// ---------------------------------------------------------------------------------------------------
// 2. The fixture matches with every reader, in every codec.
await pool(Object.keys(variants), 2, async (k) => {
  const r = await run('compare.mjs', [files[k], EXPECTED]);
  const lines = r.out.trim().split('\n');
  if (r.code === 0 && lines.length === 3 && lines.every((l) => /^ok (duckdb|arrow|hyparquet) 7$/.test(l))) ok(`compare types (${k})`);
  else bad(`compare types (${k})`, `exit ${r.code}\n${indent(r.out + r.err)}`);
});

// PARQUET_VERSION V2 (delta encodings): DuckDB 1.5.6 writes DELTA_BINARY_PACKED blocks for the INT32
// extremes in this fixture that arrow-rs 5x rejects ("min_delta too large") and that hyparquet 1.31.5
// decodes wrongly for UINT_32; --allow-fail must turn those into notes.
{
  const r = await run('compare.mjs', ['--allow-fail', 'arrow:duckdb v2 delta at int32 extremes',
    '--allow-fail', 'hyparquet:duckdb v2 delta of uint32', files.v2, EXPECTED]);
  const lines = r.out.trim().split('\n');
  if (r.code === 0 && lines[0] === 'ok duckdb 7' && lines.slice(1).every((l) => /^(NOTE (arrow|hyparquet) failed, allowed|ok (arrow|hyparquet) 7)/.test(l))) {
    ok('compare --allow-fail (types, parquet v2)');
  } else bad('compare --allow-fail (types, parquet v2)', `exit ${r.code}\n${indent(r.out + r.err)}`);
  for (const l of lines) if (/^NOTE/.test(l)) console.log(`NOTE v2 fixture: ${l.slice(5, 160)}`);
}

// --readers selects readers
{
  const r = await run('compare.mjs', ['--readers', 'hyparquet,duckdb', files.zstd, EXPECTED]);
  if (r.code === 0 && r.out === 'ok hyparquet 7\nok duckdb 7\n') ok('compare --readers');
  else bad('compare --readers', `exit ${r.code}\n${indent(r.out + r.err)}`);
}

// ---------------------------------------------------------------------------------------------------
// 3. dump.mjs: the three readers agree byte for byte, and a dump is itself a valid expected file.
{
  const outs = await pool(['duckdb', 'arrow', 'hyparquet'], 2, (r) => run('dump.mjs', [r, files.snappy]));
  if (outs.every((o) => o.code === 0) && outs[0].out === outs[1].out && outs[1].out === outs[2].out &&
      outs[0].out.split('\n').length === 8) ok('dump: readers agree');
  else bad('dump: readers agree', outs.map((o) => `exit ${o.code} ${o.err.trim()}\n${indent(o.out)}`).join('\n'));
  const dumpFile = join(TMP, 'types_dump.ndjson');
  writeFileSync(dumpFile, outs[0].out);
  const r = await run('compare.mjs', [files.snappy, dumpFile]);
  if (r.code === 0) ok('compare against a dump'); else bad('compare against a dump', indent(r.out + r.err));
  // spot-check the canonical form of row 1 (hand-checked values)
  const row1 = outs[0].out.split('\n')[0];
  const want = ['"i64":1234567890123', '"u64":18446744073709551615', '"f":1.100000023841858', '"bin":"AAH+/w=="',
    '"ts":"2024-03-10T02:30:00.500000"', '"tstz":"2024-03-10T02:30:00.123456Z"', '"tsns":"2024-01-01T00:00:00.123456789"',
    '"dec4":"12.34"', '"uid":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"', '"lst":[{"a":1,"b":"x"},null,{"a":null,"b":"y"}]',
    '"mi":{"1":"one","-2":"minus two"}', '"mts":{"2024-01-01T00:00:00.000000":7}', '"mdec":{"p":"1.25"}'];
  const missing = want.filter((w) => !row1.includes(w));
  if (missing.length === 0) ok('dump: canonical form'); else bad('dump: canonical form', `missing ${missing.join(' ')} in ${row1}`);
}

// ---------------------------------------------------------------------------------------------------
// 4. Mutations of the expected file must fail with every reader, naming the row and path.
const base = readFileSync(EXPECTED, 'utf8');
const mutations = [
  // [name, from, to, text that the FAIL line must contain]
  ['int64 off by one', '"i64":"1234567890123"', '"i64":"1234567890124"', 'row 0 $.i64'],
  ['uint64 beyond 2^53', '"u64":18446744073709551615', '"u64":18446744073709551614', 'row 0 $.u64'],
  ['list int64 at 2^53', '9007199254740993]', '9007199254740992]', 'row 0 $.li[2]'],
  ['int64 min', '-9223372036854775808', '-9223372036854775807', 'row 2 $.i64'],
  ['float32 rounding', '"f":1.1,', '"f":1.1000001,', 'row 0 $.f'],
  ['double last bit', '"d":0.1,', '"d":0.10000000000000002,', 'row 0 $.d'],
  ['-0 vs 0 (float)', '"f":-0.0,', '"f":0,', 'row 4 $.f'],
  ['-0 vs 0 (double)', '"d":-0}', '"d":0}', 'row 6 $.d'],
  ['float32 subnormal', '"f":1.401298464324817e-45', '"f":2.8e-45', 'row 6 $.f'],
  ['NaN vs null', '"d":"NaN"', '"d":null', 'row 4 $.d'],
  ['Infinity vs NaN', '"d":"Infinity"', '"d":"NaN"', 'row 3 $.d'],
  ['subnormal double', '"d":5e-324', '"d":0', 'row 5 $.d'],
  ['unicode normalisation', '"s":"h\\u00e9llo', '"s":"he\\u0301llo', 'row 0 $.s'],
  ['empty string vs null', '"s":"",', '"s":null,', 'row 2 $.s'],
  ['binary byte', '"bin":"AAH+/w=="', '"bin":"AAH+/g=="', 'row 0 $.bin'],
  ['bool as string', '"b":true', '"b":"true"', 'row 0 $.b'],
  ['date', '"dt":"2024-02-29"', '"dt":"2024-03-01"', 'row 0 $.dt'],
  ['time fraction', '"tm":"12:34:56.789012"', '"tm":"12:34:56.789"', 'row 0 $.tm'],
  ['timestamp offset', '04:30:00.123456+02:00', '04:30:00.123456+01:00', 'row 0 $.tstz'],
  ['timestamp 1 us before epoch', '"ts":"1969-12-31T23:59:59.999999"', '"ts":"1969-12-31T23:59:59.999998"', 'row 2 $.ts'],
  ['timestamp ns', '00:00:00.123456789', '00:00:00.123456788', 'row 0 $.tsns'],
  ['timestamp short fraction', '"ts":"2024-03-10T02:30:00.5"', '"ts":"2024-03-10T02:30:00.6"', 'row 0 $.ts'],
  ['decimal38 last digit', '678.0123456789"', '678.0123456788"', 'row 0 $.dec38'],
  ['decimal beyond scale', '"dec4":12.34', '"dec4":12.345', 'row 0 $.dec4'],
  ['uuid', 'BB6D-6BB9BD380A11', 'BB6D-6BB9BD380A12', 'row 0 $.uid'],
  ['enum', '"en":"happy"', '"en":"ok"', 'row 0 $.en'],
  ['empty list vs null list', '"lli":[[1,2],[],null,[3]]', '"lli":[[1,2],null,null,[3]]', 'row 0 $.lli[1]'],
  ['list length', '"ls":["a","",null]', '"ls":["a",""]', 'row 0 $.ls'],
  ['struct in list', '{"b":"y"}]', '{"b":"z"}]', 'row 0 $.lst[2].b'],
  ['nested struct date', '"r":"2000-01-01"', '"r":"2000-01-02"', 'row 0 $.st.z.r'],
  ['null struct vs empty struct', '"st":{"y":[]}', '"st":{"y":[],"z":{}}', 'row 2 $.st.z'],
  ['map key with null value missing', '"m":{"k1":1,"k2":null}', '"m":{"k1":1}', 'row 0 $.m{"k2"}'],
  ['map extra key', '"mi":{"1":"one","-2":"minus two"}', '"mi":{"1":"one","-2":"minus two","3":"three"}', 'row 0 $.mi{"3"}'],
  ['map timestamp key', '"mts":{"2024-01-01T00:00:00":7}', '"mts":{"2024-01-01T00:00:01":7}', 'row 0 $.mts'],
  ['map decimal value', '"mdec":{"p":1.25}', '"mdec":{"p":1.26}', 'row 0 $.mdec{"p"}'],
  ['unknown field', '"st":{"x":42,', '"st":{"x":42,"extra":1,', 'row 0 $.st.extra'],
  ['row count: row missing', /\n\{"id":7,[^\n]*\n$/, '\n', 'row count: expected 6, read 7'],
  ['row count: extra row', /\n$/, '\n{"id":8}\n', 'row count: expected 8, read 7'],
  ['rows swapped', /\n(\{"id":4,[^\n]*)\n(\{"id":5,[^\n]*)\n/, '\n$2\n$1\n', 'row 3 $.id'],
];
// In-process through checkReader (what compare.mjs prints after "FAIL <reader>: "): one process load
// instead of one per mutation. The first mutation also goes through the CLI end to end.
{
  const schema = await loadSchema(files.snappy);
  for (const [i, [name, from, to, needle]] of mutations.entries()) {
    const text = base.replace(from, to);
    if (text === base) { bad(`mutation: ${name}`, 'the mutation did not apply to the fixture'); continue; }
    const f = join(TMP, `mut_${i}.ndjson`);
    writeFileSync(f, text);
    const msgs = [];
    for (const rd of READERS) msgs.push(`${rd}: ${await checkReader(rd, schema, files.snappy, f)}`);
    if (msgs.every((m) => !m.endsWith(': null') && m.includes(needle))) ok(`mutation: ${name}`);
    else bad(`mutation: ${name}`, `wanted "${needle}"\n${indent(msgs.join('\n'))}`);
    if (i === 0) {
      const r = await run('compare.mjs', [files.snappy, f]);
      const lines = r.out.trim().split('\n');
      if (r.code === 1 && lines.length === 3 && READERS.every((rd, k) => lines[k] === `FAIL ${msgs[k]}`)) ok('compare CLI: FAIL lines and exit 1');
      else bad('compare CLI: FAIL lines and exit 1', `exit ${r.code}\n${indent(r.out + r.err)}`);
    }
  }
}

// --allow-fail on a real mismatch turns FAIL into NOTE and exits 0
{
  const f = join(TMP, 'mut_allow.ndjson');
  writeFileSync(f, base.replace('"d":0.1,', '"d":0.2,'));
  const r = await run('compare.mjs', ['--allow-fail', 'duckdb:known issue X', '--readers', 'duckdb,hyparquet', files.snappy, f]);
  const lines = r.out.trim().split('\n');
  if (r.code === 1 && lines[0].startsWith('NOTE duckdb failed, allowed (known issue X): ') && lines[1].startsWith('FAIL hyparquet: ')) {
    ok('compare --allow-fail only excuses the named reader');
  } else bad('compare --allow-fail only excuses the named reader', `exit ${r.code}\n${indent(r.out + r.err)}`);
}

// ---------------------------------------------------------------------------------------------------
// 5. Errors: a malformed expected line, a file that is not Parquet, bad usage.
{
  const f = join(TMP, 'bad_json.ndjson');
  writeFileSync(f, base.replace('{"id":2}', '{"id":2,}'));
  const r = await run('compare.mjs', ['--readers', 'duckdb', files.snappy, f]);
  if (r.code === 1 && /^FAIL duckdb: .*bad_json\.ndjson:2: /.test(r.out)) ok('compare: malformed expected line');
  else bad('compare: malformed expected line', `exit ${r.code}\n${indent(r.out + r.err)}`);
  const np = join(TMP, 'not_parquet.parquet');
  writeFileSync(np, 'PAR1 this is not a parquet file PAR1');
  const r2 = await run('compare.mjs', [np, EXPECTED]);
  if (r2.code === 1 && /^FAIL /.test(r2.out)) ok('compare: not a parquet file'); else bad('compare: not a parquet file', `exit ${r2.code}\n${indent(r2.out + r2.err)}`);
  const r3 = await run('compare.mjs', ['--readers', 'spark', files.snappy, EXPECTED]);
  if (r3.code === 2) ok('compare: bad usage exits 2'); else bad('compare: bad usage exits 2', `exit ${r3.code}`);
}

// ---------------------------------------------------------------------------------------------------
// 6. gen_events NDJSON -> DuckDB Parquet -> compare (the benchmark's data and schema).
{
  let gen = process.env.LS_BUILD ? join(process.env.LS_BUILD, 'bench', 'gen_events') : '';
  if (!gen || !existsSync(gen)) {
    gen = join(TMP, 'gen_events');
    try {
      execFileSync('cc', ['-std=c11', '-O2', '-D_GNU_SOURCE', join(ROOT, 'bench', 'gen_events.c'), '-o', gen], { stdio: 'pipe' });
    } catch (e) { gen = null; bad('gen_events builds', String(e.stderr || e.message).trim()); }
  }
  if (gen) {
    const nd = join(TMP, 'events.ndjson');
    writeFileSync(nd, execFileSync(gen, ['--rows', '3000', '--seed', '11', '--days', '2'], { maxBuffer: 64 << 20 }));
    const again = execFileSync(gen, ['--rows', '3000', '--seed', '11', '--days', '2'], { maxBuffer: 64 << 20 });
    if (again.equals(readFileSync(nd))) ok('gen_events is deterministic'); else bad('gen_events is deterministic', 'two runs differ');
    const cols = "{event_id: 'VARCHAR', ts: 'TIMESTAMPTZ', user_id: 'BIGINT', session: 'BIGINT', kind: 'VARCHAR', amount: 'DOUBLE', " +
      "score: 'DOUBLE', tags: 'VARCHAR[]', geo: 'STRUCT(lat DOUBLE, lon DOUBLE)', referrer: 'VARCHAR', ok: 'BOOLEAN'}";
    const p1 = join(TMP, 'events.parquet'), p2 = join(TMP, 'events_v2.parquet');
    const r = await run('duckdb_sql.mjs', [
      `COPY (SELECT * FROM read_json('${q(nd)}', format='newline_delimited', columns=${cols})) TO '${q(p1)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048)`,
      `COPY (SELECT * FROM read_json('${q(nd)}', format='newline_delimited', columns=${cols})) TO '${q(p2)}' (FORMAT parquet, COMPRESSION snappy, PARQUET_VERSION V2)`,
    ]);
    if (r.code !== 0) bad('events to parquet with duckdb', r.err.trim());
    const res = await pool([p1, p2], 2, (p) => run('compare.mjs', [p, nd]));
    res.forEach((c, k) => {
      const name = `compare gen_events (${k ? 'v2 snappy' : 'zstd, 2 row groups'})`;
      if (c.code === 0 && c.out.trim().split('\n').every((l) => /^ok \w+ 3000$/.test(l))) ok(name);
      else bad(name, `exit ${c.code}\n${indent(c.out + c.err)}`);
    });
    // a value changed deep in the file is found
    const lines = readFileSync(nd, 'utf8').split('\n');
    lines[2500] = lines[2500].replace(/"lat":(-?[\d.]+)/, (m, v) => `"lat":${Number(v) + 0.00001}`);
    const mf = join(TMP, 'events_mut.ndjson');
    writeFileSync(mf, lines.join('\n'));
    const c = await run('compare.mjs', [p1, mf]);
    if (c.code === 1 && c.out.trim().split('\n').every((l) => l.includes('row 2500 $.geo.lat'))) ok('compare gen_events: changed value found');
    else bad('compare gen_events: changed value found', `exit ${c.code}\n${indent(c.out + c.err)}`);
  }
}

if (!process.env.LS_TMP) rmSync(TMP, { recursive: true, force: true }); // tests/run.sh cleans LS_TMP itself
console.log(`RESULT ${passed} ${failed}`);
process.exit(failed ? 1 : 0);
