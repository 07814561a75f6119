/*
 * test_scan.c - unit tests of src/scan: predicate parsing, literal typing and
 * rewriting, row evaluation, pruning by statistics, Z85 and deletion-vector
 * decoding (portable and native RoaringBitmapArray, DV files), and scans of
 * small hand-made Delta tables: projection of nested paths, columns missing
 * from older files, partition values, pruning, deletion vectors, column
 * mapping, type widening, batching and incremental reads.
 */
#include "scan/sc_int.h"
#include "test.h"

#include <roaring/roaring.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------ */

static ls_schema *ddl(const char *s)
{
    ls_schema *sc = NULL;
    ls_error err = {0};
    if (ls_schema_parse_ddl(s, &sc, &err) != LS_OK) {
        printf("bad DDL in test: %s: %s\n", s, err.msg);
        exit(2);
    }
    return sc;
}

static ls_batch *rows(const ls_schema *s, const char *ndjson)
{
    ls_batch *b = ls_batch_new(s);
    ls_json_opts o = {.strict = true};
    ls_json_reader *r = ls_json_reader_new(s, &o);
    uint64_t lines = 0;
    ls_error err = {0};
    if (ls_json_read_buffer(r, b, ndjson, strlen(ndjson), 1, &lines, &err) != LS_OK) {
        printf("bad NDJSON in test: %s\n", err.msg);
        exit(2);
    }
    ls_json_reader_free(r);
    return b;
}

/* Mask of rows of b matching pred text, as a string of 0/1. */
static char *eval_str(const ls_schema *s, const ls_batch *b, const char *pred)
{
    static char out[LS_ERROR_MSG_MAX + 16];
    sc_pred *p = NULL;
    ls_error err = {0};
    if (sc_pred_compile(pred, s, NULL, 0, &p, &err) != LS_OK) {
        snprintf(out, sizeof out, "ERR %s", err.msg);
        return out;
    }
    uint8_t mask[64];
    memset(mask, 1, sizeof mask);
    for (int i = 0; i < p->n; i++) {
        const ls_leaf *l = NULL;
        for (int k = 0; k < b->n_leaves; k++)
            if (b->leaves[k].field == p->c[i].field) l = &b->leaves[k];
        if (l) sc_conj_eval_leaf(&p->c[i], l, b->n_rows, mask);
    }
    for (size_t r = 0; r < b->n_rows; r++)
        out[r] = mask[r] ? '1' : '0';
    out[b->n_rows] = 0;
    sc_pred_free(p);
    return out;
}

static int compile_err(const ls_schema *s, const char *pred, char *msg, size_t cap)
{
    sc_pred *p = NULL;
    ls_error err = {0};
    int rc = sc_pred_compile(pred, s, NULL, 0, &p, &err);
    snprintf(msg, cap, "%s", err.msg);
    sc_pred_free(p);
    return rc;
}

static sc_pred *compile(const ls_schema *s, const char *pred)
{
    sc_pred *p = NULL;
    ls_error err = {0};
    if (sc_pred_compile(pred, s, NULL, 0, &p, &err) != LS_OK)
        printf("compile '%s' failed: %s\n", pred, err.msg);
    return p;
}

/* ---- predicate parsing and typing ----------------------------------------------------------- */

static void test_pred_parse(void)
{
    ls_schema *s = ddl("id BIGINT, name STRING, `odd name` INT, s STRUCT<a: INT, b: STRING>, "
                       "d DATE, arr ARRAY<INT>");
    sc_pred *p =
        compile(s, "id >= 3 AND name = 'x''y' and `odd name` IS NOT NULL AND s.a IN (1, 2,2)");
    CHECK(p != NULL);
    if (p) {
        CHECK(p->n == 4);
        CHECK(p->c[0].op == SC_GE && p->c[0].v.i == 3);
        CHECK_STR(p->c[1].path, "name");
        CHECK(p->c[1].v.n == 3 && memcmp(p->c[1].v.s, "x'y", 3) == 0);
        CHECK(p->c[2].op == SC_NOT_NULL);
        CHECK_STR(p->c[3].path, "s.a");
        CHECK(p->c[3].op == SC_IN && p->c[3].n_list == 2); /* duplicates removed */
        sc_pred_free(p);
    }
    p = compile(s, "  ID<>-7 AND d = DATE '2024-02-29' AND NAME NOT IN ('a', \"b\")  ");
    CHECK(p != NULL);
    if (p) {
        CHECK(p->c[0].op == SC_NE && p->c[0].v.i == -7);
        CHECK_STR(p->c[0].path, "id"); /* case-insensitive, canonical name */
        CHECK(p->c[1].v.i == ls_days_from_civil(2024, 2, 29));
        CHECK(p->c[2].op == SC_NOT_IN && p->c[2].n_list == 2);
        sc_pred_free(p);
    }
    p = compile(s, "d > 2024-01-01 AND id<5");
    CHECK(p && p->n == 2 && p->c[0].op == SC_GT && p->c[1].op == SC_LT && p->c[1].v.i == 5);
    sc_pred_free(p);

    char msg[LS_ERROR_MSG_MAX];
    CHECK(compile_err(s, "nope = 1", msg, sizeof msg) == LS_ERR_INVALID);
    CHECK_MSG(strstr(msg, "unknown column 'nope'") != NULL, "%s", msg);
    CHECK(compile_err(s, "s.zz = 1", msg, sizeof msg) == LS_ERR_INVALID);
    CHECK(strstr(msg, "unknown column 's.zz'") != NULL);
    CHECK(compile_err(s, "id = 1 OR id = 2", msg, sizeof msg) == LS_ERR_INVALID);
    CHECK(strstr(msg, "OR is not supported") != NULL);
    CHECK(compile_err(s, "id = NULL", msg, sizeof msg) == LS_ERR_INVALID);
    CHECK(strstr(msg, "IS NULL") != NULL);
    CHECK(compile_err(s, "id ~ 3", msg, sizeof msg) == LS_ERR_INVALID);
    CHECK(compile_err(s, "id = 3 AND", msg, sizeof msg) == LS_ERR_INVALID);
    CHECK(compile_err(s, "name = 'open", msg, sizeof msg) == LS_ERR_INVALID);
    CHECK(compile_err(s, "id = abc", msg, sizeof msg) == LS_ERR_INVALID);
    CHECK_MSG(strstr(msg, "not a valid BIGINT") != NULL, "%s", msg);
    CHECK(compile_err(s, "d = DATE '2024-13-01'", msg, sizeof msg) == LS_ERR_INVALID);
    CHECK(compile_err(s, "s = 1", msg, sizeof msg) == LS_ERR_INVALID);
    CHECK(compile_err(s, "arr.element = 1", msg, sizeof msg) == LS_ERR_INVALID);
    CHECK(compile_err(s, "id IN ()", msg, sizeof msg) == LS_ERR_INVALID);
    CHECK(compile_err(s, "", msg, sizeof msg) == LS_ERR_INVALID);
    CHECK(compile_err(s, "id IS NUL", msg, sizeof msg) == LS_ERR_INVALID);
    ls_schema_free(s);
}

