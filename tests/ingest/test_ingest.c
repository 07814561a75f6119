/*
 * test_ingest.c - unit tests of the ingest building blocks: partition
 * expressions and derived columns (Iceberg bucket vectors), durations, CSV
 * records, the manifest codec, the line reader (plain/gzip/zstd, truncation,
 * resume), the landing-folder watcher (listing and inotify), the explode /
 * flatten transforms and schema evolution from rescued paths.
 */
#include "ingest/ingest.h"
#include "test.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

static char g_tmp[256];

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        printf("FAIL cannot write %s\n", path);
        return;
    }
    fwrite(data, 1, n, f);
    fclose(f);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- partition expressions -------------------------------------------------------- */

static void test_part_parse(void)
{
    ls_error err = {0};
    ls_part_spec s;
    CHECK_OK(ls_part_spec_parse("day(ts) AS dt, kind, bucket(16, user_id), hours(ts), "
                                "month(`event time`) as m",
                                &s, &err),
             &err);
    CHECK(s.n == 5);
    if (s.n == 5) {
        CHECK(s.exprs[0].kind == LS_PX_DAY);
        CHECK_STR(s.exprs[0].source, "ts");
        CHECK_STR(s.exprs[0].name, "dt");
        CHECK(s.exprs[1].kind == LS_PX_IDENTITY);
        CHECK_STR(s.exprs[1].name, "kind");
        CHECK(s.exprs[2].kind == LS_PX_BUCKET && s.exprs[2].n_buckets == 16);
        CHECK_STR(s.exprs[2].name, "user_id_bucket");
        CHECK(s.exprs[3].kind == LS_PX_HOUR);
        CHECK_STR(s.exprs[3].name, "ts_hour");
        CHECK_STR(s.exprs[4].source, "event time");
        CHECK_STR(s.exprs[4].name, "m");
        char *t = ls_part_expr_text(&s.exprs[4]);
        CHECK_STR(t, "month(`event time`)");
        free(t);
        t = ls_part_expr_text(&s.exprs[2]);
        CHECK_STR(t, "bucket(16, user_id)");
        free(t);
    }
    ls_part_spec_free(&s);
    static const char *const bad[] = {
        "day(ts", "weekday(ts)", "bucket(0, id)", "bucket(4 id)", "kind AS other",
        "a, , b", "day(ts) AS a, hour(ts) AS a", "day(ts) junk", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ls_error e2 = {0};
        int rc = ls_part_spec_parse(bad[i], &s, &e2);
        if (bad[i][0] == 0) {
            CHECK(rc == LS_OK && s.n == 0);
        } else {
            CHECK_MSG(rc != LS_OK, "accepted '%s'", bad[i]);
            CHECK(e2.msg[0] != 0);
        }
        ls_part_spec_free(&s);
    }
}

static void test_murmur_bucket(void)
{
    /* Iceberg spec, "Appendix B: 32-bit Hash Requirements" */
    uint8_t b[8];
    ls_store_u64le(b, 34);
    CHECK(ls_murmur3_32(b, 8, 0) == 2017239379u);
    CHECK(ls_murmur3_32("iceberg", 7, 0) == 1210000089u);
    CHECK(ls_murmur3_32("", 0, 0) == 0u);
    /* bucket of an int is the bucket of the same long */
    CHECK(ls_bucket_i64(34, 16) == (int32_t)((2017239379u & 0x7fffffffu) % 16));
    for (int64_t v = -1000; v < 1000; v += 37) {
        int32_t x = ls_bucket_i64(v, 7);
        CHECK(x >= 0 && x < 7);
    }
}

static void test_derive(void)
{
    ls_error err = {0};
    ls_schema *s = NULL;
    CHECK_OK(ls_schema_parse_ddl("id BIGINT, ts TIMESTAMP, d DATE, name STRING, "
                                 "dt DATE, hr INT, mo INT, yr INT, b INT, bs INT",
                                 &s, &err),
             &err);
    if (!s)
        return;
    ls_part_spec spec;
    CHECK_OK(ls_part_spec_parse("day(ts) AS dt, hour(ts) AS hr, month(d) AS mo, year(ts) AS yr, "
                                "bucket(8, id) AS b, bucket(4, name) AS bs",
                                &spec, &err),
             &err);
    CHECK_OK(ls_part_spec_check(&spec, s, &err), &err);
    ls_derive_plan p;
    CHECK_OK(ls_derive_plan_build(&spec, s, &p, &err), &err);
    CHECK(p.n == 6);
    ls_batch *b = ls_batch_new(s);
    /* row 0: 1969-12-31T23:30:00Z (negative micros), row 1: nulls, row 2: 2024-02-29T13:05Z */
    int64_t ts0 = -30LL * 60 * 1000000, ts2 = 0;
    int32_t d2 = (int32_t)ls_days_from_civil(2024, 2, 29);
    ts2 = ((int64_t)d2 * 86400 + 13 * 3600 + 5 * 60) * 1000000;
    ls_leaf *L = b->leaves;
    ls_leaf_push_i64(&L[0], 0, 34);
    ls_leaf_push_i64(&L[1], 0, ts0);
    ls_leaf_push_i32(&L[2], 0, -1);
    ls_leaf_push_bytes(&L[3], 0, "iceberg", 7);
    ls_leaf_null(&L[0], 0, 0);
    ls_leaf_null(&L[1], 0, 0);
    ls_leaf_null(&L[2], 0, 0);
    ls_leaf_null(&L[3], 0, 0);
    ls_leaf_push_i64(&L[0], 0, -5);
    ls_leaf_push_i64(&L[1], 0, ts2);
    ls_leaf_push_i32(&L[2], 0, d2);
    ls_leaf_push_bytes(&L[3], 0, "", 0);
    for (int i = 4; i < 10; i++) /* the derived leaves hold garbage: must be rewritten */
        for (int r = 0; r < 3; r++)
            ls_leaf_push_i32(&L[i], 0, 777);
    b->n_rows = 3;
    ls_derive_apply(&p, b);
    CHECK_OK(ls_batch_validate(b, &err), &err);
    const int32_t *dt = L[4].values, *hr = L[5].values, *mo = L[6].values, *yr = L[7].values,
                  *bk = L[8].values, *bs = L[9].values;
    CHECK(L[4].n == 3 && L[4].n_values == 2);
    CHECK(dt[0] == -1 && dt[1] == d2);
    CHECK(hr[0] == 23 && hr[1] == 13);
    CHECK(mo[0] == 12 && mo[1] == 2);
    CHECK(yr[0] == 1969 && yr[1] == 2024);
    CHECK(bk[0] == ls_bucket_i64(34, 8) && bk[1] == ls_bucket_i64(-5, 8));
    CHECK(bs[0] == (int32_t)((1210000089u & 0x7fffffffu) % 4));
    CHECK(L[4].def[1] == 0 && L[8].def[1] == 0);
    ls_batch_free(b);
    /* a wrongly typed source is refused */
    ls_part_spec bad;
    CHECK_OK(ls_part_spec_parse("hour(d)", &bad, &err), &err);
    CHECK(ls_part_spec_check(&bad, s, &err) != LS_OK);
    ls_part_spec_free(&bad);
    CHECK_OK(ls_part_spec_parse("day(nope)", &bad, &err), &err);
    CHECK(ls_part_spec_check(&bad, s, &err) != LS_OK);
    ls_part_spec_free(&bad);
    ls_part_spec_free(&spec);
    ls_schema_free(s);
}

