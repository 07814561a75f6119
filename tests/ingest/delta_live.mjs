// delta_live.mjs - the live data files of a Delta table, from its JSON commits (adds minus
// removes; every commit file is replayed, so checkpoints are not needed), one absolute path
// per line. Used by the ingest tests to read exactly the committed files with DuckDB (files
// of an uncommitted batch may lie in the table directory and must not be counted).
//   node delta_live.mjs TABLE_DIR [--versions]   (--versions: "<path>\t<version>\t<commit mtime ms>")
import fs from 'fs';
import path from 'path';

const dir = process.argv[2];
const withVersions = process.argv.includes('--versions');
const log = path.join(dir, '_delta_log');
const live = new Map();
for (const f of fs.readdirSync(log).filter((n) => /^\d{20}\.json$/.test(n)).sort()) {
  const version = Number(f.slice(0, 20));
  const mtime = fs.statSync(path.join(log, f)).mtimeMs;
  for (const line of fs.readFileSync(path.join(log, f), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const a = JSON.parse(line);
    if (a.add) live.set(a.add.path, { version, mtime });
    if (a.remove) live.delete(a.remove.path);
  }
}
const out = [];
for (const [p, v] of live) {
  const abs = path.join(path.resolve(dir), decodeURIComponent(p));
  out.push(withVersions ? `${abs}\t${v.version}\t${Math.round(v.mtime)}` : abs);
}
process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
