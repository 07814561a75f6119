// readers.mjs - shared code of compare.mjs and dump.mjs: reads a Parquet file with three independent
// readers (DuckDB via @duckdb/node-api, arrow-rs via parquet-wasm + apache-arrow, hyparquet) and turns
// every value into one canonical form, driven by the file's Parquet schema, so that reader output and
// an expected NDJSON file can be compared exactly.
//
// Canonical form (also what dump.mjs prints):
//   integers      exact JSON numbers of any size (never through a double)
//   FLOAT/DOUBLE  JSON numbers in JS shortest form, -0 kept as -0; "NaN", "Infinity", "-Infinity" strings;
//                 FLOAT values (and FLOAT16) are rounded to that width first (Math.fround)
//   boolean       true/false
//   STRING/ENUM/JSON   the string; BINARY/FLBA without annotation: base64 string; UUID: lowercase 8-4-4-4-12
//   DATE          "YYYY-MM-DD"
//   TIMESTAMP     "YYYY-MM-DDTHH:MM:SS.ffffff" + "Z" when isAdjustedToUTC (9 digits for NANOS and INT96)
//   TIME          "HH:MM:SS.ffffff" (9 digits for NANOS)
//   DECIMAL       exact decimal string with exactly `scale` fraction digits ("-12.50")
//   LIST          array; STRUCT: object with every schema field (missing == null); MAP: object keyed by the
//                 key's canonical form as a string
// Reader quirks handled here:
//   hyparquet returns DECIMAL as lossy JS numbers and TIMESTAMP as millisecond Dates, so it is called with
//   DECIMAL annotations stripped from a copy of the metadata and with parsers that keep raw integers;
//   apache-arrow's row API returns timestamps as float milliseconds (lossy for micros/nanos) and dates as
//   millisecond numbers, so Arrow vectors are walked here and raw buffers are used for those types.
import { readFileSync, createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

// ---------------------------------------------------------------------------------------------------
// Canonical leaf values
export class Num { constructor(t) { this.t = t; } }          // a JSON number, kept as its exact text
export class Bad { constructor(msg) { this.msg = msg; } }    // a value that could not be converted: never equal
export class CMap extends Map {}                             // canonical MAP (missing key != null key)
// canonical STRUCT/row = plain Map (missing key == null)

// Tagged raw values produced by the reader adapters (exact, unit-normalised).
class TsVal { constructor(ns) { this.ns = ns; } toString() { return '@ns:' + this.ns; } }
class DaysVal { constructor(d) { this.days = d; } toString() { return '@days:' + this.days; } }
class TimeVal { constructor(ns) { this.ns = ns; } toString() { return '@tns:' + this.ns; } }
class DecVal { constructor(u, scale) { this.u = u; this.scale = scale; } toString() { return '@dec:' + this.u + ':' + this.scale; } }

// Lossless JSON parsing of expected files: numbers stay as text (Num), objects become JObj (a Map, so
// keys such as "__proto__" are plain data).
export class JObj extends Map {}

export function parseJSONLossless(s) {
  let i = 0;
  const n = s.length;
  const fail = (m) => { throw new SyntaxError(`${m} at column ${i + 1}`); };
  const ws = () => {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++; else break;
    }
  };
  const numRe = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const str = () => {
    i++; // opening quote
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = s.charCodeAt(i);
      if (c === 34) { out += s.slice(start, i); i++; return out; }
      if (c < 0x20) fail('control character in string');
      if (c !== 92) { i++; continue; }
      out += s.slice(start, i);
      const e = s[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const h = s.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(h, 16));
          i += 4;
          break;
        }
        default: i -= 1; fail('bad escape');
      }
      start = i;
    }
  };
  const val = (depth) => {
    if (depth > 200) fail('nesting too deep');
    ws();
    if (i >= n) fail('unexpected end');
    const c = s[i];
    if (c === '{') {
      i++;
      const o = new JObj();
      ws();
      if (s[i] === '}') { i++; return o; }
      for (;;) {
        ws();
        if (s[i] !== '"') fail('expected a key');
        const k = str();
        ws();
        if (s[i] !== ':') fail("expected ':'");
        i++;
        o.set(k, val(depth + 1));
        ws();
        if (s[i] === ',') { i++; continue; }
        if (s[i] === '}') { i++; return o; }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const a = [];
      ws();
      if (s[i] === ']') { i++; return a; }
      for (;;) {
        a.push(val(depth + 1));
        ws();
        if (s[i] === ',') { i++; continue; }
        if (s[i] === ']') { i++; return a; }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (s.startsWith('true', i)) { i += 4; return true; }
    if (s.startsWith('false', i)) { i += 5; return false; }
    if (s.startsWith('null', i)) { i += 4; return null; }
    numRe.lastIndex = i;
    const m = numRe.exec(s);
    if (!m) fail('unexpected character ' + JSON.stringify(c));
    i += m[0].length;
    return new Num(m[0]);
  };
  const v = val(0);
  ws();
  if (i !== n) fail('trailing characters');
  return v;
}

// ---------------------------------------------------------------------------------------------------
// Parquet schema -> type descriptors
//   {kind:'list', elem}, {kind:'struct', fields:[{name, d}]}, {kind:'map', key, value}, or a scalar
//   {kind:'int'|'float'|'float16'|'double'|'bool'|'string'|'binary'|'uuid'|'date'|'decimal'|'ts'|'time', ...}

function schemaTree(elems) {
  let pos = 0;
  const build = () => {
    if (pos >= elems.length) throw new Error('parquet schema: num_children runs past the element list');
    const e = elems[pos++];
    const node = { e, name: e.name, children: [] };
    const k = e.num_children || 0;
    for (let j = 0; j < k; j++) node.children.push(build());
    return node;
  };
  return build();
}

function scalarDesc(e) {
  const lt = e.logical_type;
  const ct = e.converted_type;
  const pt = e.type;
  const unitNs = (u) => (u === 'MILLIS' ? 1000000n : u === 'MICROS' ? 1000n : 1n);
  if (lt) {
    switch (lt.type) {
      case 'STRING': case 'ENUM': case 'JSON': return { kind: 'string' };
      case 'BSON': return { kind: 'binary' };
      case 'UUID': return { kind: 'uuid' };
      case 'DATE': return { kind: 'date' };
      case 'DECIMAL': return { kind: 'decimal', scale: lt.scale ?? e.scale ?? 0, precision: lt.precision ?? e.precision };
      case 'TIMESTAMP': return { kind: 'ts', unit: unitNs(lt.unit), utc: !!lt.isAdjustedToUTC, nanos: lt.unit === 'NANOS' };
      case 'TIME': return { kind: 'time', unit: unitNs(lt.unit), nanos: lt.unit === 'NANOS' };
      case 'INTEGER': return { kind: 'int' };
      case 'FLOAT16': return { kind: 'float16' };
      default: break; // unknown / geo / variant: fall back to the physical type
    }
  }
  switch (ct) {
    case 'UTF8': case 'ENUM': case 'JSON': return { kind: 'string' };
    case 'BSON': case 'INTERVAL': return { kind: 'binary' };
    case 'DECIMAL': return { kind: 'decimal', scale: e.scale ?? 0, precision: e.precision };
    case 'DATE': return { kind: 'date' };
    case 'TIME_MILLIS': return { kind: 'time', unit: 1000000n, nanos: false };
    case 'TIME_MICROS': return { kind: 'time', unit: 1000n, nanos: false };
    case 'TIMESTAMP_MILLIS': return { kind: 'ts', unit: 1000000n, utc: true, nanos: false };
    case 'TIMESTAMP_MICROS': return { kind: 'ts', unit: 1000n, utc: true, nanos: false };
    default: break;
  }
  if (ct && /^U?INT_/.test(ct)) return { kind: 'int' };
  switch (pt) {
    case 'BOOLEAN': return { kind: 'bool' };
    case 'INT32': case 'INT64': return { kind: 'int' };
    case 'INT96': return { kind: 'ts', unit: 1n, utc: false, nanos: true };
    case 'FLOAT': return { kind: 'float' };
    case 'DOUBLE': return { kind: 'double' };
    case 'BYTE_ARRAY': case 'FIXED_LEN_BYTE_ARRAY': return { kind: 'binary' };
    default: throw new Error(`parquet schema: element ${e.name} has no type and no children`);
  }
}

// Describe `node`, ignoring its own REPEATED repetition when it is a list element already.
function describe(node, asElement = false) {
  const e = node.e;
  if (e.repetition_type === 'REPEATED' && !asElement) {
    // un-annotated repeated field: a required list of required elements (never null: a reader's null is [])
    return { kind: 'list', elem: describe(node, true), bare: true };
  }
  const ann = e.logical_type?.type || e.converted_type;
  if (node.children.length === 0) return scalarDesc(e);
  if (ann === 'LIST' && node.children.length === 1) {
    const rep = node.children[0];
    if (rep.e.repetition_type !== 'REPEATED') return { kind: 'list', elem: describe(rep, true) };
    // LogicalTypes.md backward-compatibility rules for the element
    if (rep.children.length === 0) return { kind: 'list', elem: scalarDesc(rep.e) };
    if (rep.children.length > 1 || rep.name === 'array' || rep.name === `${node.name}_tuple`) {
      return { kind: 'list', elem: describe(rep, true) }; // the repeated group is the element (maybe a LIST itself)
    }
    return { kind: 'list', elem: describe(rep.children[0], true) };
  }
  if ((ann === 'MAP' || ann === 'MAP_KEY_VALUE') && node.children.length === 1 &&
      node.children[0].children.length >= 1) {
    const kv = node.children[0];
    return { kind: 'map', key: describe(kv.children[0], true), value: kv.children[1] ? describe(kv.children[1], true) : null };
  }
  return structDesc(node);
}

function structDesc(node) {
  return { kind: 'struct', fields: node.children.map((c) => ({ name: c.name, d: describe(c) })) };
}

// Returns {fields:[{name, d}], numRows, rowGroups:[numRows...], metadata} for a file (hyparquet metadata).
export async function loadSchema(path) {
  const { asyncBufferFromFile, parquetMetadataAsync } = await import('hyparquet');
  const file = await asyncBufferFromFile(path);
  const md = await parquetMetadataAsync(file);
  const root = schemaTree(md.schema);
  const top = structDesc(root);
  return {
    fields: top.fields,
    root: top,
    numRows: Number(md.num_rows),
    rowGroups: md.row_groups.map((rg) => Number(rg.num_rows)),
    metadata: md,
    file,
  };
}

// ---------------------------------------------------------------------------------------------------
// Conversions

const DAY_NS = 86400n * 1000000000n;

function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z) {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const pad = (x, w) => String(x).padStart(w, '0');

function fmtDate(days) {
  const [y, m, d] = civilFromDays(days);
  const ys = y >= 0 && y <= 9999 ? pad(y, 4) : (y < 0 ? '-' : '+') + pad(Math.abs(y), 6);
  return `${ys}-${pad(m, 2)}-${pad(d, 2)}`;
}

const floorDiv = (a, b) => { const q = a / b; return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q; };

function fmtFrac(ns, nineDigits) { // ns in [0, 1e9)
  const s = pad(ns, 9);
  return nineDigits || !s.endsWith('000') ? s : s.slice(0, 6);
}

function fmtTimeOfDay(nsOfDay, nine) {
  const secs = nsOfDay / 1000000000n;
  const frac = nsOfDay % 1000000000n;
  const h = secs / 3600n, mi = (secs / 60n) % 60n, s = secs % 60n;
  return `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${fmtFrac(frac, nine)}`;
}

function fmtTs(ns, d) {
  const days = floorDiv(ns, DAY_NS);
  const rem = ns - days * DAY_NS;
  return `${fmtDate(Number(days))}T${fmtTimeOfDay(rem, d.nanos)}${d.utc ? 'Z' : ''}`;
}

const DATE_RE = /^([+-]\d{4,6}|\d{4})-(\d\d)-(\d\d)/;
const TS_RE = /^([+-]\d{4,6}|\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d\d(?::?\d\d)?)?$/;
const TIME_RE = /^(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?$/;

function validYmd(y, mo, d) {
  if (mo < 1 || mo > 12 || d < 1) return false;
  const dim = [31, (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  return d <= dim;
}

function parseTsText(s) { // -> ns since epoch (BigInt) or null; offsets are applied (result is UTC)
  const m = TS_RE.exec(s.trim());
  if (!m) return null;
  const y = parseInt(m[1], 10), mo = +m[2], d = +m[3];
  const h = m[4] ? +m[4] : 0, mi = m[5] ? +m[5] : 0, sec = m[6] ? +m[6] : 0;
  if (!validYmd(y, mo, d) || h > 23 || mi > 59 || sec > 59) return null;
  let ns = BigInt(daysFromCivil(y, mo, d)) * DAY_NS + BigInt(h * 3600 + mi * 60 + sec) * 1000000000n;
  if (m[7]) ns += BigInt(m[7].padEnd(9, '0'));
  const z = m[8];
  if (z && z !== 'Z' && z !== 'z') {
    const sign = z[0] === '-' ? -1n : 1n;
    const digits = z.slice(1).replace(':', '');
    const oh = BigInt(digits.slice(0, 2)), om = BigInt(digits.slice(2, 4) || '0');
    if (oh > 23n || om > 59n) return null;
    ns -= sign * (oh * 3600n + om * 60n) * 1000000000n;
  }
  return ns;
}

// Exact decimal text -> {u: BigInt, exp: int} with value = u * 10^exp, or null.
function parseDecText(t) {
  const m = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t.trim());
  if (!m || (!m[2] && !m[3])) return null;
  const frac = m[3] || '';
  const e = m[4] ? parseInt(m[4], 10) : 0;
  if (!Number.isFinite(e) || Math.abs(e) > 10000) return null;
  let u = BigInt((m[2] || '') + frac || '0');
  if (m[1] === '-') u = -u;
  return { u, exp: e - frac.length };
}

function decToScale(p, scale) { // -> BigInt unscaled at `scale`, or null if not exactly representable
  const shift = p.exp + scale;
  if (shift >= 0) return p.u * 10n ** BigInt(shift);
  const div = 10n ** BigInt(-shift);
  return p.u % div === 0n ? p.u / div : null;
}

function fmtDec(u, scale) {
  const neg = u < 0n;
  let s = (neg ? -u : u).toString();
  if (scale > 0) {
    s = s.padStart(scale + 1, '0');
    s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  }
  return (neg ? '-' : '') + s;
}

function twosComplementBE(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (bytes.length && (bytes[0] & 0x80)) v -= 1n << BigInt(bytes.length * 8);
  return v;
}

function f16round(x) {
  if (!Number.isFinite(x) || x === 0) return x;
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  if (e < -14) e = -14; // subnormals share the smallest exponent
  const q = 2 ** (e - 10);
  const nq = a / q;
  let f = Math.floor(nq);
  const diff = nq - f;
  if (diff > 0.5 || (diff === 0.5 && f % 2 === 1)) f += 1;
  const r = f * q;
  return sign * (r >= 65520 ? Infinity : r);
}

const short = (v) => {
  let s;
  try { s = typeof v === 'bigint' ? `${v}n` : v instanceof Num ? v.t : v instanceof Map ? serialize(v) : JSON.stringify(v); } catch { s = String(v); }
  if (s === undefined) s = String(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
};

const textDecoder = new TextDecoder('utf-8');
const isBytes = (v) => v instanceof Uint8Array;

function toBigIntExact(v) { // integer-valued input -> BigInt, or null
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : null;
  const t = v instanceof Num ? v.t : typeof v === 'string' ? v : null;
  if (t === null) return null;
  const p = parseDecText(t);
  return p ? decToScale(p, 0) : null;
}

function canonFloat(x, d) {
  if (d.kind === 'float') x = Math.fround(x);
  else if (d.kind === 'float16') x = f16round(x);
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return new Num('-0');
  return new Num(String(x));
}

const FLOAT_TEXT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function tsNanos(v, d) { // any reader/expected representation of a timestamp -> ns BigInt or null
  if (v instanceof TsVal) return v.ns;
  if (typeof v === 'string') {
    if (v.startsWith('@ns:')) return BigInt(v.slice(4));
    if (/^-?\d+$/.test(v)) return BigInt(v) * d.unit;
    return parseTsText(v);
  }
  if (v instanceof Num || typeof v === 'bigint' || typeof v === 'number') {
    const b = toBigIntExact(v);
    return b === null ? null : b * d.unit;
  }
  if (v instanceof Date) return BigInt(v.getTime()) * 1000000n;
  if (v && typeof v === 'object') { // DuckDB timestamp values
    if (typeof v.nanos === 'bigint') return v.nanos;
    if (typeof v.micros === 'bigint') return v.micros * 1000n;
    if (typeof v.millis === 'bigint') return v.millis * 1000000n;
    if (typeof v.seconds === 'bigint') return v.seconds * 1000000000n;
  }
  return null;
}

function timeNanos(v, d) {
  if (v instanceof TimeVal) return v.ns;
  if (typeof v === 'string') {
    if (v.startsWith('@tns:')) return BigInt(v.slice(5));
    const m = TIME_RE.exec(v);
    if (!m) return /^\d+$/.test(v) ? BigInt(v) * d.unit : null;
    if (+m[1] > 23 || +m[2] > 59 || (m[3] && +m[3] > 59)) return null;
    return BigInt(+m[1] * 3600 + +m[2] * 60 + (m[3] ? +m[3] : 0)) * 1000000000n + BigInt((m[4] || '').padEnd(9, '0'));
  }
  if (v instanceof Num || typeof v === 'bigint' || typeof v === 'number') {
    const b = toBigIntExact(v);
    return b === null ? null : b * d.unit;
  }
  if (v && typeof v === 'object') {
    if (typeof v.nanos === 'bigint') return v.nanos;
    if (typeof v.micros === 'bigint') return v.micros * 1000n;
  }
  return null;
}

function dateDays(v) {
  if (v instanceof DaysVal) return v.days;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (v instanceof Num) { const b = toBigIntExact(v); return b === null ? null : Number(b); }
  if (typeof v === 'string') {
    if (v.startsWith('@days:')) return +v.slice(6);
    const m = DATE_RE.exec(v);
    if (!m || m[0].length !== v.length) return null;
    const y = parseInt(m[1], 10), mo = +m[2], d = +m[3];
    return validYmd(y, mo, d) ? daysFromCivil(y, mo, d) : null;
  }
  if (v instanceof Date) { const ms = v.getTime(); return ms % 86400000 === 0 ? ms / 86400000 : null; }
  if (v && typeof v === 'object' && typeof v.days === 'number') return v.days;
  return null;
}

function decUnscaled(v, scale) {
  if (v instanceof DecVal) return v.scale === scale ? v.u : decToScale({ u: v.u, exp: -v.scale }, scale);
  if (typeof v === 'bigint') return v;                           // raw INT64 (hyparquet)
  if (isBytes(v)) return twosComplementBE(v);                    // raw FLBA/BYTE_ARRAY (hyparquet)
  if (v && typeof v === 'object' && typeof v.value === 'bigint' && typeof v.scale === 'number') { // DuckDB
    return v.scale === scale ? v.value : decToScale({ u: v.value, exp: -v.scale }, scale);
  }
  if (typeof v === 'string' && v.startsWith('@dec:')) {
    const [, u, s] = v.split(':');
    return decToScale({ u: BigInt(u), exp: -Number(s) }, scale);
  }
  if (v instanceof Num || typeof v === 'string') {
    const p = parseDecText(v instanceof Num ? v.t : v);
    return p ? decToScale(p, scale) : null;
  }
  if (typeof v === 'number') { // a reader that only had a double: use its shortest text
    if (!Number.isFinite(v)) return null;
    const p = parseDecText(String(v));
    return p ? decToScale(p, scale) : null;
  }
  return null;
}

const NOOPT = Object.freeze({ rawDec: false, keyText: false });
const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

function bytesOf(v) {
  if (isBytes(v)) return v;
  if (v && typeof v === 'object' && isBytes(v.bytes)) return v.bytes; // DuckDB BLOB
  return null;
}

function fmtUuid(bytes) {
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// Canonical form of one value of descriptor d. Never throws: an unconvertible value becomes Bad.
// o.rawDec: a JS number given for a DECIMAL is the unscaled INT32 value (hyparquet with the annotation stripped).
export function canon(d, v, o = NOOPT) {
  if (v === null || v === undefined) return d.bare ? [] : null;
  const bad = (what) => new Bad(`${what}: ${short(v)}`);
  switch (d.kind) {
    case 'int': {
      const b = toBigIntExact(v);
      return b === null ? bad('not an integer') : new Num(b.toString());
    }
    case 'float': case 'float16': case 'double': {
      if (typeof v === 'number') return canonFloat(v, d);
      if (typeof v === 'bigint') return canonFloat(Number(v), d);
      const t = v instanceof Num ? v.t : typeof v === 'string' ? v.trim() : null;
      if (t === null) return bad('not a number');
      if (t === 'NaN') return 'NaN';
      if (t === 'Infinity' || t === '+Infinity') return 'Infinity';
      if (t === '-Infinity') return '-Infinity';
      if (!FLOAT_TEXT_RE.test(t)) return bad('not a number');
      return canonFloat(Number(t), d);
    }
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (o.keyText && (v === 'true' || v === 'false')) return v === 'true'; // map keys given as object keys
      return bad('not a boolean');
    case 'string':
      if (typeof v === 'string') return v;
      if (isBytes(v)) return textDecoder.decode(v);
      return bad('not a string');
    case 'binary': {
      const b = bytesOf(v);
      if (b) return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
      if (typeof v === 'string') {
        if (/^\d+(,\d+)*$/.test(v) && v.includes(',')) { // hyparquet map key: String(Uint8Array)
          return Buffer.from(v.split(',').map(Number)).toString('base64');
        }
        if (!B64_RE.test(v)) return bad('not base64');
        return Buffer.from(v, 'base64').toString('base64');
      }
      return bad('not binary');
    }
    case 'uuid': {
      const b = bytesOf(v);
      if (b) return b.length === 16 ? fmtUuid(b) : bad('uuid not 16 bytes');
      if (typeof v === 'string' || (v && typeof v === 'object' && typeof v.hugeint === 'bigint')) {
        const s = String(v).toLowerCase();
        return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s) ? s : bad('not a uuid');
      }
      return bad('not a uuid');
    }
    case 'date': {
      const days = dateDays(v);
      return days === null ? bad('not a date') : fmtDate(days);
    }
    case 'ts': {
      const ns = tsNanos(v, d);
      return ns === null ? bad('not a timestamp') : fmtTs(ns, d);
    }
    case 'time': {
      const ns = timeNanos(v, d);
      if (ns === null || ns < 0n || ns > DAY_NS) return bad('not a time');
      return fmtTimeOfDay(ns, d.nanos);
    }
    case 'decimal': {
      const u = o.rawDec && typeof v === 'number' ? (Number.isInteger(v) ? BigInt(v) : null) : decUnscaled(v, d.scale);
      return u === null ? bad(`not a decimal at scale ${d.scale}`) : fmtDec(u, d.scale);
    }
    case 'list': {
      const items = Array.isArray(v) ? v : v && Array.isArray(v.items) ? v.items : null;
      if (!items) return bad('not a list');
      return items.map((x) => canon(d.elem, x, o));
    }
    case 'struct': return canonStruct(d, v, o);
    case 'map': return canonMap(d, v, o);
    default: return new Bad(`unknown descriptor ${d.kind}`);
  }
}

function getField(v, name) {
  if (v instanceof Map) return v.get(name);
  return Object.prototype.hasOwnProperty.call(v, name) ? v[name] : undefined;
}

function canonStruct(d, v, o = NOOPT) {
  let src = v;
  if (!(src instanceof Map) && src && typeof src === 'object' && !Array.isArray(src) &&
      src.entries && typeof src.entries === 'object' && !Array.isArray(src.entries) && typeof src.entries !== 'function') {
    src = src.entries; // DuckDB STRUCT
  }
  if (!src || typeof src !== 'object' || Array.isArray(src) || isBytes(src)) return new Bad(`not an object: ${short(v)}`);
  const out = new Map();
  for (const f of d.fields) out.set(f.name, canon(f.d, getField(src, f.name), o));
  // fields that the schema does not have (only an expected file can have them): never equal
  const names = new Set(d.fields.map((f) => f.name));
  const keys = src instanceof Map ? [...src.keys()] : Object.keys(src);
  for (const k of keys) {
    const x = getField(src, k);
    if (!names.has(k) && x !== null && x !== undefined) out.set(k, new Bad(`field not in the parquet schema: ${short(x)}`));
  }
  return out;
}

function keyString(c) {
  if (c instanceof Num) return c.t;
  if (typeof c === 'string') return c;
  if (typeof c === 'boolean') return String(c);
  if (c instanceof Bad) return '!' + c.msg;
  return serialize(c);
}

function canonMap(d, v, o) {
  const out = new CMap();
  const ko = { ...o, keyText: true };
  const put = (k, val, keyText = false) => {
    const kc = k === null || k === undefined ? new Bad('null map key') : canon(d.key, k, keyText ? ko : o);
    out.set(keyString(kc), d.value ? canon(d.value, val, o) : null);
  };
  let entries = null;
  if (Array.isArray(v)) entries = v;                                    // [{key,value}] or [[k,v]]
  else if (v && typeof v === 'object' && Array.isArray(v.entries)) entries = v.entries; // DuckDB MAP
  if (entries) {
    for (const en of entries) {
      if (!d.value && (en === null || typeof en !== 'object' || isBytes(en))) put(en, null); // key-only map as a list of keys
      else if (Array.isArray(en) && en.length === 2) put(en[0], en[1]);
      else if (en instanceof Map) put(en.get('key'), en.get('value'));
      else if (en && typeof en === 'object' && 'key' in en) put(en.key, en.value);
      else return new Bad(`bad map entry: ${short(en)}`);
    }
    return out;
  }
  // objects: keys are text (expected files, hyparquet)
  if (v instanceof Map) { for (const [k, x] of v) put(k, x, true); return out; }
  if (v && typeof v === 'object' && !isBytes(v)) { for (const k of Object.keys(v)) put(k, v[k], true); return out; }
  return new Bad(`not a map: ${short(v)}`);
}

// Canonical row (Map name -> value) from an array of top-level values in schema order.
export function canonRowArray(schema, arr, o = NOOPT) {
  const out = new Map();
  schema.fields.forEach((f, i) => out.set(f.name, canon(f.d, arr[i], o)));
  return out;
}

export function canonRowObject(schema, obj) {
  return canonStruct(schema.root, obj);
}

// ---------------------------------------------------------------------------------------------------
// Serialisation and comparison

export function serialize(c) {
  if (c === null || c === undefined) return 'null';
  if (typeof c === 'boolean') return c ? 'true' : 'false';
  if (typeof c === 'string') return JSON.stringify(c);
  if (c instanceof Num) return c.t;
  if (c instanceof Bad) return JSON.stringify('!' + c.msg);
  if (Array.isArray(c)) return '[' + c.map(serialize).join(',') + ']';
  if (c instanceof Map) {
    const parts = [];
    for (const [k, v] of c) parts.push(JSON.stringify(k) + ':' + serialize(v));
    return '{' + parts.join(',') + '}';
  }
  return JSON.stringify(String(c));
}

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Fast equality of two canonical values (the common case; diff() then builds paths only for mismatches).
export function equal(a, b) {
  if (a === b) return !(a instanceof Bad);
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (a instanceof Num) return b instanceof Num && a.t === b.t;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Map) {
    if (!(b instanceof Map) || (a instanceof CMap) !== (b instanceof CMap)) return false;
    if (a instanceof CMap && a.size !== b.size) return false;
    for (const [k, v] of a) {
      if (a instanceof CMap && !b.has(k)) return false;
      if (!equal(v, b.get(k))) return false;
    }
    for (const [k, v] of b) if (!a.has(k) && !equal(null, v)) return false;
    return true;
  }
  return false;
}

// Appends {path, exp, got} for each difference; returns the number found (stops adding after `limit`).
export function diff(a, b, path, out, limit) {
  let n = 0;
  const push = () => { if (out.length < limit) out.push({ path, exp: serialize(a), got: serialize(b) }); return 1; };
  if (a === null || a === undefined || b === null || b === undefined) {
    return ((a ?? null) === null && (b ?? null) === null) ? 0 : push();
  }
  if (a instanceof Bad || b instanceof Bad) return push();
  if (a instanceof Map && b instanceof Map) {
    const isMap = a instanceof CMap;
    if (isMap !== (b instanceof CMap)) return push();
    const keys = [...a.keys()];
    for (const k of b.keys()) if (!a.has(k)) keys.push(k);
    for (const k of keys) {
      const p = isMap ? `${path}{${JSON.stringify(k)}}` : IDENT_RE.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
      if (isMap && a.has(k) !== b.has(k)) {
        if (out.length < limit) out.push({ path: p, exp: a.has(k) ? serialize(a.get(k)) : '(no key)', got: b.has(k) ? serialize(b.get(k)) : '(no key)' });
        n++;
        continue;
      }
      n += diff(a.get(k), b.get(k), p, out, limit);
    }
    return n;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) {
      if (out.length < limit) out.push({ path, exp: `${a.length} elements ${short(serialize(a))}`, got: `${b.length} elements ${short(serialize(b))}` });
      return 1;
    }
    for (let i = 0; i < a.length; i++) n += diff(a[i], b[i], `${path}[${i}]`, out, limit);
    return n;
  }
  if (a instanceof Num && b instanceof Num) return a.t === b.t ? 0 : push();
  if (typeof a === typeof b && (typeof a === 'string' || typeof a === 'boolean')) return a === b ? 0 : push();
  return push();
}

// ---------------------------------------------------------------------------------------------------
// Expected NDJSON: async iterator of {line, obj} (blank lines skipped; a parse error is thrown with
// the line number).
export async function* expectedRows(path) {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (/^\s*$/.test(text)) continue;
    let obj;
    try { obj = parseJSONLossless(text); } catch (e) { throw new Error(`${path}:${line}: ${e.message}`); }
    if (!(obj instanceof Map)) throw new Error(`${path}:${line}: a row must be a JSON object`);
    yield { line, obj };
  }
}

// ---------------------------------------------------------------------------------------------------
// Comparison of one reader's rows with an expected file, in order, streaming both.
const MAX_SHOWN = 5;

export const errMsg = (e) => String(e && e.message ? e.message : e).split('\n')[0];

// compare.mjs's check of one reader. Returns null when everything matched, else a one-line description of what differed.
export async function checkReader(reader, schema, parquetPath, expectedPath) {
  const exp = expectedRows(expectedPath)[Symbol.asyncIterator]();
  const shown = [];
  let badRows = 0, badValues = 0, row = 0;
  let extraGot = 0;
  let expDone = false;
  try {
    for await (const batch of readRows(reader, parquetPath, schema)) {
      for (const got of batch) {
        if (!expDone) {
          const e = await exp.next();
          if (e.done) expDone = true;
          else {
            const want = canonRowObject(schema, e.value.obj);
            const list = [];
            const n = equal(want, got) ? 0 : diff(want, got, '$', list, MAX_SHOWN);
            if (n) {
              badRows++; badValues += n;
              for (const m of list) if (shown.length < MAX_SHOWN) shown.push(`row ${row} ${m.path}: expected ${m.exp} got ${m.got}`);
            }
          }
        }
        if (expDone) extraGot++;
        row++;
      }
    }
  } catch (e) {
    return `error after ${row} rows: ${errMsg(e)}`;
  }
  let extraExp = 0;
  try {
    if (!expDone) for (let e = await exp.next(); !e.done; e = await exp.next()) extraExp++;
  } catch (e) {
    return `error reading ${expectedPath}: ${errMsg(e)}`;
  }
  const parts = [];
  if (extraGot || extraExp) {
    const expRows = row - extraGot + extraExp;
    parts.push(`row count: expected ${expRows}, read ${row}`);
  }
  if (row !== schema.numRows) parts.push(`read ${row} rows but the footer says ${schema.numRows}`);
  if (badRows) parts.push(`${badValues} mismatching values in ${badRows} rows; ${shown.join('; ')}`);
  return parts.length ? parts.join('; ') : null;
}

// ---------------------------------------------------------------------------------------------------
// Readers: async generators yielding batches of canonical rows (Maps).

export const READERS = ['duckdb', 'arrow', 'hyparquet'];

export async function* readRows(reader, path, schema) {
  if (reader === 'duckdb') yield* duckdbRows(path, schema);
  else if (reader === 'arrow') yield* arrowRows(path, schema);
  else if (reader === 'hyparquet') yield* hyparquetRows(path, schema);
  else throw new Error(`unknown reader ${reader} (have ${READERS.join(', ')})`);
}

// One in-memory DuckDB per process (creating and closing one costs ~150 ms; the self-test reads many files).
let duckCon = null;
async function* duckdbRows(path, schema) {
  if (!duckCon) {
    duckCon = (async () => {
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const inst = await DuckDBInstance.create(':memory:', { threads: String(process.env.DUCKDB_THREADS || '1') });
      return inst.connect();
    })();
  }
  const con = await duckCon;
  {
    const res = await con.stream(`SELECT * FROM read_parquet('${path.replace(/'/g, "''")}')`);
    if (res.columnCount !== schema.fields.length) {
      throw new Error(`duckdb sees ${res.columnCount} columns, the parquet schema has ${schema.fields.length}`);
    }
    for (;;) {
      const chunk = await res.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      yield chunk.getRows().map((r) => canonRowArray(schema, r));
    }
  }
}

async function* hyparquetRows(path, schema) {
  const { parquetReadObjects } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  // hyparquet converts DECIMAL to lossy JS numbers: strip that annotation from a copy of the metadata so
  // that raw unscaled integers / big-endian bytes come back and are converted exactly here.
  const md = schema.metadata;
  const metadata = { ...md, schema: md.schema.map((e) => (e.converted_type === 'DECIMAL' ? { ...e, converted_type: undefined } : e)) };
  const parsers = {
    timestampFromMilliseconds: (v) => new TsVal(BigInt(v) * 1000000n),
    timestampFromMicroseconds: (v) => new TsVal(BigInt(v) * 1000n),
    timestampFromNanoseconds: (v) => new TsVal(BigInt(v)),
    dateFromDays: (v) => new DaysVal(Number(v)),
    jsonFromBytes: (b) => (b === undefined || b === null ? b : textDecoder.decode(b)),
  };
  let start = 0;
  for (const n of schema.rowGroups) {
    if (n > 0) {
      const rows = await parquetReadObjects({
        file: schema.file, metadata, compressors, parsers, utf8: false, rowStart: start, rowEnd: start + n,
      });
      yield rows.map((r) => canonRowArray(schema, schema.fields.map((f) => r[f.name]), { rawDec: true }));
    }
    start += n;
  }
}

let arrowMod = null;
async function* arrowRows(path, schema) {
  if (!arrowMod) {
    const pw = createRequire(import.meta.url)('parquet-wasm'); // node build: no wasm init needed
    const arrow = await import('apache-arrow');
    arrowMod = { pw, arrow };
  }
  const { pw, arrow } = arrowMod;
  const bytes = readFileSync(path);
  // One row group at a time keeps WASM memory bounded for big files.
  for (let g = 0; g < schema.rowGroups.length; g++) {
    if (schema.rowGroups[g] === 0) continue;
    const table = arrow.tableFromIPC(pw.readParquet(bytes, { rowGroups: [g] }).intoIPCStream());
    if (table.numCols !== schema.fields.length) {
      throw new Error(`arrow sees ${table.numCols} columns, the parquet schema has ${schema.fields.length}`);
    }
    const cols = [];
    for (let c = 0; c < table.numCols; c++) {
      const vals = [];
      for (const d of table.getChildAt(c).data) for (let i = 0; i < d.length; i++) vals.push(arrowVal(arrow, d, i));
      cols.push(vals);
    }
    const rows = new Array(table.numRows);
    for (let r = 0; r < table.numRows; r++) rows[r] = canonRowArray(schema, cols.map((col) => col[r]));
    yield rows;
  }
}

const vecCache = new WeakMap();
const ARROW_UNIT_NS = [1000000000n, 1000000n, 1000n, 1n]; // TimeUnit SECOND, MILLISECOND, MICROSECOND, NANOSECOND

// One value of an Arrow Data chunk at index i, as raw exact JS values (arrow-js buffers are relative to
// the chunk; only validity bitmaps use data.offset, which getValid handles).
function arrowVal(arrow, d, i) {
  if (!d.getValid(i)) return null;
  const T = arrow.Type;
  const t = d.type;
  switch (t.typeId) {
    case T.Timestamp: return new TsVal(BigInt(d.values[i]) * ARROW_UNIT_NS[t.unit]);
    case T.Date:
      return t.unit === 0 ? new DaysVal(d.values[i]) : new TsVal(BigInt(d.values[i]) * 1000000n);
    case T.Time: return new TimeVal(BigInt(d.values[i]) * ARROW_UNIT_NS[t.unit]);
    case T.Decimal: {
      const w = d.stride;
      let u = 0n;
      for (let k = w - 1; k >= 0; k--) u = (u << 32n) | BigInt(d.values[i * w + k]);
      if (d.values[i * w + w - 1] & 0x80000000) u -= 1n << BigInt(32 * w);
      return new DecVal(u, t.scale);
    }
    case T.List: case T.LargeList: {
      const b = Number(d.valueOffsets[i]), e = Number(d.valueOffsets[i + 1]);
      const child = d.children[0];
      const out = [];
      for (let k = b; k < e; k++) out.push(arrowVal(arrow, child, k));
      return out;
    }
    case T.FixedSizeList: {
      const child = d.children[0];
      const out = [];
      for (let k = i * t.listSize; k < (i + 1) * t.listSize; k++) out.push(arrowVal(arrow, child, k));
      return out;
    }
    case T.Struct: {
      const o = {};
      t.children.forEach((f, k) => { o[f.name] = arrowVal(arrow, d.children[k], i); });
      return o;
    }
    case T.Map: {
      const b = d.valueOffsets[i], e = d.valueOffsets[i + 1];
      const kv = d.children[0];
      const out = [];
      for (let k = b; k < e; k++) {
        out.push({ key: arrowVal(arrow, kv.children[0], k), value: kv.children[1] ? arrowVal(arrow, kv.children[1], k) : null });
      }
      return out;
    }
    default: {
      let vec = vecCache.get(d);
      if (!vec) { vec = arrow.makeVector(d); vecCache.set(d, vec); }
      const v = vec.get(i);
      if (t.typeId === T.Dictionary && v && typeof v === 'object' && !isBytes(v)) return v; // rare
      return v;
    }
  }
}