static void test_duration(void)
{
    ls_error err = {0};
    int64_t ms = 0;
    CHECK(ls_ing_parse_duration("1s", &ms, &err) == LS_OK && ms == 1000);
    CHECK(ls_ing_parse_duration("250ms", &ms, &err) == LS_OK && ms == 250);
    CHECK(ls_ing_parse_duration("1.5s", &ms, &err) == LS_OK && ms == 1500);
    CHECK(ls_ing_parse_duration("2m", &ms, &err) == LS_OK && ms == 120000);
    CHECK(ls_ing_parse_duration("3", &ms, &err) == LS_OK && ms == 3000);
    CHECK(ls_ing_parse_duration("1h", &ms, &err) == LS_OK && ms == 3600000);
    CHECK(ls_ing_parse_duration("-1s", &ms, &err) != LS_OK);
    CHECK(ls_ing_parse_duration("1 fortnight", &ms, &err) != LS_OK);
    CHECK(ls_ing_parse_duration("", &ms, &err) != LS_OK);
}


/* ---- manifest ---------------------------------------------------------------------------- */

static void test_manifest(void)
{
    ls_manifest m;
    ls_manifest_init(&m);
    m.source = ls_xstrdup("/landing");
    m.batch = 42;
    char name[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "day=2024-01-%02d/events-%05d.json", i % 28 + 1, i);
        ls_manifest_put(&m, name, (uint64_t)i * 10, 1700000000000 + i);
    }
    ls_manifest_put(&m, "\xc3\xa9t\xc3\xa9.json", 5, -1); /* shares a UTF-8 lead byte prefix */
    ls_manifest_put(&m, "\xc3\xa8.json", 6, 7);
    CHECK(m.n_files == 1002);
    CHECK(ls_manifest_remove(&m, "day=2024-01-01/events-00000.json"));
    CHECK(!ls_manifest_remove(&m, "day=2024-01-01/events-00000.json"));
    CHECK(m.n_files == 1001);
    ls_manifest_set_partial(&m, "big.json.gz", 123, 456, 789, 10);
    m.stream_offset = 99;
    m.stream_lines = 3;
    m.input_schema = ls_xstrdup("a STRUCT<b: INT>");
    ls_buf b = {0};
    ls_manifest_encode(&m, &b);
    CHECK(b.len < 1001 * 40); /* front coding keeps it compact */
    ls_manifest d;
    ls_error err = {0};
    CHECK_OK(ls_manifest_decode(ls_buf_cstr(&b), &d, &err), &err);
    CHECK(d.n_files == 1001 && d.batch == 42);
    CHECK_STR(d.source, "/landing");
    for (int i = 1; i < 1000; i++) {
        snprintf(name, sizeof name, "day=2024-01-%02d/events-%05d.json", i % 28 + 1, i);
        const ls_mf_file *f = ls_manifest_find(&d, name);
        CHECK_MSG(f && f->size == (uint64_t)i * 10 && f->mtime_ms == 1700000000000 + i, "%s", name);
    }
    CHECK(ls_manifest_find(&d, "\xc3\xa9t\xc3\xa9.json") != NULL);
    CHECK(ls_manifest_find(&d, "\xc3\xa8.json") != NULL);
    CHECK(!ls_manifest_find(&d, "day=2024-01-01/events-00000.json"));
    CHECK(d.has_partial && d.partial_offset == 789 && d.partial_line == 10);
    CHECK_STR(d.partial.name, "big.json.gz");
    CHECK(d.stream_offset == 99 && d.stream_lines == 3);
    CHECK_STR(d.input_schema, "a STRUCT<b: INT>");
    /* encoding is deterministic */
    ls_buf b2 = {0};
    ls_manifest_encode(&d, &b2);
    CHECK(b.len == b2.len && !memcmp(b.data, b2.data, b.len));
    ls_manifest_free(&d);
    /* hostile input */
    static const char *const bad[] = {
        "", "[]", "{\"v\":2,\"batch\":0,\"files\":[]}", "{\"v\":1,\"batch\":-1,\"files\":[]}",
        "{\"v\":1,\"batch\":0}", "{\"v\":1,\"batch\":0,\"files\":[[5,\"x\",1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"\",1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"x\",-1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[],\"partial\":[\"x\",1,2,3]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"a\\u0000b\",1,1]]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ls_error e2 = {0};
        CHECK_MSG(ls_manifest_decode(bad[i], &d, &e2) != LS_OK, "accepted %s", bad[i]);
        ls_manifest_free(&d);
    }
    ls_buf_free(&b);
    ls_buf_free(&b2);
    ls_manifest_free(&m);
}

/* Encodes m, decodes it and checks that every field came back (and that re-encoding
 * gives the same text). */