static void test_pred_literal_rewrite(void)
{
    ls_schema *s = ddl("i INT, t TINYINT, dec DECIMAL(5,2), big DECIMAL(38,0), f FLOAT, "
                       "x DOUBLE, ts TIMESTAMP, dt DATE");
    sc_pred *p = compile(s, "i < 2.5 AND i = 2.5 AND i != 2.5 AND i >= -2.5 AND t = 1000 AND "
                            "t < 1000 AND t > -1000 AND dec = 1.234 AND dec <= 1.239 AND "
                            "big < 1e40 AND i IN (1.5, 2)");
    CHECK(p != NULL);
    if (p) {
        CHECK(p->c[0].op == SC_LE && p->c[0].v.i == 2);
        CHECK(p->c[1].op == SC_FALSE);
        CHECK(p->c[2].op == SC_NOT_NULL);
        CHECK(p->c[3].op == SC_GT && p->c[3].v.i == -3);
        CHECK(p->c[4].op == SC_FALSE);    /* 1000 does not fit TINYINT */
        CHECK(p->c[5].op == SC_NOT_NULL); /* every TINYINT is < 1000 */
        CHECK(p->c[6].op == SC_NOT_NULL);
        CHECK(p->c[7].op == SC_FALSE);
        CHECK(p->c[8].op == SC_LE && p->c[8].v.x == 123);
        CHECK(p->c[9].op == SC_NOT_NULL);
        CHECK(p->c[10].op == SC_IN && p->c[10].n_list == 1 && p->c[10].list[0].i == 2);
        sc_pred_free(p);
    }
    p = compile(s, "dec = 12.5 AND dec > -0.01 AND f = 1.1 AND x >= 1e-3 AND x != NaN AND "
                   "ts >= '2024-01-01T10:00:00+02:00' AND ts < TIMESTAMP '2024-01-01' AND "
                   "dt > TIMESTAMP '2024-01-01 12:00:00'");
    CHECK(p != NULL);
    if (p) {
        CHECK(p->c[0].op == SC_EQ && p->c[0].v.x == 1250);
        CHECK(p->c[1].op == SC_GT && p->c[1].v.x == -1);
        CHECK(p->c[2].v.f == 1.1f);
        CHECK(p->c[3].v.d == 1e-3);
        CHECK(p->c[4].v.d != p->c[4].v.d); /* NaN */
        CHECK(p->c[5].v.i == ls_days_from_civil(2024, 1, 1) * 86400000000LL + 8 * 3600000000LL);
        CHECK(p->c[6].v.i == ls_days_from_civil(2024, 1, 1) * 86400000000LL);
        CHECK(p->c[7].op == SC_GT && p->c[7].v.i == ls_days_from_civil(2024, 1, 1));
        sc_pred_free(p);
    }
    ls_schema_free(s);
}

/* ---- evaluation ---------------------------------------------------------------------------- */

static void test_pred_eval(void)
{
    ls_schema *s = ddl("id BIGINT, i INT, name STRING, ok BOOLEAN, x DOUBLE, f FLOAT, "
                       "d DECIMAL(20,2), sd DECIMAL(5,1), dt DATE, s STRUCT<a: INT>, "
                       "req INT NOT NULL");
    ls_batch *b =
        rows(s, "{\"id\":1,\"i\":10,\"name\":\"a\",\"ok\":true,\"x\":1.5,\"f\":0.5,"
                "\"d\":\"1.25\",\"sd\":1.5,\"dt\":\"2020-01-01\",\"s\":{\"a\":1},\"req\":1}\n"
                "{\"id\":2,\"i\":null,\"name\":\"bb\",\"ok\":false,\"x\":\"NaN\","
                "\"f\":null,\"d\":null,\"sd\":-2.5,\"dt\":\"2021-06-30\",\"s\":null,\"req\":2}\n"
                "{\"id\":3,\"i\":-5,\"name\":null,\"ok\":null,\"x\":-0.0,\"f\":2.5,"
                "\"d\":\"-100.00\",\"sd\":null,\"dt\":null,\"s\":{\"a\":null},\"req\":3}\n"
                "{\"id\":4,\"i\":10,\"name\":\"ab\",\"ok\":true,\"x\":null,\"f\":-1,"
                "\"d\":\"99999999999999999.99\",\"sd\":0,\"dt\":\"2020-01-01\","
                "\"s\":{\"a\":7},\"req\":4}\n");
    CHECK(b->n_rows == 4);
    CHECK_STR(eval_str(s, b, "id > 1"), "0111");
    CHECK_STR(eval_str(s, b, "id >= 2 AND id <= 3"), "0110");
    CHECK_STR(eval_str(s, b, "i = 10"), "1001");
    CHECK_STR(eval_str(s, b, "i != 10"), "0010"); /* null never matches */
    CHECK_STR(eval_str(s, b, "i IS NULL"), "0100");
    CHECK_STR(eval_str(s, b, "i IS NOT NULL"), "1011");
    CHECK_STR(eval_str(s, b, "i < 9.5"), "0010");
    CHECK_STR(eval_str(s, b, "name >= 'ab'"), "0101");
    CHECK_STR(eval_str(s, b, "name < b"), "1001");
    CHECK_STR(eval_str(s, b, "name IN ('a', 'bb', 'zz')"), "1100");
    CHECK_STR(eval_str(s, b, "name NOT IN ('a')"), "0101");
    CHECK_STR(eval_str(s, b, "ok = true"), "1001");
    CHECK_STR(eval_str(s, b, "ok = false"), "0100");
    CHECK_STR(eval_str(s, b, "x > 1"), "1100"); /* NaN is above everything */
    CHECK_STR(eval_str(s, b, "x = NaN"), "0100");
    CHECK_STR(eval_str(s, b, "x = 0"), "0010"); /* -0.0 == 0 */
    CHECK_STR(eval_str(s, b, "f >= 0.5"), "1010");
    CHECK_STR(eval_str(s, b, "d > 1.2"), "1001");
    CHECK_STR(eval_str(s, b, "d = 99999999999999999.99"), "0001");
    CHECK_STR(eval_str(s, b, "d < 0"), "0010");
    CHECK_STR(eval_str(s, b, "sd IN (1.5, -2.5, 7.25)"), "1100");
    CHECK_STR(eval_str(s, b, "sd <= 0"), "0101");
    CHECK_STR(eval_str(s, b, "dt = '2020-01-01'"), "1001");
    CHECK_STR(eval_str(s, b, "dt > DATE '2020-01-01'"), "0100");
    CHECK_STR(eval_str(s, b, "s.a > 0"), "1001");
    CHECK_STR(eval_str(s, b, "s.a IS NULL"), "0110");
    CHECK_STR(eval_str(s, b, "req > 2 AND id < 4"), "0010");
    CHECK_STR(eval_str(s, b, "req = 2.5"), "0000");
    CHECK_STR(eval_str(s, b, "req IS NULL"), "0000");
    CHECK_STR(eval_str(s, b, "i < 2147483648"), "1011");
    ls_batch_free(b);
    ls_schema_free(s);
}

