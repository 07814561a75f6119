// duckdb_sql.mjs - run SQL in an in-memory DuckDB and print the result rows as JSON lines.
//   node duckdb_sql.mjs "SQL" ["SQL" ...]
// Each argument runs as its own query (an argument may hold several statements separated by ';',
// then only the last statement's rows are printed). Rows of every argument go to stdout, one JSON
// object per line (BIGINT/HUGEINT as strings, NaN/Infinity as strings: DuckDB's own JSON mapping).
// stderr gets "elapsed_ms <ms>" and "cpu_ms <ms>" (user+system of the process) per argument, measured
// around that query only (used by the benchmarks).
// Env: DUCKDB_THREADS (default 1), DUCKDB_MEMORY_LIMIT (optional, e.g. "4GB").
import { DuckDBInstance } from '@duckdb/node-api';

const sqls = process.argv.slice(2);
if (sqls.length === 0 || sqls[0] === '-h' || sqls[0] === '--help') {
  process.stderr.write('usage: node duckdb_sql.mjs "SQL" ["SQL" ...]   (env DUCKDB_THREADS, default 1)\n');
  process.exit(2);
}

const options = { threads: String(process.env.DUCKDB_THREADS || '1') };
if (process.env.DUCKDB_MEMORY_LIMIT) options.memory_limit = process.env.DUCKDB_MEMORY_LIMIT;

// Batched writes that wait for 'drain', so a large result through a pipe is neither lost nor buffered whole.
let pending = [];
let pendingBytes = 0;
const flush = async () => {
  if (pending.length && !process.stdout.write(pending.join(''))) await new Promise((r) => process.stdout.once('drain', r));
  pending = []; pendingBytes = 0;
};
const out = async (s) => {
  pending.push(s); pendingBytes += s.length;
  if (pendingBytes > (1 << 20)) await flush();
};

try {
  const instance = await DuckDBInstance.create(':memory:', options);
  const con = await instance.connect();
  for (const sql of sqls) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const reader = await con.runAndReadAll(sql);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const c1 = process.cpuUsage(c0);
    for (const row of reader.getRowObjectsJson()) await out(JSON.stringify(row) + '\n');
    await flush();
    process.stderr.write(`elapsed_ms ${ms.toFixed(1)}\n`);
    process.stderr.write(`cpu_ms ${((c1.user + c1.system) / 1000).toFixed(1)}\n`);
  }
  con.closeSync();
  instance.closeSync();
} catch (e) {
  await flush();
  process.stderr.write(`duckdb error: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
}