static void manifest_roundtrip(const ls_manifest *m, ls_manifest *d)
{
    ls_buf b = {0}, b2 = {0};
    ls_error err = {0};
    ls_manifest_encode(m, &b);
    int rc = ls_manifest_decode(ls_buf_cstr(&b), d, &err);
    CHECK_MSG(rc == LS_OK, "%s: %s", ls_buf_cstr(&b), err.msg);
    CHECK_STR(d->source, m->source ? m->source : "");
    CHECK(d->batch == m->batch && d->n_files == m->n_files);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].name)
            continue;
        const ls_mf_file *f = ls_manifest_find(d, m->slots[i].name);
        CHECK_MSG(f && f->size == m->slots[i].size && f->mtime_ms == m->slots[i].mtime_ms, "%s",
                  m->slots[i].name);
    }
    CHECK(d->has_partial == m->has_partial);
    if (m->has_partial && d->has_partial) {
        CHECK_STR(d->partial.name, m->partial.name);
        CHECK(d->partial.size == m->partial.size && d->partial.mtime_ms == m->partial.mtime_ms);
        CHECK(d->partial_offset == m->partial_offset && d->partial_line == m->partial_line);
    }
    CHECK(d->stream_offset == m->stream_offset && d->stream_lines == m->stream_lines);
    CHECK(d->seg_no == m->seg_no && d->seg_offset == m->seg_offset &&
          d->seg_lines == m->seg_lines);
    CHECK(d->head_len == m->head_len && !memcmp(d->head, m->head, m->head_len));
    CHECK(d->n_fp == m->n_fp);
    for (int i = 0; i < m->n_fp && i < d->n_fp; i++)
        CHECK(d->fp_len[i] == m->fp_len[i] && d->fp[i] == m->fp[i]);
    CHECK((!d->input_schema && !m->input_schema) ||
          (d->input_schema && m->input_schema && !strcmp(d->input_schema, m->input_schema)));
    ls_manifest_encode(d, &b2);
    CHECK_MSG(b.len == b2.len && !memcmp(b.data, b2.data, b.len), "%s vs %s", ls_buf_cstr(&b),
              ls_buf_cstr(&b2));
    ls_buf_free(&b);
    ls_buf_free(&b2);
}

/* Every field of the manifest, including the stdin stream segment and its head and
 * fingerprints at each committed length, survives encode + decode. */