/* ---- pruning by statistics ----------------------------------------------------------------------
 */

static sc_colstats st_minmax(const char *mn, const char *mx, bool strings, int64_t nulls,
                             int64_t nrec)
{
    sc_colstats st;
    memset(&st, 0, sizeof st);
    if (mn) {
        st.has_min = true;
        st.min_text = mn;
        st.min_len = strlen(mn);
        st.min_is_string = strings;
    }
    if (mx) {
        st.has_max = true;
        st.max_text = mx;
        st.max_len = strlen(mx);
        st.max_is_string = strings;
    }
    if (nulls >= 0) {
        st.has_null_count = true;
        st.null_count = nulls;
    }
    if (nrec >= 0) {
        st.has_num_records = true;
        st.num_records = nrec;
    }
    return st;
}

static bool may(const ls_schema *s, const char *pred, sc_colstats st)
{
    sc_pred *p = compile(s, pred);
    if (!p) return true;
    bool r = sc_conj_may_match(&p->c[0], &st);
    sc_pred_free(p);
    return r;
}

static void test_stats_pruning(void)
{
    ls_schema *s = ddl("id BIGINT, name STRING, ts TIMESTAMP, d DECIMAL(10,3), x DOUBLE, dt DATE");
    sc_colstats idst = st_minmax("10", "20", false, 0, 100);
    CHECK(!may(s, "id = 5", idst));
    CHECK(may(s, "id = 10", idst));
    CHECK(may(s, "id = 20", idst));
    CHECK(!may(s, "id = 21", idst));
    CHECK(!may(s, "id < 10", idst));
    CHECK(may(s, "id <= 10", idst));
    CHECK(!may(s, "id > 20", idst));
    CHECK(may(s, "id >= 20", idst));
    CHECK(!may(s, "id IN (1, 2, 30)", idst));
    CHECK(may(s, "id IN (1, 15)", idst));
    CHECK(!may(s, "id IS NULL", idst));
    CHECK(may(s, "id IS NOT NULL", idst));
    CHECK(may(s, "id != 10", idst));
    CHECK(!may(s, "id != 7", st_minmax("7", "7", false, 3, 10)));
    CHECK(!may(s, "id NOT IN (7, 8)", st_minmax("7", "7", false, 0, 10)));
    CHECK(may(s, "id = 5", st_minmax(NULL, NULL, false, 0, 100)));    /* no min/max */
    CHECK(!may(s, "id = 5", st_minmax(NULL, NULL, false, 100, 100))); /* all null */
    CHECK(!may(s, "id IS NOT NULL", st_minmax(NULL, NULL, false, 100, 100)));
    CHECK(may(s, "id IS NULL", st_minmax("1", "2", false, 1, 100)));
    CHECK(!may(s, "id = 1", st_minmax("1", "2", false, 0, 0))); /* empty file */
    CHECK(!may(s, "id = 2.5", idst));
    CHECK(may(s, "id < 10.5", idst));
    CHECK(may(s, "id = 5", st_minmax("\"oops\"", "x", true, 0, 100))); /* unusable */
    /* strings: truncated stats still bound the values */
    sc_colstats ns = st_minmax("apple", "banana", true, 0, 5);
    CHECK(!may(s, "name = 'aardvark'", ns));
    CHECK(may(s, "name = 'avocado'", ns));
    CHECK(!may(s, "name > 'c'", ns));
    CHECK(may(s, "name >= 'banana'", ns));
    /* timestamps: stats are milliseconds, the max is widened by 999 us */
    sc_colstats ts =
        st_minmax("2024-01-01T00:00:00.000Z", "2024-01-01T00:00:01.000-00:00", true, 0, 5);
    CHECK(may(s, "ts = '2024-01-01T00:00:01.000500Z'", ts));
    CHECK(!may(s, "ts = '2024-01-01T00:00:01.001Z'", ts));
    CHECK(!may(s, "ts < '2024-01-01'", ts));
    CHECK(may(s, "ts <= '2024-01-01'", ts));
    CHECK(!may(
        s, "ts > '2024-01-01T01:00:00+01:00'",
        st_minmax("2023-12-31T20:00:00.000-08:00", "2023-12-31T23:59:59.000+00:00", true, 0, 5)));
    /* decimals and doubles */
    CHECK(!may(s, "d > 10.5", st_minmax("1.000", "10.500", false, 0, 3)));
    CHECK(may(s, "d >= 10.5", st_minmax("1.000", "10.500", false, 0, 3)));
    CHECK(!may(s, "x < -1.001", st_minmax("-1.0", "1e3", false, 0, 3)));
    CHECK(may(s, "x < -1", st_minmax("-1.0", "1e3", false, 0, 3))); /* float slack */
    CHECK(may(s, "x > 999.5", st_minmax("-1.0", "1e3", false, 0, 3)));
    CHECK(!may(s, "x > 1001", st_minmax("-1.0", "1e3", false, 0, 3)));
    /* a float stat "1.1" may stand for the float 1.1f widened to double (1.10000002...) */
    CHECK(may(s, "x > 1.1000000001", st_minmax("0", "1.1", false, 0, 3)));
    CHECK(!may(s, "dt < '2020-01-01'", st_minmax("2020-01-01", "2020-12-31", true, 0, 3)));
    ls_schema_free(s);
}

/* ---- Z85 and deletion vectors ---------------------------------------------------------------- */

