// gen_test_events.mjs - deterministic test events for the ingest tests.
//   node gen_test_events.mjs --from ID --count N [--seed S] [--bad-every K] [--later-from ID]
//                            [--misfit-every M] [--format ndjson|csv] [--day-span D]
// Writes N events with ids from..from+N-1 to stdout (ids are the checksum of the tests):
//   {"id":..,"ts":"2024-03-0xT..Z","kind":"..","user":{"id":..,"name":..|null,"geo":{..}|null},
//    "tags":[..]|null,"amount":<double>|null[,"later":{"x":2*id}]}
// --later-from: events with id >= it carry the nested field "later" (a field that appears later).
// --misfit-every: every M-th event has "amount":"n/a" (a string for a DOUBLE column: rescued).
// --bad-every: after every K-th event one malformed line is inserted (truncated JSON, plain
//   text, invalid UTF-8, a bare array), cycling through kinds; they carry no id.
// CSV: header id,ts,kind,amount; malformed lines are records with too few fields.
// stderr gets a summary line: "events N sum S bad B misfit M later L".
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf('--' + name);
  return i >= 0 ? args[i + 1] : dflt;
};
const from = Number(opt('from', '1'));
const count = Number(opt('count', '100'));
let seed = BigInt(opt('seed', '1'));
const badEvery = Number(opt('bad-every', '0'));
const laterFrom = Number(opt('later-from', '0'));
const misfitEvery = Number(opt('misfit-every', '0'));
const format = opt('format', 'ndjson');
const daySpan = Number(opt('day-span', '3'));

// splitmix64: same stream on every machine
const next = () => {
  seed = (seed + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
  let z = seed;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  return z ^ (z >> 31n);
};
const below = (n) => Number(next() % BigInt(n));
const KINDS = ['view', 'click', 'buy', 'share'];
const NAMES = ['ann', 'bob', 'cy', 'dé', 'エリ', 'o"q', 'back\\slash', null];
const TAGS = ['a', 'b', 'c', 'd'];
const BAD = [
  (id) => Buffer.from(`{"id": ${id}, "ts": "2024-03-01T00:00:00Z", "kind": "vi`),
  () => Buffer.from('this line is not json at all'),
  () => Buffer.concat([Buffer.from('{"id": 1, "name": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
  () => Buffer.from('[1, 2, 3]'),
  () => Buffer.from('{"id": 5,, "x": 1}'),
];
const out = [];
let sum = 0n, bad = 0, misfit = 0, later = 0;
const t0 = Date.UTC(2024, 2, 1);
const span = daySpan * 86400 * 1000;
if (format === 'csv') out.push(Buffer.from('id,ts,kind,amount\n'));
for (let k = 0; k < count; k++) {
  const id = from + k;
  sum += BigInt(id);
  const ts = new Date(t0 + ((id * 7919) % span)).toISOString();
  const kind = KINDS[below(KINDS.length)];
  const isMisfit = misfitEvery > 0 && id % misfitEvery === 0;
  const amount = isMisfit ? 'n/a' : below(4) === 0 ? null : below(100000) / 100;
  if (isMisfit) misfit++;
  if (format === 'csv') {
    out.push(Buffer.from(`${id},${ts},${kind},${amount === null ? '' : amount}\n`));
  } else {
    const e = { id, ts, kind };
    const geo = below(5) === 0 ? null : { lat: below(18000) / 100 - 90, lon: below(36000) / 100 - 180 };
    e.user = below(10) === 0 ? null : { id: below(1000), name: NAMES[below(NAMES.length)], geo };
    const nt = below(4);
    e.tags = nt === 3 ? null : Array.from({ length: nt }, () => TAGS[below(TAGS.length)]);
    e.amount = amount;
    if (laterFrom > 0 && id >= laterFrom) {
      e.later = { x: 2 * id };
      later++;
    }
    out.push(Buffer.from(JSON.stringify(e) + '\n'));
  }
  if (badEvery > 0 && (k + 1) % badEvery === 0) {
    bad++;
    if (format === 'csv') out.push(Buffer.from(`broken-${id}\n`));
    else out.push(Buffer.concat([BAD[bad % BAD.length](id), Buffer.from('\n')]));
  }
}
process.stdout.write(Buffer.concat(out));
process.stderr.write(`events ${count} sum ${sum} bad ${bad} misfit ${misfit} later ${later}\n`);