static void test_manifest_fields(void)
{
    ls_manifest m, d;
    /* empty: no partial, stream or segment keys at all */
    ls_manifest_init(&m);
    ls_buf b = {0};
    ls_manifest_encode(&m, &b);
    CHECK_STR(ls_buf_cstr(&b), "{\"v\":1,\"source\":\"\",\"batch\":0,\"files\":[]}");
    ls_buf_free(&b);
    manifest_roundtrip(&m, &d);
    ls_manifest_free(&d);
    /* files done and a partial file, with extreme but valid numbers and awkward names */
    m.source = ls_xstrdup("/in \"q\" \\ \xe2\x82\xac\n");
    m.batch = INT64_MAX;
    ls_manifest_put(&m, "a", 0, INT64_MIN);
    ls_manifest_put(&m, "ab", (uint64_t)INT64_MAX, INT64_MAX);
    ls_manifest_put(&m, "a\"b\\c\td", 1, -1);
    ls_manifest_put(&m, "\xe2\x82\xac/x.json", 2, 0);
    ls_manifest_put(&m, "\xe2\x82\xac/y.json", 3, 0);
    ls_manifest_put(&m, "\xe2\x82\xad.json", 4, 0); /* shares 2 bytes of a 3-byte sequence */
    ls_manifest_set_partial(&m, "big \"x\".json.gz", (uint64_t)INT64_MAX, -5,
                            (uint64_t)INT64_MAX, 7);
    m.input_schema = ls_xstrdup("");
    manifest_roundtrip(&m, &d);
    ls_manifest_free(&d);
    /* a partial file replaced by another one; then none */
    ls_manifest_set_partial(&m, "other.csv", 10, 11, 0, 0);
    manifest_roundtrip(&m, &d);
    CHECK_STR(d.partial.name, "other.csv");
    ls_manifest_free(&d);
    ls_manifest_clear_partial(&m);
    manifest_roundtrip(&m, &d);
    ls_manifest_free(&d);
    /* stdin: the segment's head and fingerprints at each committed length */
    char data[6000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 131 + (i >> 7));
    static const struct {
        uint64_t seg_bytes;
        size_t head_len;
        int n_fp;
        uint64_t fp_len[2];
    } cases[] = {
        {1, 1, 0, {0, 0}},       {127, 127, 0, {0, 0}},       {128, 128, 0, {0, 0}},
        {129, 128, 1, {129, 0}}, {1024, 128, 1, {1024, 0}},   {1025, 128, 2, {1024, 1025}},
        {4096, 128, 2, {1024, 4096}}, {5000, 128, 2, {1024, 4096}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        m.stream_offset = 100000 + cases[c].seg_bytes;
        m.stream_lines = 900 + c;
        m.seg_no = c + 1;
        m.seg_offset = 100000;
        m.seg_lines = 900;
        m.head_len = 0;
        m.n_fp = 0;
        /* too few bytes at hand (of the committed ones, up to the longest fingerprint):
         * nothing is recorded */
        uint64_t need = cases[c].seg_bytes < LS_ING_PREFIX_MAX ? cases[c].seg_bytes
                                                                : LS_ING_PREFIX_MAX;
        ls_manifest_set_fingerprints(&m, data, (size_t)need - 1);
        CHECK_MSG(m.head_len == 0 && m.n_fp == 0, "case %zu: head %zu fps %d", c, m.head_len,
                  m.n_fp);
        ls_manifest_set_fingerprints(&m, data, sizeof data);
        CHECK_MSG(m.head_len == cases[c].head_len && m.n_fp == cases[c].n_fp,
                  "case %zu: head %zu fps %d", c, m.head_len, m.n_fp);
        CHECK(!memcmp(m.head, data, m.head_len));
        for (int i = 0; i < m.n_fp && i < 2; i++)
            CHECK_MSG(m.fp_len[i] == cases[c].fp_len[i] &&
                          m.fp[i] == ls_hash64(data, (size_t)m.fp_len[i], LS_STREAM_FP_SEED),
                      "case %zu fp %d", c, i);
        manifest_roundtrip(&m, &d);
        ls_manifest_free(&d);
        /* up to date: other bytes do not overwrite the recorded ones */
        uint8_t head0 = m.head[0];
        char other[6000];
        memset(other, 'z', sizeof other);
        ls_manifest_set_fingerprints(&m, other, sizeof other);
        CHECK(m.head[0] == head0);
    }
    /* a segment number with nothing committed yet (written so a restart keeps it) */
    m.stream_offset = m.stream_lines = m.seg_offset = m.seg_lines = 0;
    m.head_len = 0;
    m.n_fp = 0;
    m.seg_no = 5;
    ls_manifest_set_fingerprints(&m, data, sizeof data);
    CHECK(m.head_len == 0 && m.n_fp == 0);
    manifest_roundtrip(&m, &d);
    ls_manifest_free(&d);
    /* totals without head (tables of an earlier lakestream) */
    m.seg_no = 0;
    m.stream_offset = 77;
    m.stream_lines = 7;
    manifest_roundtrip(&m, &d);
    ls_manifest_free(&d);
    ls_manifest_free(&m);
    /* written by hand: keys in any order, segment before stream, unknown keys ignored */
    ls_error err = {0};
    const char *j = "{\"segment\":[2,10,1,\"6162\",[]],\"files\":[],\"x\":[1,{}],\"batch\":3,"
                    "\"stream\":[20,2],\"v\":1}";
    CHECK_OK(ls_manifest_decode(j, &d, &err), &err);
    CHECK(d.seg_no == 2 && d.seg_offset == 10 && d.seg_lines == 1 && d.head_len == 2 &&
          !memcmp(d.head, "ab", 2) && d.stream_offset == 20 && d.stream_lines == 2);
    CHECK_STR(d.source, "");
    ls_manifest_free(&d);
}

/* Malformed manifests (the log is input) fail with a message and leave an empty,
 * usable manifest; none crashes (run under ASan/UBSan too). */
static void test_manifest_malformed(void)
{
#define MF_HEAD "{\"v\":1,\"batch\":0,\"files\":[]"
#define MF_SEG(st, seg) MF_HEAD ",\"stream\":" st ",\"segment\":" seg "}"
    static const char *const bad[] = {
        /* truncated / not JSON / not an object */
        "", " ", "{", "{\"v\":1,", "{\"v\":1,\"batch\":0,\"files\":[", MF_HEAD,
        MF_HEAD ",\"stream\":[1,", MF_HEAD "}}", "null", "1", "\"v\"", "[{\"v\":1}]",
        "{\"v\":1,\"batch\":0,\"files\":[]} x",
        /* version: missing, unknown, wrong type */
        "{\"batch\":0,\"files\":[]}", "{\"v\":2,\"batch\":0,\"files\":[]}",
        "{\"v\":0,\"batch\":0,\"files\":[]}", "{\"v\":-1,\"batch\":0,\"files\":[]}",
        "{\"v\":\"1\",\"batch\":0,\"files\":[]}", "{\"v\":null,\"batch\":0,\"files\":[]}",
        "{\"v\":1.5,\"batch\":0,\"files\":[]}", "{\"v\":[1],\"batch\":0,\"files\":[]}",
        /* batch */
        "{\"v\":1,\"files\":[]}", "{\"v\":1,\"batch\":\"0\",\"files\":[]}",
        "{\"v\":1,\"batch\":-1,\"files\":[]}", "{\"v\":1,\"batch\":0.5,\"files\":[]}",
        "{\"v\":1,\"batch\":9223372036854775808,\"files\":[]}",
        "{\"v\":1,\"batch\":99999999999999999999999,\"files\":[]}",
        "{\"v\":1,\"batch\":1e300,\"files\":[]}", "{\"v\":1,\"batch\":1e99999,\"files\":[]}",
        "{\"v\":1,\"batch\":true,\"files\":[]}",
        /* source / input_schema of a wrong type */
        "{\"v\":1,\"source\":5,\"batch\":0,\"files\":[]}",
        "{\"v\":1,\"source\":null,\"batch\":0,\"files\":[]}",
        MF_HEAD ",\"input_schema\":[\"a INT\"]}", MF_HEAD ",\"input_schema\":false}",
        /* files */
        "{\"v\":1,\"batch\":0}", "{\"v\":1,\"batch\":0,\"files\":{}}",
        "{\"v\":1,\"batch\":0,\"files\":\"a\"}", "{\"v\":1,\"batch\":0,\"files\":[1]}",
        "{\"v\":1,\"batch\":0,\"files\":[[]]}", "{\"v\":1,\"batch\":0,\"files\":[[0,\"x\",1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"x\",1,1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[\"0\",\"x\",1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,5,1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"x\",\"1\",1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"x\",1,\"1\"]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"x\",1,1.5]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[-1,\"x\",1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[5,\"x\",1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"ab\",1,1],[3,\"x\",1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[18446744073709551615,\"x\",1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"\",1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"x\",-1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"x\",9223372036854775808,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"x\",1,9223372036854775808]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"a\\u0000b\",1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"ab\",1,1],[1,\"\\u0000\",1,1]]}",
        "{\"v\":1,\"batch\":0,\"files\":[[0,\"x\\ud800\",1,1]]}",
        /* partial */
        MF_HEAD ",\"partial\":\"x\"}", MF_HEAD ",\"partial\":[]}",
        MF_HEAD ",\"partial\":[\"x\",1,2,3]}", MF_HEAD ",\"partial\":[\"x\",1,2,3,4,5]}",
        MF_HEAD ",\"partial\":[\"\",1,2,3,4]}", MF_HEAD ",\"partial\":[5,1,2,3,4]}",
        MF_HEAD ",\"partial\":[\"x\\u0000y\",1,2,3,4]}",
        MF_HEAD ",\"partial\":[\"x\",-1,2,3,4]}", MF_HEAD ",\"partial\":[\"x\",1,\"2\",3,4]}",
        MF_HEAD ",\"partial\":[\"x\",1,2,-3,4]}", MF_HEAD ",\"partial\":[\"x\",1,2,3,-4]}",
        MF_HEAD ",\"partial\":[\"x\",1,2,3,1e40]}",
        MF_HEAD ",\"partial\":[\"x\",1,2,18446744073709551616,4]}", MF_HEAD ",\"partial\":null}",
        /* stream totals */
        MF_HEAD ",\"stream\":[1]}", MF_HEAD ",\"stream\":[1,2,3]}", MF_HEAD ",\"stream\":\"1,2\"}",
        MF_HEAD ",\"stream\":{\"0\":1,\"1\":2}}", MF_HEAD ",\"stream\":[-1,0]}",
        MF_HEAD ",\"stream\":[1,-2]}", MF_HEAD ",\"stream\":[9223372036854775808,1]}",
        MF_HEAD ",\"stream\":[1,\"2\"]}", MF_HEAD ",\"stream\":[1.25,2]}",
        /* segment: shape and types */
        MF_SEG("[10,2]", "[]"), MF_SEG("[10,2]", "[0,0,0,\"\"]"), MF_SEG("[10,2]", "\"x\""),
        MF_SEG("[10,2]", "[0,0,0,\"\",[],1]"), MF_SEG("[10,2]", "[0,0,0,\"\",{}]"),
        MF_SEG("[10,2]", "[0,0,0,5,[]]"), MF_SEG("[10,2]", "[0,0,0,null,[]]"),
        MF_SEG("[10,2]", "[\"0\",0,0,\"\",[]]"), MF_SEG("[10,2]", "[-1,0,0,\"\",[]]"),
        MF_SEG("[10,2]", "[0,-1,0,\"\",[]]"), MF_SEG("[10,2]", "[0,0,-1,\"\",[]]"),
        MF_SEG("[10,2]", "[9223372036854775808,0,0,\"\",[]]"),
        /* segment start beyond the totals (or totals missing) */
        MF_SEG("[10,2]", "[1,11,0,\"\",[]]"), MF_SEG("[10,2]", "[1,0,3,\"\",[]]"),
        MF_SEG("[10,2]", "[1,9223372036854775807,0,\"\",[]]"),
        MF_HEAD ",\"segment\":[1,1,0,\"\",[]]}", MF_HEAD ",\"segment\":[1,0,1,\"\",[]]}",
        /* head: bad hex, odd length, longer than the segment or than its limit */
        MF_SEG("[10,2]", "[0,0,0,\"zz\",[]]"), MF_SEG("[10,2]", "[0,0,0,\"0g\",[]]"),
        MF_SEG("[10,2]", "[0,0,0,\"AB\",[]]"), MF_SEG("[10,2]", "[0,0,0,\"abc\",[]]"),
        MF_SEG("[10,2]", "[0,0,0,\" ab\",[]]"), MF_SEG("[10,2]", "[0,0,0,\"-1\",[]]"),
        MF_SEG("[10,2]", "[0,0,0,\"0x\",[]]"), MF_SEG("[10,2]", "[0,0,0,\"ab\\u0000c\",[]]"),
        MF_SEG("[10,2]", "[0,0,0,\"ab\\u0000\",[]]"),
        MF_SEG("[2,2]", "[0,0,0,\"616263\",[]]"), MF_SEG("[12,2]", "[0,10,0,\"616263\",[]]"),
        /* fingerprints */
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[1024]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[1024]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[1024,\"0123456789abcdef\",1]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[1024,81985529216486895]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[\"1024\",\"0123456789abcdef\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[1024,\"0123456789abcde\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[1024,\"0123456789abcdef0\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[1024,\"0123456789abcdeg\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[1024,\"0123456789ABCDEF\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[1024,\"-123456789abcdef\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[1024,\"0123456789abcde\\u0000\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[0,\"0123456789abcdef\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[1,\"0123456789abcdef\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[-1024,\"0123456789abcdef\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[4097,\"0123456789abcdef\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[9223372036854775807,\"0123456789abcdef\"]]]"),
        MF_SEG("[1000,2]", "[0,0,0,\"61\",[[1001,\"0123456789abcdef\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[4096,\"0123456789abcdef\"],"
                           "[1024,\"0123456789abcdef\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[1024,\"0123456789abcdef\"],"
                           "[1024,\"0123456789abcdef\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[1024,\"0123456789abcdef\"],[2048,\"0123456789abcdef\"],"
                           "[4096,\"0123456789abcdef\"]]]"),
        MF_SEG("[5000,2]", "[0,0,0,\"61\",[[1024,\"0123456789abcdef\"],null]]"),
    };
#undef MF_SEG
#undef MF_HEAD
    ls_manifest d;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ls_error err = {0};
        int rc = ls_manifest_decode(bad[i], &d, &err);
        CHECK_MSG(rc != LS_OK, "accepted %s", bad[i]);
        CHECK_MSG(rc == LS_OK || (err.msg[0] && strstr(err.msg, "manifest")),
                  "no message for %s: '%s'", bad[i], err.msg);
        /* a failed decode leaves an empty manifest that can be used and freed */
        CHECK(d.n_files == 0 && !d.has_partial && d.stream_offset == 0 && d.head_len == 0 &&
              d.n_fp == 0 && !ls_manifest_find(&d, "x"));
        ls_manifest_free(&d);
    }
    /* a valid manifest with everything in it: each of its prefixes is truncated JSON and
     * fails; each single-byte corruption decodes or fails without crashing */
    ls_manifest m;
    ls_manifest_init(&m);
    m.source = ls_xstrdup("-");
    m.batch = 9;
    ls_manifest_put(&m, "a/b.json", 3, 4);
    ls_manifest_put(&m, "a/c.json", 5, 6);
    ls_manifest_set_partial(&m, "d.json", 7, 8, 9, 1);
    m.stream_offset = 1500;
    m.stream_lines = 30;
    m.seg_no = 1;
    m.seg_offset = 200;
    m.seg_lines = 4;
    char data[1300];
    memset(data, 'q', sizeof data);
    ls_manifest_set_fingerprints(&m, data, sizeof data);
    CHECK(m.head_len == 128 && m.n_fp == 2);
    m.input_schema = ls_xstrdup("a INT");
    ls_buf b = {0};
    ls_manifest_encode(&m, &b);
    ls_error err = {0};
    CHECK_OK(ls_manifest_decode(ls_buf_cstr(&b), &d, &err), &err);
    ls_manifest_free(&d);
    char *t = ls_xmalloc(b.len + 1);
    size_t accepted = 0;
    for (size_t n = 0; n < b.len; n++) {
        memcpy(t, b.data, n);
        t[n] = 0;
        CHECK_MSG(ls_manifest_decode(t, &d, &err) != LS_OK, "accepted prefix %s", t);
        ls_manifest_free(&d);
    }
    static const char subst[] = {'0', '9', '-', '"', ',', ']', '[', '{', 'f', 'x', ' ', '\\'};
    for (size_t n = 0; n < b.len; n++) {
        for (size_t k = 0; k < sizeof subst; k++) {
            memcpy(t, b.data, b.len);
            t[b.len] = 0;
            t[n] = subst[k];
            if (ls_manifest_decode(t, &d, &err) == LS_OK) {
                accepted++;
                /* whatever was accepted keeps the invariants the restart relies on */
                CHECK_MSG(d.seg_offset <= d.stream_offset && d.seg_lines <= d.stream_lines &&
                              d.head_len <= LS_STREAM_HEAD &&
                              d.head_len <= d.stream_offset - d.seg_offset &&
                              d.n_fp >= 0 && d.n_fp <= LS_STREAM_FP_LEVELS,
                          "%s", t);
                for (int i = 0; i < d.n_fp; i++)
                    CHECK_MSG(d.fp_len[i] > d.head_len && d.fp_len[i] <= LS_ING_PREFIX_MAX &&
                                  d.fp_len[i] <= d.stream_offset - d.seg_offset &&
                                  (i == 0 || d.fp_len[i] > d.fp_len[i - 1]),
                              "%s", t);
            }
            ls_manifest_free(&d);
        }
    }
    CHECK(accepted > 0); /* (digit changes in sizes are valid) */
    free(t);
    ls_buf_free(&b);
    ls_manifest_free(&m);
}