static void test_z85(void)
{
    ls_buf b = {0};
    ls_error err = {0};
    CHECK_OK(sc_z85_decode("HelloWorld", 10, &b, &err), &err);
    static const uint8_t want[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    CHECK(b.len == 8 && memcmp(b.data, want, 8) == 0);
    ls_buf_reset(&b);
    CHECK(sc_z85_decode("Hello", 4, &b, &err) == LS_ERR_CORRUPT);
    CHECK(sc_z85_decode("Hel~o", 5, &b, &err) == LS_ERR_CORRUPT);
    CHECK(sc_z85_decode("#####", 5, &b, &err) == LS_ERR_CORRUPT); /* > 2^32 */
    ls_buf_free(&b);

    char *p = NULL;
    CHECK_OK(sc_dv_relative_path("ab^-aqEH.-t@S}K{vb[*k^", &p, &err), &err);
    CHECK_STR(p, "ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
    free(p);
    CHECK_OK(sc_dv_relative_path("vBn[lx{q8@P<9BNH/isA", &p, &err), &err);
    CHECK_STR(p, "deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin");
    free(p);
    CHECK(sc_dv_relative_path("short", &p, &err) == LS_ERR_CORRUPT);
}

/* Builds a portable RoaringBitmapArray from (key, values) buckets. */
static void build_portable(ls_buf *out, int nb, const uint32_t *keys, uint32_t *const *vals,
                           const int *nv)
{
    ls_buf_put_u32le(out, 1681511377u);
    uint8_t cnt[8];
    ls_store_u64le(cnt, (uint64_t)nb);
    ls_buf_append(out, cnt, 8);
    for (int i = 0; i < nb; i++) {
        ls_buf_put_u32le(out, keys[i]);
        roaring_bitmap_t *bm = roaring_bitmap_of_ptr((size_t)nv[i], vals[i]);
        roaring_bitmap_run_optimize(bm);
        size_t sz = roaring_bitmap_portable_size_in_bytes(bm);
        ls_buf_reserve(out, sz);
        roaring_bitmap_portable_serialize(bm, (char *)out->data + out->len);
        out->len += sz;
        roaring_bitmap_free(bm);
    }
}

static void test_dv_bitmap(void)
{
    ls_error err = {0};
    uint64_t *r = NULL;
    size_t n = 0;
    /* the spec's inline example (native serialization): rows {3,4,7,11,18,29} */
    const char *ex = "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L";
    ls_buf b = {0};
    CHECK_OK(sc_z85_decode(ex, strlen(ex), &b, &err), &err);
    CHECK_OK(sc_dv_parse_bitmap(b.data, b.len, 100, &r, &n, &err), &err);
    CHECK(n == 6 && r && r[0] == 3 && r[1] == 4 && r[2] == 7 && r[3] == 11 && r[4] == 18 &&
          r[5] == 29);
    free(r);
    CHECK(sc_dv_parse_bitmap(b.data, b.len, 29, &r, &n, &err) == LS_ERR_CORRUPT);
    CHECK(strstr(err.msg, "row 29") != NULL);
    ls_buf_free(&b);

    /* portable, two buckets, runs */
    uint32_t v0[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 65536, 70000};
    uint32_t v1[] = {5, 6};
    uint32_t *vals[] = {v0, v1};
    int nv[] = {13, 2};
    uint32_t keys[] = {0, 1};
    build_portable(&b, 2, keys, vals, nv);
    uint64_t big = ((uint64_t)1 << 32) + 10;
    CHECK_OK(sc_dv_parse_bitmap(b.data, b.len, big, &r, &n, &err), &err);
    CHECK(n == 15 && r[9] == 9 && r[10] == 100 && r[12] == 70000 &&
          r[13] == ((uint64_t)1 << 32) + 5 && r[14] == ((uint64_t)1 << 32) + 6);
    free(r);
    CHECK(sc_dv_parse_bitmap(b.data, b.len, 70001, &r, &n, &err) == LS_ERR_CORRUPT);
    /* truncations never crash and always fail */
    for (size_t cut = 0; cut < b.len; cut++) {
        int rc = sc_dv_parse_bitmap(b.data, cut, big, &r, &n, &err);
        CHECK_MSG(rc == LS_ERR_CORRUPT, "cut %zu", cut);
        if (rc == LS_OK) free(r);
    }
    /* keys must ascend */
    ls_buf_reset(&b);
    uint32_t keys2[] = {1, 0};
    build_portable(&b, 2, keys2, vals, nv);
    CHECK(sc_dv_parse_bitmap(b.data, b.len, big, &r, &n, &err) == LS_ERR_CORRUPT);
    /* bad magic, absurd bucket count */
    ls_buf_reset(&b);
    build_portable(&b, 1, keys, vals, nv);
    b.data[0] ^= 1;
    CHECK(sc_dv_parse_bitmap(b.data, b.len, big, &r, &n, &err) == LS_ERR_CORRUPT);
    b.data[0] ^= 1;
    b.data[11] = 0x7f;
    CHECK(sc_dv_parse_bitmap(b.data, b.len, big, &r, &n, &err) == LS_ERR_CORRUPT);
    /* random corruption of a valid DV: no crash, either error or rows within bounds */
    ls_buf_reset(&b);
    build_portable(&b, 2, keys, vals, nv);
    uint64_t seed = 12345;
    for (int iter = 0; iter < 3000; iter++) {
        ls_buf c = {0};
        ls_buf_append(&c, b.data, b.len);
        for (int k = 0; k < 3; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            c.data[(seed >> 33) % c.len] = (uint8_t)(seed >> 17);
        }
        if (sc_dv_parse_bitmap(c.data, c.len, 80000, &r, &n, &err) == LS_OK) {
            for (size_t k = 0; k < n; k++) {
                CHECK(r[k] < 80000);
                if (k) CHECK(r[k] > r[k - 1]);
            }
            free(r);
        }
        ls_buf_free(&c);
    }
    ls_buf_free(&b);
    /* empty bitmap */
    ls_buf_reset(&b);
    build_portable(&b, 0, keys, vals, nv);
    CHECK_OK(sc_dv_parse_bitmap(b.data, b.len, 10, &r, &n, &err), &err);
    CHECK(n == 0);
    free(r);
    ls_buf_free(&b);
}

/* ---- hand-made tables -------------------------------------------------------------------------
 */

static char tmp_root[512];

static void mkdirs(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(buf, 0755);
            *p = '/';
        }
    mkdir(buf, 0755);
}

static void write_text(const char *dir, const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = 0;
    mkdirs(path);
    *slash = '/';
    FILE *f = fopen(path, "wb");
    fwrite(text, 1, strlen(text), f);
    fclose(f);
}

/* Writes NDJSON rows as a Parquet file with the given DDL schema. */
static void write_parquet(const char *dir, const char *rel, const char *ddl_s, const char *nd,
                          bool field_ids)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = 0;
    mkdirs(path);
    *slash = '/';
    ls_schema *s = ddl(ddl_s);
    if (field_ids) /* ids 1..n in leaf order of the top-level fields */
        for (int i = 0; i < s->root.n_children; i++)
            s->root.children[i].field_id = i + 1;
    ls_batch *b = rows(s, nd);
    ls_error err = {0};
    ls_output *o = NULL;
    ls_pq_writer *w = NULL;
    ls_pq_writer_opts wo;
    ls_pq_writer_opts_default(&wo);
    int rc = ls_output_open_file(path, &o, &err);
    if (!rc) rc = ls_pq_writer_new(o, s, &wo, &w, &err);
    if (!rc) rc = ls_pq_writer_write(w, b, &err);
    if (!rc) rc = ls_pq_writer_close(w, &err);
    ls_pq_writer_free(w);
    if (!rc) rc = ls_output_commit(o, &err);
    if (rc) {
        printf("writing %s failed: %s\n", path, err.msg);
        exit(2);
    }
    ls_batch_free(b);
    ls_schema_free(s);
}

