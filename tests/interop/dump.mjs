// dump.mjs - print the rows of a Parquet file as canonical NDJSON, read with one of the readers.
//   node dump.mjs duckdb|arrow|hyparquet FILE.parquet
// The canonical form (see readers.mjs) is the same one compare.mjs uses, so the output of one reader can
// be fed back as EXPECTED.ndjson, or two readers' dumps can be diffed (reader differential tests).
import { READERS, loadSchema, readRows, serialize } from './readers.mjs';

const [reader, path] = process.argv.slice(2);
if (!READERS.includes(reader) || !path) {
  process.stderr.write(`usage: node dump.mjs ${READERS.join('|')} FILE.parquet\n`);
  process.exit(2);
}
try {
  const schema = await loadSchema(path);
  for await (const batch of readRows(reader, path, schema)) {
    const text = batch.map((row) => serialize(row) + '\n').join('');
    if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
  }
} catch (e) {
  process.stderr.write(`dump.mjs ${reader}: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
}