/* ---- reader ----------------------------------------------------------------------------- */

static void read_all(const char *path, ls_ing_codec c, ls_buf *out, int *rc_out, uint64_t skip)
{
    ls_ing_reader *r = NULL;
    ls_error err = {0};
    uint64_t size;
    int64_t mt;
    int rc = ls_ing_reader_open(path, c, &r, &size, &mt, &err);
    if (rc == LS_OK && skip)
        rc = ls_ing_reader_skip(r, skip, &err);
    while (rc == LS_OK) {
        const char *p;
        size_t n;
        ls_ing_reader_data(r, &p, &n);
        ls_buf_append(out, p, n);
        ls_ing_reader_consume(r, n);
        if (ls_ing_reader_eof(r))
            break;
        rc = ls_ing_reader_fill(r, -1, &err);
    }
    ls_ing_reader_free(r);
    *rc_out = rc;
}

static void test_reader(void)
{
    /* 6 MB of lines: more than one fill */
    ls_buf plain = {0};
    for (int i = 0; i < 200000; i++)
        ls_buf_printf(&plain, "{\"i\":%d,\"pad\":\"%08d\"}\n", i, i);
    char p1[300], p2[300], p3[300], p4[300];
    snprintf(p1, sizeof p1, "%s/r.json", g_tmp);
    snprintf(p2, sizeof p2, "%s/r.json.gz", g_tmp);
    snprintf(p3, sizeof p3, "%s/r.json.zst", g_tmp);
    snprintf(p4, sizeof p4, "%s/trunc.json.gz", g_tmp);
    write_file(p1, plain.data, plain.len);
    /* gzip as two concatenated members */
    gzFile g = gzopen(p2, "wb");
    gzwrite(g, plain.data, (unsigned)(plain.len / 2));
    gzclose(g);
    g = gzopen(p2, "ab");
    gzwrite(g, plain.data + plain.len / 2, (unsigned)(plain.len - plain.len / 2));
    gzclose(g);
    size_t zb = ZSTD_compressBound(plain.len);
    uint8_t *z = malloc(zb);
    size_t zn = ZSTD_compress(z, zb, plain.data, plain.len, 1);
    write_file(p3, z, zn);
    CHECK(ls_ing_codec_of(p2) == LS_ING_GZIP && ls_ing_codec_of(p3) == LS_ING_ZSTD &&
          ls_ing_codec_of(p1) == LS_ING_PLAIN);
    CHECK(ls_ing_format_of("x.csv.gz", LS_ING_AUTO) == LS_ING_CSV);
    CHECK(ls_ing_format_of("x.json.zst", LS_ING_AUTO) == LS_ING_NDJSON);
    CHECK(ls_ing_format_of("x.csv", LS_ING_NDJSON) == LS_ING_NDJSON);
    const char *paths[3] = {p1, p2, p3};
    ls_ing_codec codecs[3] = {LS_ING_PLAIN, LS_ING_GZIP, LS_ING_ZSTD};
    for (int k = 0; k < 3; k++) {
        ls_buf got = {0};
        int rc;
        read_all(paths[k], codecs[k], &got, &rc, 0);
        CHECK_MSG(rc == LS_OK && got.len == plain.len && !memcmp(got.data, plain.data, plain.len),
                  "codec %d: rc %d, %zu of %zu bytes", k, rc, got.len, plain.len);
        got.len = 0;
        read_all(paths[k], codecs[k], &got, &rc, 4000001);
        CHECK_MSG(rc == LS_OK && got.len == plain.len - 4000001 &&
                      !memcmp(got.data, plain.data + 4000001, got.len),
                  "resume codec %d", k);
        ls_buf_free(&got);
    }
    /* a truncated gzip stream is an error, not a short file */
    write_file(p4, z, 0);
    FILE *f = fopen(p2, "rb");
    uint8_t *gzdata = malloc(plain.len);
    size_t gn = fread(gzdata, 1, plain.len, f);
    fclose(f);
    write_file(p4, gzdata, gn / 3);
    ls_buf got = {0};
    int rc;
    read_all(p4, LS_ING_GZIP, &got, &rc, 0);
    CHECK(rc == LS_ERR_CORRUPT);
    /* corrupt zstd */
    z[zn / 2] ^= 0xff;
    z[zn / 2 + 1] ^= 0xff;
    write_file(p4, z, zn);
    got.len = 0;
    read_all(p4, LS_ING_ZSTD, &got, &rc, 0);
    CHECK(rc != LS_OK || got.len != plain.len);
    write_file(p4, z, zn / 2);
    got.len = 0;
    read_all(p4, LS_ING_ZSTD, &got, &rc, 0);
    CHECK(rc == LS_ERR_CORRUPT);
    /* garbage that is not gzip */
    write_file(p4, "hello world\n", 12);
    got.len = 0;
    read_all(p4, LS_ING_GZIP, &got, &rc, 0);
    CHECK(rc == LS_ERR_CORRUPT);
    /* a file that grows after open: only the bytes present at open are read */
    ls_ing_reader *r = NULL;
    ls_error err = {0};
    uint64_t size;
    int64_t mt;
    write_file(p4, "line1\n", 6);
    CHECK_OK(ls_ing_reader_open(p4, LS_ING_PLAIN, &r, &size, &mt, &err), &err);
    CHECK(size == 6);
    f = fopen(p4, "ab");
    fputs("line2\n", f);
    fclose(f);
    got.len = 0;
    while (r) {
        CHECK_OK(ls_ing_reader_fill(r, -1, &err), &err);
        const char *p;
        size_t n;
        ls_ing_reader_data(r, &p, &n);
        ls_buf_append(&got, p, n);
        ls_ing_reader_consume(r, n);
        if (ls_ing_reader_eof(r))
            break;
    }
    ls_ing_reader_free(r);
    CHECK(got.len == 6);
    CHECK(ls_ing_reader_open("/nonexistent/x", LS_ING_PLAIN, &r, NULL, NULL, &err) ==
          LS_ERR_NOTFOUND);
    ls_buf_free(&got);
    free(gzdata);
    free(z);
    ls_buf_free(&plain);
}