static char *table_dir(const char *name)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", tmp_root, name);
    mkdirs(buf);
    return buf;
}

/* Reads the whole table (latest) with opts into sorted-free NDJSON text. */
static int scan_text(const char *dir, int64_t version, const ls_scan_opts *o, ls_buf *out,
                     size_t *skipped, ls_error *err)
{
    ls_delta_table *t = NULL;
    ls_delta_snapshot *snap = NULL;
    ls_scan *sc = NULL;
    ls_batch *b = NULL;
    int rc = ls_delta_open(dir, &t, err);
    ls_delta_snapshot_spec spec = {version < 0 ? LS_AT_LATEST : LS_AT_VERSION, version, 0};
    if (!rc) rc = ls_delta_snapshot_load(t, &spec, &snap, err);
    if (!rc) rc = ls_scan_open(t, snap, o, &sc, err);
    if (!rc) {
        b = ls_batch_new(ls_scan_schema(sc));
        for (;;) {
            bool eof;
            if ((rc = ls_scan_next(sc, b, &eof, err)) || eof) break;
            if ((rc = ls_batch_validate(b, err))) break;
            if ((rc = ls_batch_format(b, 0, b->n_rows, LS_FMT_NDJSON, false, out, err))) break;
        }
        if (skipped) ls_scan_counts(sc, NULL, skipped);
    }
    ls_buf_cstr(out);
    ls_batch_free(b);
    ls_scan_free(sc);
    ls_delta_snapshot_free(snap);
    ls_delta_close(t);
    return rc;
}

static ls_scan_opts opts_none(void)
{
    ls_scan_opts o;
    memset(&o, 0, sizeof o);
    o.since_version = -1;
    return o;
}

#define PROTO_1_2 "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"

static void meta_line(ls_buf *b, const char *schema_json, const char *parts, const char *conf)
{
    ls_buf js = {0};
    ls_buf_json_str(&js, schema_json, strlen(schema_json));
    ls_buf_printf(b,
                  "{\"metaData\":{\"id\":\"8f0b5e8e-0000-4000-8000-000000000001\",\"format\":"
                  "{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":%s,"
                  "\"partitionColumns\":[%s],\"configuration\":{%s},\"createdTime\":1}}\n",
                  ls_buf_cstr(&js), parts, conf);
    ls_buf_free(&js);
}

static void add_line(ls_buf *b, const char *path, const char *pv, const char *stats, const char *dv)
{
    ls_buf_printf(b,
                  "{\"add\":{\"path\":\"%s\",\"partitionValues\":{%s},\"size\":1,"
                  "\"modificationTime\":1,\"dataChange\":true",
                  path, pv);
    if (stats) {
        ls_buf_puts(b, ",\"stats\":");
        ls_buf_json_str(b, stats, strlen(stats));
    }
    if (dv) ls_buf_printf(b, ",\"deletionVector\":%s", dv);
    ls_buf_puts(b, "}}\n");
}

static void commit(const char *dir, int v, ls_buf *b)
{
    char rel[128];
    snprintf(rel, sizeof rel, "_delta_log/%020d.json", v);
    write_text(dir, rel, ls_buf_cstr(b));
    ls_buf_reset(b);
}

#define F(name, type) "{\"name\":\"" name "\",\"type\":" type ",\"nullable\":true,\"metadata\":{}}"