/* ---- folder ------------------------------------------------------------------------------ */

static bool obs_has(const ls_obs_list *l, const char *name, ls_obs_kind k)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->items[i].name, name) && l->items[i].kind == k)
            return true;
    return false;
}

static void folder_case(bool listing)
{
    char dir[300], p[400];
    snprintf(dir, sizeof dir, "%s/land%d", g_tmp, listing);
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/old.json", dir);
    write_file(p, "{}\n", 3);
    snprintf(p, sizeof p, "%s/.hidden.json", dir);
    write_file(p, "{}\n", 3);
    snprintf(p, sizeof p, "%s/_temp.json", dir);
    write_file(p, "{}\n", 3);
    ls_folder *f = NULL;
    ls_error err = {0};
    CHECK_OK(ls_folder_open(dir, listing, 150, &f, &err), &err);
    if (!f)
        return;
    CHECK(ls_folder_uses_inotify(f) == !listing);
    ls_obs_list obs = {0};
    /* a file written "just now" is held back until it settles (listing) */
    CHECK_OK(ls_folder_poll(f, &obs, &err), &err);
    bool got_old = obs_has(&obs, "old.json", LS_OBS_READY);
    for (int i = 0; i < 20 && !got_old; i++) {
        sleep_ms(50);
        CHECK_OK(ls_folder_poll(f, &obs, &err), &err);
        got_old = obs_has(&obs, "old.json", LS_OBS_READY);
    }
    CHECK(got_old);
    CHECK(!obs_has(&obs, ".hidden.json", LS_OBS_READY) && !obs_has(&obs, "_temp.json", LS_OBS_READY));
    ls_obs_list_clear(&obs);
    /* a new file renamed in, and one in a new subdirectory */
    char tmp[400];
    snprintf(tmp, sizeof tmp, "%s/.new.tmp", dir);
    write_file(tmp, "{\"a\":1}\n", 8);
    snprintf(p, sizeof p, "%s/new.json", dir);
    rename(tmp, p);
    snprintf(p, sizeof p, "%s/sub", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/sub/deep.json", dir);
    write_file(p, "{\"a\":2}\n", 8);
    bool a = false, b = false;
    for (int i = 0; i < 40 && !(a && b); i++) {
        sleep_ms(50);
        CHECK_OK(ls_folder_poll(f, &obs, &err), &err);
        a |= obs_has(&obs, "new.json", LS_OBS_READY);
        b |= obs_has(&obs, "sub/deep.json", LS_OBS_READY);
    }
    CHECK_MSG(a && b, "new.json %d, sub/deep.json %d (listing %d)", a, b, listing);
    ls_obs_list_clear(&obs);
    /* nothing new: nothing reported */
    sleep_ms(200);
    CHECK_OK(ls_folder_poll(f, &obs, &err), &err);
    CHECK_MSG(obs.n == 0, "%zu observations when idle", obs.n);
    ls_obs_list_clear(&obs);
    /* a known file rewritten: reported again (inotify only; listing never re-examines) */
    snprintf(p, sizeof p, "%s/old.json", dir);
    write_file(p, "{}\n{}\n", 6);
    bool again = false;
    for (int i = 0; i < 10 && !again; i++) {
        sleep_ms(50);
        CHECK_OK(ls_folder_poll(f, &obs, &err), &err);
        for (size_t k = 0; k < obs.n; k++)
            again |= !strcmp(obs.items[k].name, "old.json") && obs.items[k].size == 6;
    }
    CHECK(again == !listing);
    ls_obs_list_clear(&obs);
    /* deletion */
    snprintf(p, sizeof p, "%s/new.json", dir);
    unlink(p);
    bool del = false;
    for (int i = 0; i < 10 && !del; i++) {
        sleep_ms(50);
        CHECK_OK(ls_folder_poll(f, &obs, &err), &err);
        del |= obs_has(&obs, "new.json", LS_OBS_DELETED);
    }
    CHECK(del);
    ls_obs_list_free(&obs);
    ls_folder_free(f);
    CHECK(ls_folder_open("/nonexistent/land", false, 0, &f, &err) == LS_ERR_NOTFOUND);
}

static void test_folder_inotify(void) { folder_case(false); }
static void test_folder_listing(void) { folder_case(true); }

/* ---- transforms ----------------------------------------------------------------------------- */

static ls_batch *parse_lines(const ls_schema *s, const char *const *lines, int n)
{
    ls_json_opts o = {.strict = true};
    ls_json_reader *r = ls_json_reader_new(s, &o);
    ls_batch *b = ls_batch_new(s);
    ls_error err = {0};
    for (int i = 0; i < n; i++)
        CHECK_OK(ls_json_read_line(r, b, lines[i], strlen(lines[i]), (uint64_t)i + 1, NULL, &err),
                 &err);
    ls_json_reader_free(r);
    return b;
}

static void test_transform(void)
{
    ls_error err = {0};
    ls_schema *in = NULL;
    CHECK_OK(ls_schema_parse_ddl("id BIGINT, geo STRUCT<lat: DOUBLE, pos: STRUCT<x: INT NOT NULL>>, "
                                 "items ARRAY<STRUCT<sku: STRING, q: ARRAY<INT>>>, tags ARRAY<STRING>",
                                 &in, &err),
             &err);
    if (!in)
        return;
    ls_ing_shape shape = {.flatten = true, .explode = "items", .rescue = false, .derived = NULL};
    ls_schema *ts = NULL, *ps = NULL;
    CHECK_OK(ls_ing_table_schema(in, &shape, &ts, &err), &err);
    CHECK_OK(ls_ing_parse_schema(in, false, &ps, &err), &err);
    if (!ts || !ps)
        return;
    ls_buf ddl = {0};
    ls_schema_to_ddl(ts, &ddl);
    CHECK_STR(ls_buf_cstr(&ddl), "id BIGINT, geo_lat DOUBLE, geo_pos_x INT, items_sku STRING, "
                                 "items_q ARRAY<INT>, tags ARRAY<STRING>");
    static const char *const lines[] = {
        ("{\"id\":1,\"geo\":{\"lat\":1.5,\"pos\":{\"x\":7}},\"items\":[{\"sku\":\"a\",\"q\":[1,2]},"
         "{\"sku\":\"b\",\"q\":[]}],\"tags\":[\"t\"]}"),
        "{\"id\":2,\"geo\":null,\"items\":[],\"tags\":null}",
        "{\"id\":3,\"geo\":{\"lat\":null,\"pos\":null},\"items\":null,\"tags\":[]}",
        "{\"id\":4,\"items\":[null,{\"sku\":null,\"q\":[null,5]}],\"tags\":[\"u\",\"v\"]}",
    };
    ls_batch *pb = parse_lines(ps, lines, 4);
    ls_batch *tb = ls_batch_new(ts);
    CHECK_OK(ls_ing_transform(pb, &shape, tb, &err), &err);
    CHECK_OK(ls_batch_validate(tb, &err), &err);
    CHECK(tb->n_rows == 6);
    ls_buf out = {0};
    CHECK_OK(ls_batch_format(tb, 0, tb->n_rows, LS_FMT_NDJSON, false, &out, &err), &err);
    CHECK_STR(ls_buf_cstr(&out),
              "{\"id\":1,\"geo_lat\":1.5,\"geo_pos_x\":7,\"items_sku\":\"a\",\"items_q\":[1,2],"
              "\"tags\":[\"t\"]}\n"
              "{\"id\":1,\"geo_lat\":1.5,\"geo_pos_x\":7,\"items_sku\":\"b\",\"items_q\":[],"
              "\"tags\":[\"t\"]}\n"
              "{\"id\":2,\"geo_lat\":null,\"geo_pos_x\":null,\"items_sku\":null,\"items_q\":null,"
              "\"tags\":null}\n"
              "{\"id\":3,\"geo_lat\":null,\"geo_pos_x\":null,\"items_sku\":null,\"items_q\":null,"
              "\"tags\":[]}\n"
              "{\"id\":4,\"geo_lat\":null,\"geo_pos_x\":null,\"items_sku\":null,\"items_q\":null,"
              "\"tags\":[\"u\",\"v\"]}\n"
              "{\"id\":4,\"geo_lat\":null,\"geo_pos_x\":null,\"items_sku\":null,\"items_q\":[null,5],"
              "\"tags\":[\"u\",\"v\"]}\n");
    /* flatten only, with rescue and a derived column appended */
    ls_part_spec spec;
    CHECK_OK(ls_part_spec_parse("bucket(4, id) AS b", &spec, &err), &err);
    ls_ing_shape s2 = {.flatten = true, .explode = NULL, .rescue = true, .derived = &spec};
    ls_schema *ts2 = NULL, *ps2 = NULL;
    CHECK_OK(ls_ing_table_schema(in, &s2, &ts2, &err), &err);
    CHECK_OK(ls_ing_parse_schema(in, true, &ps2, &err), &err);
    if (ts2 && ps2) {
        ls_batch *pb2 = parse_lines(ps2, lines, 4);
        ls_batch *tb2 = ls_batch_new(ts2);
        CHECK_OK(ls_ing_transform(pb2, &s2, tb2, &err), &err);
        ls_derive_plan dp;
        CHECK_OK(ls_derive_plan_build(&spec, ts2, &dp, &err), &err);
        ls_derive_apply(&dp, tb2);
        CHECK_OK(ls_batch_validate(tb2, &err), &err);
        CHECK(tb2->n_rows == 4);
        const ls_field *bf = ls_schema_find(ts2, "b");
        CHECK(bf && bf->leaf_index == ts2->n_leaves - 1);
        if (bf)
            CHECK(((int32_t *)tb2->leaves[bf->leaf_index].values)[0] == ls_bucket_i64(1, 4));
        ls_batch_free(pb2);
        ls_batch_free(tb2);
    }
    /* explode of a non-array, a missing column */
    ls_ing_shape s3 = {.explode = "geo"};
    ls_schema *x = NULL;
    CHECK(ls_ing_table_schema(in, &s3, &x, &err) != LS_OK);
    s3.explode = "nope";
    CHECK(ls_ing_table_schema(in, &s3, &x, &err) != LS_OK);
    ls_part_spec_free(&spec);
    ls_schema_free(ts2);
    ls_schema_free(ps2);
    ls_buf_free(&out);
    ls_buf_free(&ddl);
    ls_batch_free(pb);
    ls_batch_free(tb);
    ls_schema_free(in);
    ls_schema_free(ts);
    ls_schema_free(ps);
}

static void test_evolve(void)
{
    ls_error err = {0};
    ls_schema *s = NULL;
    CHECK_OK(ls_schema_parse_ddl("a INT, s STRUCT<x: SMALLINT, y: STRING>, l ARRAY<STRUCT<k: INT>>, "
                                 "m MAP<STRING, FLOAT>, f FLOAT, b BOOLEAN",
                                 &s, &err),
             &err);
    if (!s)
        return;
    const char *resc = "{\"a\":3000000000,\"s.x\":70000,\"s.z\":{\"q\":1},\"l[2].k\":5000000000,"
                       "\"l[0].n\":\"new\",\"m[key]\":1e300,\"f\":1e300,\"b\":\"yes\","
                       "\"top.dotted\":[1,2],\"s\":\"notastruct\",\"a.b\":1}";
    bool changed = false;
    ls_schema *ns = NULL;
    CHECK_OK(ls_ing_evolve(s, resc, strlen(resc), &changed, &ns, &err), &err);
    CHECK(changed && ns);
    if (ns) {
        ls_buf d = {0};
        ls_schema_to_ddl(ns, &d);
        CHECK_STR(ls_buf_cstr(&d),
                  "a BIGINT, s STRUCT<x: BIGINT, y: STRING, z: STRUCT<q: BIGINT>>, "
                  "l ARRAY<STRUCT<k: BIGINT, n: STRING>>, m MAP<STRING, DOUBLE>, f DOUBLE, "
                  "b BOOLEAN, `top.dotted` ARRAY<BIGINT>");
        CHECK(ls_ing_schema_extends(s, ns));
        CHECK(!ls_ing_schema_extends(ns, s));
        ls_buf_free(&d);
        ls_schema_free(ns);
    }
    /* nothing to do */
    const char *r2 = "{\"b\":1}";
    CHECK_OK(ls_ing_evolve(s, r2, strlen(r2), &changed, &ns, &err), &err);
    CHECK(!changed && !ns);
    ls_schema_free(s);
}

int main(void)
{
    snprintf(g_tmp, sizeof g_tmp, "/tmp/ls_test_ingest_%d", (int)getpid());
    mkdir(g_tmp, 0755);
    RUN(test_part_parse);
    RUN(test_murmur_bucket);
    RUN(test_derive);
    RUN(test_duration);
    RUN(test_manifest);
    RUN(test_manifest_fields);
    RUN(test_manifest_malformed);
    RUN(test_reader);
    RUN(test_folder_inotify);
    RUN(test_folder_listing);
    RUN(test_transform);
    RUN(test_evolve);
    nftw(g_tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    TEST_MAIN_END();
}