static void test_scan_basic(void)
{
    char *dir = ls_xstrdup(table_dir("basic"));
    /* v0: id, s{a,b}; p partition. file 1 (p=x): ids 1,2; file 2 (p=y): id 3 */
    write_parquet(dir, "p=x/f1.parquet", "id BIGINT, s STRUCT<a: INT, b: STRING>",
                  "{\"id\":1,\"s\":{\"a\":10,\"b\":\"u\"}}\n{\"id\":2,\"s\":null}\n", false);
    write_parquet(dir, "p=y/f2.parquet", "id BIGINT, s STRUCT<a: INT, b: STRING>",
                  "{\"id\":3,\"s\":{\"a\":30,\"b\":null}}\n", false);
    ls_buf b = {0};
    ls_buf_puts(&b, PROTO_1_2);
    meta_line(&b,
              "{\"type\":\"struct\",\"fields\":[" F("id", "\"long\"") "," F(
                  "s", "{\"type\":\"struct\",\"fields\":[" F("a", "\"integer\"") "," F(
                           "b", "\"string\"") "]}") "," F("p", "\"string\"") "]}",
              "\"p\"", "");
    add_line(&b, "p=x/f1.parquet", "\"p\":\"x\"",
             "{\"numRecords\":2,\"minValues\":{\"id\":1,\"s\":{\"a\":10}},\"maxValues\":{\"id\":2,"
             "\"s\":{\"a\":10}},\"nullCount\":{\"id\":0,\"s\":{\"a\":1,\"b\":1}}}",
             NULL);
    add_line(&b, "p=y/f2.parquet", "\"p\":\"y\"",
             "{\"numRecords\":1,\"minValues\":{\"id\":3},\"maxValues\":{\"id\":3},\"nullCount\":"
             "{\"id\":0,\"s\":{\"a\":0,\"b\":1}}}",
             NULL);
    commit(dir, 0, &b);
    /* v1: schema evolution: c INT and s.z added; file 3 has them, files 1-2 don't */
    meta_line(
        &b,
        "{\"type\":\"struct\",\"fields\":[" F("id", "\"long\"") "," F(
            "s",
            "{\"type\":\"struct\",\"fields\":[" F("a", "\"integer\"") "," F(
                "b", "\"string\"") "," F("z",
                                         "\"double\"") "]}") "," F("p",
                                                                   "\"string\"") "," F("c",
                                                                                       "\"integer"
                                                                                       "\"") "]}",
        "\"p\"", "");
    write_parquet(dir, "q3.parquet", "id BIGINT, s STRUCT<a: INT, b: STRING, z: DOUBLE>, c INT",
                  "{\"id\":4,\"s\":{\"a\":40,\"b\":\"w\",\"z\":0.5},\"c\":7}\n", false);
    add_line(&b, "q3.parquet", "\"p\":null", NULL, NULL);
    commit(dir, 1, &b);

    ls_error err = {0};
    ls_buf out = {0};
    ls_scan_opts o = opts_none();
    CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
    CHECK_STR((char *)out.data,
              "{\"id\":1,\"s\":{\"a\":10,\"b\":\"u\",\"z\":null},\"p\":\"x\",\"c\":null}\n"
              "{\"id\":2,\"s\":null,\"p\":\"x\",\"c\":null}\n"
              "{\"id\":3,\"s\":{\"a\":30,\"b\":null,\"z\":null},\"p\":\"y\",\"c\":null}\n"
              "{\"id\":4,\"s\":{\"a\":40,\"b\":\"w\",\"z\":0.5},\"p\":null,\"c\":7}\n");
    /* time travel: v0 schema */
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, 0, &o, &out, NULL, &err), &err);
    CHECK_STR((char *)out.data, "{\"id\":1,\"s\":{\"a\":10,\"b\":\"u\"},\"p\":\"x\"}\n"
                                "{\"id\":2,\"s\":null,\"p\":\"x\"}\n"
                                "{\"id\":3,\"s\":{\"a\":30,\"b\":null},\"p\":\"y\"}\n");
    /* projection: order of mention, nested paths */
    const char *cols[] = {"p", "s.z", "S.A", "id"};
    o.columns = cols;
    o.n_columns = 4;
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
    CHECK_STR((char *)out.data, "{\"p\":\"x\",\"s\":{\"a\":10,\"z\":null},\"id\":1}\n"
                                "{\"p\":\"x\",\"s\":null,\"id\":2}\n"
                                "{\"p\":\"y\",\"s\":{\"a\":30,\"z\":null},\"id\":3}\n"
                                "{\"p\":null,\"s\":{\"a\":40,\"z\":0.5},\"id\":4}\n");
    /* only a missing nested field: presence copied from the struct */
    const char *cols2[] = {"s.z"};
    o.columns = cols2;
    o.n_columns = 1;
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
    CHECK_STR((char *)out.data, "{\"s\":{\"z\":null}}\n{\"s\":null}\n{\"s\":{\"z\":null}}\n"
                                "{\"s\":{\"z\":0.5}}\n");
    /* only partition and missing columns: rows are counted, not read */
    const char *cols3[] = {"c", "p"};
    o.columns = cols3;
    o.n_columns = 2;
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
    CHECK_STR((char *)out.data, "{\"c\":null,\"p\":\"x\"}\n{\"c\":null,\"p\":\"x\"}\n"
                                "{\"c\":null,\"p\":\"y\"}\n{\"c\":7,\"p\":null}\n");
    /* unknown column */
    const char *bad[] = {"nope"};
    o.columns = bad;
    o.n_columns = 1;
    ls_buf_reset(&out);
    CHECK(scan_text(dir, -1, &o, &out, NULL, &err) == LS_ERR_INVALID);
    CHECK(strstr(err.msg, "nope") != NULL);

    /* pruning by partition (exact) and stats; the predicate column is not projected */
    const char *cols4[] = {"id"};
    o.columns = cols4;
    o.n_columns = 1;
    size_t skipped = 0;
    o.where = "p = 'y'";
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, &skipped, &err), &err);
    CHECK_STR((char *)out.data, "{\"id\":3}\n");
    CHECK(skipped == 2);
    o.where = "p IS NULL";
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, &skipped, &err), &err);
    CHECK_STR((char *)out.data, "{\"id\":4}\n");
    CHECK(skipped == 2);
    o.where = "id >= 2 AND id < 4";
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, &skipped, &err), &err);
    CHECK_STR((char *)out.data, "{\"id\":2}\n{\"id\":3}\n");
    CHECK(skipped == 0); /* file 3 has no stats */
    o.where = "id > 2 AND s.a < 35";
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, &skipped, &err), &err);
    CHECK_STR((char *)out.data, "{\"id\":3}\n");
    CHECK(skipped == 1); /* file 1: max id 2 */
    o.where = "s.a IS NULL";
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, &skipped, &err), &err);
    CHECK_STR((char *)out.data, "{\"id\":2}\n");
    CHECK(skipped == 1); /* file 2: nullCount of s.a is 0 */
    o.where = "c = 7";
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, &skipped, &err), &err);
    CHECK_STR((char *)out.data, "{\"id\":4}\n");
    o.where = "zz = 7";
    ls_buf_reset(&out);
    CHECK(scan_text(dir, -1, &o, &out, &skipped, &err) == LS_ERR_INVALID);
    CHECK(strstr(err.msg, "unknown column 'zz'") != NULL);

    /* batching: 1 row per batch, then everything in one batch */
    o = opts_none();
    for (size_t br = 1; br <= 5; br += 4) {
        o.batch_rows = br;
        ls_buf_reset(&out);
        CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
        CHECK(strstr((char *)out.data, "{\"id\":4,") != NULL);
        size_t lines = 0;
        for (size_t k = 0; k < out.len; k++)
            lines += out.data[k] == '\n';
        CHECK(lines == 4);
    }
    /* incremental: files added after v0 */
    o = opts_none();
    o.since_version = 0;
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
    CHECK_STR((char *)out.data,
              "{\"id\":4,\"s\":{\"a\":40,\"b\":\"w\",\"z\":0.5},\"p\":null,\"c\":7}\n");
    ls_buf_free(&out);
    ls_buf_free(&b);
    free(dir);
}

/* Deletion vectors: inline (portable) and in a file ('u' storage), with a checksum. */
static void test_scan_dv(void)
{
    char *dir = ls_xstrdup(table_dir("dv"));
    write_parquet(dir, "a.parquet", "id INT", "{\"id\":0}\n{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n",
                  false);
    write_parquet(dir, "b.parquet", "id INT", "{\"id\":10}\n{\"id\":11}\n{\"id\":12}\n", false);
    /* inline DV for a: rows 1 and 3 */
    ls_buf bm = {0};
    uint32_t va[] = {1, 3};
    uint32_t *vals[] = {va};
    int nv[] = {2};
    uint32_t keys[] = {0};
    build_portable(&bm, 1, keys, vals, nv);
    size_t real = bm.len;
    while (bm.len % 4)
        ls_buf_putc(&bm, 0);
    /* Z85-encode (test-side encoder) */
    static const char z[] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    ls_buf enc = {0};
    for (size_t i = 0; i < bm.len; i += 4) {
        uint32_t v = (uint32_t)bm.data[i] << 24 | (uint32_t)bm.data[i + 1] << 16 |
                     (uint32_t)bm.data[i + 2] << 8 | bm.data[i + 3];
        char c[5];
        for (int k = 4; k >= 0; k--) {
            c[k] = z[v % 85];
            v /= 85;
        }
        ls_buf_append(&enc, c, 5);
    }
    char dva[512];
    snprintf(dva, sizeof dva,
             "{\"storageType\":\"i\",\"pathOrInlineDv\":\"%s\",\"sizeInBytes\":%zu,"
             "\"cardinality\":2}",
             ls_buf_cstr(&enc), real);
    /* file DV for b: row 0, stored after a dummy DV at offset 1 */
    ls_buf_reset(&bm);
    uint32_t vb[] = {0};
    uint32_t *valsb[] = {vb};
    int nvb[] = {1};
    build_portable(&bm, 1, keys, valsb, nvb);
    ls_buf file = {0};
    ls_buf_putc(&file, 1);
    for (int rep = 0; rep < 2; rep++) { /* two copies: the second is referenced */
        uint8_t sz[4] = {(uint8_t)(bm.len >> 24), (uint8_t)(bm.len >> 16), (uint8_t)(bm.len >> 8),
                         (uint8_t)bm.len};
        ls_buf_append(&file, sz, 4);
        ls_buf_append(&file, bm.data, bm.len);
        uint32_t crc = ls_crc32(0, bm.data, bm.len);
        uint8_t cb[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8),
                         (uint8_t)crc};
        ls_buf_append(&file, cb, 4);
    }
    size_t off2 = 1 + 4 + bm.len + 4;
    /* "vBn[lx{q8@P<9BNH/isA" = deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin */
    char path[1024];
    snprintf(path, sizeof path, "%s/dvp/deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin",
             dir);
    mkdirs(table_dir("dv/dvp"));
    FILE *f = fopen(path, "wb");
    fwrite(file.data, 1, file.len, f);
    fclose(f);
    char dvb[512];
    snprintf(dvb, sizeof dvb,
             "{\"storageType\":\"u\",\"pathOrInlineDv\":\"dvpvBn[lx{q8@P<9BNH/isA\",\"offset\":%zu,"
             "\"sizeInBytes\":%zu,\"cardinality\":1}",
             off2, bm.len);
    ls_buf b = {0};
    ls_buf_puts(&b, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,"
                    "\"readerFeatures\":[\"deletionVectors\"],\"writerFeatures\":"
                    "[\"deletionVectors\"]}}\n");
    meta_line(&b, "{\"type\":\"struct\",\"fields\":[" F("id", "\"integer\"") "]}", "",
              "\"delta.enableDeletionVectors\":\"true\"");
    add_line(&b, "a.parquet", "", "{\"numRecords\":4,\"tightBounds\":false}", dva);
    add_line(&b, "b.parquet", "", NULL, dvb);
    /* the same DV file by absolute URI ('p' storage), for a third file */
    write_parquet(dir, "c.parquet", "id INT", "{\"id\":20}\n{\"id\":21}\n", false);
    char dvc[1500];
    snprintf(dvc, sizeof dvc,
             "{\"storageType\":\"p\",\"pathOrInlineDv\":\"file://%s\",\"offset\":%zu,"
             "\"sizeInBytes\":%zu,\"cardinality\":1}",
             path, off2, bm.len);
    add_line(&b, "c.parquet", "", NULL, dvc);
    commit(dir, 0, &b);
    ls_error err = {0};
    ls_buf out = {0};
    ls_scan_opts o = opts_none();
    CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
    CHECK_STR((char *)out.data, "{\"id\":0}\n{\"id\":2}\n{\"id\":11}\n{\"id\":12}\n{\"id\":21}\n");
    o.where = "id > 0";
    o.batch_rows = 1;
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
    CHECK_STR((char *)out.data, "{\"id\":2}\n{\"id\":11}\n{\"id\":12}\n{\"id\":21}\n");
    /* corrupt the DV checksum: the scan fails naming the problem */
    file.data[off2 + 4 + 5] ^= 0xff;
    f = fopen(path, "wb");
    fwrite(file.data, 1, file.len, f);
    fclose(f);
    o = opts_none();
    ls_buf_reset(&out);
    CHECK(scan_text(dir, -1, &o, &out, NULL, &err) == LS_ERR_CORRUPT);
    CHECK_MSG(strstr(err.msg, "CRC") != NULL || strstr(err.msg, "magic") != NULL, "%s", err.msg);
    ls_buf_free(&out);
    ls_buf_free(&b);
    ls_buf_free(&bm);
    ls_buf_free(&enc);
    ls_buf_free(&file);
    free(dir);
}

/* Column mapping (name and id modes) and type widening. */
static void test_scan_mapping_widening(void)
{
    char *dir = ls_xstrdup(table_dir("cm_name"));
    /* Parquet columns carry physical names; the table shows logical ones */
    write_parquet(dir, "x.parquet", "`col-1` BIGINT, `col-2` STRUCT<`col-3`: STRING>",
                  "{\"col-1\":1,\"col-2\":{\"col-3\":\"a\"}}\n{\"col-1\":2,\"col-2\":null}\n",
                  false);
    ls_buf b = {0};
    ls_buf_puts(&b, "{\"protocol\":{\"minReaderVersion\":2,\"minWriterVersion\":5}}\n");
#define CM(name, type, id, phys)                                                                   \
    "{\"name\":\"" name "\",\"type\":" type ",\"nullable\":true,\"metadata\":{"                    \
    "\"delta.columnMapping.id\":" #id ",\"delta.columnMapping.physicalName\":\"" phys "\"}}"
    meta_line(&b,
              "{\"type\":\"struct\",\"fields\":[" CM("id", "\"long\"", 1, "col-1") "," CM(
                  "s",
                  "{\"type\":\"struct\",\"fields\":[" CM("name", "\"string\"", 3, "col-3") "]}", 2,
                  "col-2") "," CM("part", "\"integer\"", 4, "col-4") "]}",
              "\"part\"",
              "\"delta.columnMapping.mode\":\"name\",\"delta.columnMapping.maxColumnId\":\"4\"");
    add_line(&b, "x.parquet", "\"col-4\":\"5\"",
             "{\"numRecords\":2,\"minValues\":{\"col-1\":1},\"maxValues\":{\"col-1\":2}}", NULL);
    commit(dir, 0, &b);
    ls_error err = {0};
    ls_buf out = {0};
    ls_scan_opts o = opts_none();
    CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
    CHECK_STR((char *)out.data, "{\"id\":1,\"s\":{\"name\":\"a\"},\"part\":5}\n"
                                "{\"id\":2,\"s\":null,\"part\":5}\n");
    size_t skipped = 0;
    o.where = "id > 2";
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, &skipped, &err), &err);
    CHECK(out.len == 0 && skipped == 1); /* stats keyed by physical names */
    o.where = "part = 5 AND s.name = 'a'";
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, &skipped, &err), &err);
    CHECK_STR((char *)out.data, "{\"id\":1,\"s\":{\"name\":\"a\"},\"part\":5}\n");
    free(dir);

    /* id mode: Parquet field ids 1, 2 with unrelated names */
    dir = ls_xstrdup(table_dir("cm_id"));
    write_parquet(dir, "y.parquet", "whatever BIGINT, other STRING",
                  "{\"whatever\":7,\"other\":\"q\"}\n", true);
    ls_buf_puts(&b, "{\"protocol\":{\"minReaderVersion\":2,\"minWriterVersion\":5}}\n");
    meta_line(&b,
              "{\"type\":\"struct\",\"fields\":[" CM("a", "\"long\"", 1, "col-a") "," CM(
                  "b", "\"string\"", 2, "col-b") "," CM("c", "\"string\"", 3, "col-c") "]}",
              "", "\"delta.columnMapping.mode\":\"id\",\"delta.columnMapping.maxColumnId\":\"3\"");
    add_line(&b, "y.parquet", "", NULL, NULL);
    commit(dir, 0, &b);
    o = opts_none();
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
    CHECK_STR((char *)out.data, "{\"a\":7,\"b\":\"q\",\"c\":null}\n");
    free(dir);

    /* type widening: old file with int/float/date/decimal(5,2)/int->decimal */
    dir = ls_xstrdup(table_dir("widen"));
    write_parquet(dir, "old.parquet", "i INT, f FLOAT, d DATE, dec DECIMAL(5,2), k SMALLINT",
                  "{\"i\":-3,\"f\":0.5,\"d\":\"2020-01-02\",\"dec\":\"1.25\",\"k\":7}\n", false);
    write_parquet(dir, "new.parquet",
                  "i BIGINT, f DOUBLE, d TIMESTAMP_NTZ, dec DECIMAL(22,4), k DECIMAL(10,1)",
                  "{\"i\":5000000000,\"f\":0.1,\"d\":\"2021-01-01T01:02:03\",\"dec\":\"-1.0001\","
                  "\"k\":\"1.5\"}\n",
                  false);
    ls_buf_puts(&b, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,"
                    "\"readerFeatures\":[\"typeWidening\",\"timestampNtz\"],"
                    "\"writerFeatures\":[\"typeWidening\",\"timestampNtz\"]}}\n");
    meta_line(
        &b,
        "{\"type\":\"struct\",\"fields\":[" F("i", "\"long\"") "," F("f", "\"double\"") "," F(
            "d", "\"timestamp_ntz\"") "," F("dec",
                                            "\"decimal(22,4)\"") "," F("k",
                                                                       "\"decimal(10,1)\"") "]}",
        "", "\"delta.enableTypeWidening\":\"true\"");
    add_line(&b, "old.parquet", "", NULL, NULL);
    add_line(&b, "new.parquet", "", NULL, NULL);
    commit(dir, 0, &b);
    o = opts_none();
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
    CHECK_STR(
        (char *)out.data,
        "{\"i\":5000000000,\"f\":0.1,\"d\":\"2021-01-01T01:02:03.000000\",\"dec\":\"-1.0001\","
        "\"k\":1.5}\n"
        "{\"i\":-3,\"f\":0.5,\"d\":\"2020-01-02T00:00:00.000000\",\"dec\":\"1.2500\","
        "\"k\":7.0}\n");
    o.where = "dec > 1.2 AND d < '2020-01-03'";
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
    CHECK(strstr((char *)out.data, "\"i\":-3") && !strstr((char *)out.data, "5000000000"));
    ls_buf_free(&out);
    ls_buf_free(&b);
    free(dir);
}

/* Nested evolution: a field added inside a list's struct, required file fields read as
 * nullable, a struct column missing entirely. */
static void test_scan_nested_evolution(void)
{
    char *dir = ls_xstrdup(table_dir("nested"));
    write_parquet(dir, "n.parquet",
                  "l ARRAY<STRUCT<a: INT NOT NULL>>, m MAP<STRING, INT>, "
                  "r INT NOT NULL",
                  "{\"l\":[{\"a\":1},{\"a\":2}],\"m\":{\"k\":1},\"r\":1}\n"
                  "{\"l\":[],\"m\":null,\"r\":2}\n"
                  "{\"l\":null,\"m\":{},\"r\":3}\n"
                  "{\"l\":[null,{\"a\":3}],\"m\":{\"x\":null},\"r\":4}\n",
                  false);
    ls_buf b = {0};
    ls_buf_puts(&b, PROTO_1_2);
    meta_line(
        &b,
        "{\"type\":\"struct\",\"fields\":[" F(
            "l",
            "{\"type\":\"array\",\"elementType\":{\"type\":\"struct\",\"fields\":[" F("a", "\"integ"
                                                                                           "er\"") "," F(
                "b", "\"string\"") "]},\"containsNull\":true}") "," F("m", "{\"type\":\"map\","
                                                                           "\"keyType\":\"string\","
                                                                           "\"valueType\":"
                                                                           "\"integer\","
                                                                           "\"valueContainsNull\":"
                                                                           "true}") "," F("r",
                                                                                          "\"intege"
                                                                                          "r\"") "," F("extra",
                                                                                                       "{\"type\":\"struct\",\"fields\":[" F(
                                                                                                           "q",
                                                                                                           "\"integer\"") "]}") "]}",
        "", "");
    add_line(&b, "n.parquet", "", NULL, NULL);
    commit(dir, 0, &b);
    ls_error err = {0};
    ls_buf out = {0};
    ls_scan_opts o = opts_none();
    CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
    CHECK_STR((char *)out.data,
              "{\"l\":[{\"a\":1,\"b\":null},{\"a\":2,\"b\":null}],\"m\":{\"k\":1},\"r\":1,"
              "\"extra\":null}\n"
              "{\"l\":[],\"m\":null,\"r\":2,\"extra\":null}\n"
              "{\"l\":null,\"m\":{},\"r\":3,\"extra\":null}\n"
              "{\"l\":[null,{\"a\":3,\"b\":null}],\"m\":{\"x\":null},\"r\":4,\"extra\":null}\n");
    const char *cols[] = {"extra.q", "l"};
    o.columns = cols;
    o.n_columns = 2;
    o.where = "r >= 2 AND r != 3";
    ls_buf_reset(&out);
    CHECK_OK(scan_text(dir, -1, &o, &out, NULL, &err), &err);
    CHECK_STR((char *)out.data, "{\"extra\":null,\"l\":[]}\n"
                                "{\"extra\":null,\"l\":[null,{\"a\":3,\"b\":null}]}\n");
    ls_buf_free(&out);
    ls_buf_free(&b);
    free(dir);
}

int main(void)
{
    RUN(test_pred_parse);
    RUN(test_pred_literal_rewrite);
    RUN(test_pred_eval);
    RUN(test_stats_pruning);
    RUN(test_z85);
    RUN(test_dv_bitmap);
    const char *tmp = getenv("LS_TMP");
    snprintf(tmp_root, sizeof tmp_root, "%s/scan-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmp_root)) {
        printf("FAIL cannot create a temporary directory\n");
        TEST_MAIN_END();
    }
    RUN(test_scan_basic);
    RUN(test_scan_dv);
    RUN(test_scan_mapping_widening);
    RUN(test_scan_nested_evolution);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    if (system(cmd) != 0) printf("note: could not remove %s\n", tmp_root);
    TEST_MAIN_END();
}
