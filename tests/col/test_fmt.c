/*
 * test_fmt.c - batch -> text (col_fmt.c) on hand-built batches: record assembly
 * of nulls vs empty lists at every level, maps, structs, decimals incl. the
 * 16-byte representation, dates/timestamps, float shortest round-trip and
 * NaN/Infinity, JSON escapes and invalid UTF-8, CSV quoting, row ranges, and
 * inconsistent levels (must fail, not crash).
 */
#include "col/col.h"
#include "test.h"

#include <math.h>

static ls_schema *ddl(const char *text)
{
    ls_schema *s = NULL;
    ls_error err;
    if (ls_schema_parse_ddl(text, &s, &err) != LS_OK) {
        printf("FAIL ddl '%s': %s\n", text, err.msg);
        return NULL;
    }
    return s;
}

static char *fmt(const ls_batch *b, size_t from, size_t to, ls_text_format f, bool header)
{
    ls_buf out = {0};
    ls_error err;
    int rc = ls_batch_format(b, from, to, f, header, &out, &err);
    if (rc) {
        ls_buf_free(&out);
        return ls_xasprintf("ERROR %d: %s", rc, err.msg);
    }
    char *s = ls_xstrdup(out.len ? ls_buf_cstr(&out) : "");
    ls_buf_free(&out);
    return s;
}

static void push_str(ls_leaf *l, int rep, const char *s) { ls_leaf_push_bytes(l, rep, s, strlen(s)); }

static void test_flat(void)
{
    ls_schema *s = ddl("a INT, b STRING, c DOUBLE, d BOOLEAN, e BIGINT, f TINYINT");
    ls_batch *b = ls_batch_new(s);
    ls_leaf *L = b->leaves;
    ls_leaf_push_i32(&L[0], 0, -7);
    push_str(&L[1], 0, "he said \"hi\", then\nleft\t\x01 \xc3\xa9\xe2\x82\xac");
    ls_leaf_push_f64(&L[2], 0, 0.1 + 0.2);
    ls_leaf_push_bool(&L[3], 0, true);
    ls_leaf_push_i64(&L[4], 0, INT64_MIN);
    ls_leaf_push_i32(&L[5], 0, 127);
    b->n_rows++;
    ls_leaf_null(&L[0], 0, 0);
    push_str(&L[1], 0, "");
    ls_leaf_null(&L[2], 0, 0);
    ls_leaf_null(&L[3], 0, 0);
    ls_leaf_push_i64(&L[4], 0, INT64_MAX);
    ls_leaf_null(&L[5], 0, 0);
    b->n_rows++;
    ls_error err;
    CHECK_OK(ls_batch_validate(b, &err), &err);
    char *t = fmt(b, 0, 2, LS_FMT_NDJSON, false);
    CHECK_STR(t, "{\"a\":-7,\"b\":\"he said \\\"hi\\\", then\\nleft\\t\\u0001 \xc3\xa9\xe2\x82\xac\","
                 "\"c\":0.30000000000000004,\"d\":true,\"e\":-9223372036854775808,\"f\":127}\n"
                 "{\"a\":null,\"b\":\"\",\"c\":null,\"d\":null,\"e\":9223372036854775807,\"f\":"
                 "null}\n");
    free(t);
    t = fmt(b, 0, 2, LS_FMT_CSV, true);
    CHECK_STR(t, "a,b,c,d,e,f\n"
                 "-7,\"he said \"\"hi\"\", then\nleft\t\x01 \xc3\xa9\xe2\x82\xac\","
                 "0.30000000000000004,true,-9223372036854775808,127\n"
                 ",\"\",,,9223372036854775807,\n");
    free(t);
    /* a row range */
    t = fmt(b, 1, 2, LS_FMT_NDJSON, false);
    CHECK(strncmp(t, "{\"a\":null,", 10) == 0);
    free(t);
    t = fmt(b, 2, 2, LS_FMT_CSV, true);
    CHECK_STR(t, "a,b,c,d,e,f\n");
    free(t);
    t = fmt(b, 1, 3, LS_FMT_NDJSON, false);
    CHECK(strncmp(t, "ERROR 1", 7) == 0);
    free(t);
    ls_batch_free(b);
    ls_schema_free(s);
}

static void test_floats(void)
{
    ls_schema *s = ddl("f FLOAT, d DOUBLE");
    ls_batch *b = ls_batch_new(s);
    static const float fv[] = {0.1f, NAN, INFINITY, -INFINITY, -0.0f, 3.4028235e38f, 1e-45f,
                               16777216.0f, 1.5f};
    static const double dv[] = {0.1, NAN, INFINITY, -INFINITY, -0.0, 1e20, 5e-324,
                                123456789012345680.0, 2.5e-7};
    for (int i = 0; i < 9; i++) {
        ls_leaf_push_f32(&b->leaves[0], 0, fv[i]);
        ls_leaf_push_f64(&b->leaves[1], 0, dv[i]);
        b->n_rows++;
    }
    char *t = fmt(b, 0, 9, LS_FMT_NDJSON, false);
    CHECK_STR(t, "{\"f\":0.1,\"d\":0.1}\n"
                 "{\"f\":\"NaN\",\"d\":\"NaN\"}\n"
                 "{\"f\":\"Infinity\",\"d\":\"Infinity\"}\n"
                 "{\"f\":\"-Infinity\",\"d\":\"-Infinity\"}\n"
                 "{\"f\":-0,\"d\":-0}\n"
                 "{\"f\":3.4028235e+38,\"d\":100000000000000000000}\n"
                 "{\"f\":1e-45,\"d\":5e-324}\n"
                 "{\"f\":16777216,\"d\":123456789012345680}\n"
                 "{\"f\":1.5,\"d\":2.5e-7}\n");
    free(t);
    t = fmt(b, 1, 2, LS_FMT_CSV, false);
    CHECK_STR(t, "NaN,NaN\n");
    free(t);
    /* every formatted value reads back exactly */
    uint64_t x = 88172645463325252ULL;
    ls_batch_reset(b);
    for (int i = 0; i < 2000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        uint64_t bits = x & 0x7fefffffffffffffULL;
        memcpy(&d, &bits, 8);
        float f;
        uint32_t fb = (uint32_t)(x >> 32) & 0x7f7fffffU;
        memcpy(&f, &fb, 4);
        ls_leaf_push_f32(&b->leaves[0], 0, f);
        ls_leaf_push_f64(&b->leaves[1], 0, d);
        b->n_rows++;
    }
    for (size_t i = 0; i < 2000; i++) {
        ls_buf o = {0};
        ls_leaf_format_value(&b->leaves[0], i, &o);
        float f = strtof(ls_buf_cstr(&o), NULL);
        CHECK(f == ((float *)b->leaves[0].values)[i]);
        ls_buf_reset(&o);
        ls_leaf_format_value(&b->leaves[1], i, &o);
        double d = strtod(ls_buf_cstr(&o), NULL);
        CHECK(d == ((double *)b->leaves[1].values)[i]);
        ls_buf_free(&o);
    }
    ls_batch_free(b);
    ls_schema_free(s);
}

static void test_temporal_decimal_binary(void)
{
    ls_schema *s = ddl("dt DATE, ts TIMESTAMP, tn TIMESTAMP_NTZ, d1 DECIMAL(5,2), "
                       "d2 DECIMAL(18,4), d3 DECIMAL(38,10), bin BINARY, d4 DECIMAL(3,0)");
    ls_batch *b = ls_batch_new(s);
    ls_leaf *L = b->leaves;
    /* row 0 */
    ls_leaf_push_i32(&L[0], 0, 0);
    ls_leaf_push_i64(&L[1], 0, 0);
    ls_leaf_push_i64(&L[2], 0, -1);
    ls_leaf_push_i32(&L[3], 0, 12345);
    ls_leaf_push_i64(&L[4], 0, -123456789012345678LL);
    uint8_t v[16];
    /* 2^100 */
    memset(v, 0, 16);
    v[12] = 0x10;
    ls_leaf_push_i128(&L[5], 0, v);
    ls_leaf_push_bytes(&L[6], 0, "\x00\xff\x10", 3);
    ls_leaf_push_i32(&L[7], 0, -999);
    b->n_rows++;
    /* row 1 */
    ls_leaf_push_i32(&L[0], 0, -1);
    ls_leaf_push_i64(&L[1], 0, 1700000000123456LL);
    ls_leaf_push_i64(&L[2], 0, 253402300799999999LL);
    ls_leaf_push_i32(&L[3], 0, -5);
    ls_leaf_push_i64(&L[4], 0, 0);
    /* -1 (all ones) and then the most negative 38-digit value */
    memset(v, 0xff, 16);
    ls_leaf_push_i128(&L[5], 0, v);
    ls_leaf_push_bytes(&L[6], 0, "", 0);
    ls_leaf_push_i32(&L[7], 0, 0);
    b->n_rows++;
    /* row 2: -(10^38 - 1) */
    ls_leaf_push_i32(&L[0], 0, 18000);
    ls_leaf_push_i64(&L[1], 0, -1);
    ls_leaf_push_i64(&L[2], 0, 0);
    ls_leaf_push_i32(&L[3], 0, 0);
    ls_leaf_push_i64(&L[4], 0, 5);
    unsigned __int128 big = 1;
    for (int i = 0; i < 38; i++)
        big *= 10;
    big -= 1;
    big = ~big + 1;
    memcpy(v, &big, 16);
    ls_leaf_push_i128(&L[5], 0, v);
    ls_leaf_push_bytes(&L[6], 0, "ab", 2);
    ls_leaf_push_i32(&L[7], 0, 7);
    b->n_rows++;
    char *t = fmt(b, 0, 3, LS_FMT_NDJSON, false);
    CHECK_STR(t,
              "{\"dt\":\"1970-01-01\",\"ts\":\"1970-01-01T00:00:00.000000Z\",\"tn\":\"1969-12-31T23:"
              "59:59.999999\",\"d1\":123.45,\"d2\":\"-12345678901234.5678\",\"d3\":"
              "\"126765060022822940149.6703205376\",\"bin\":\"AP8Q\",\"d4\":-999}\n"
              "{\"dt\":\"1969-12-31\",\"ts\":\"2023-11-14T22:13:20.123456Z\",\"tn\":\"9999-12-31T23:"
              "59:59.999999\",\"d1\":-0.05,\"d2\":\"0.0000\",\"d3\":\"-0.0000000001\",\"bin\":\"\","
              "\"d4\":0}\n"
              "{\"dt\":\"2019-04-14\",\"ts\":\"1969-12-31T23:59:59.999999Z\",\"tn\":\"1970-01-01T00:"
              "00:00.000000\",\"d1\":0.00,\"d2\":\"0.0005\",\"d3\":"
              "\"-9999999999999999999999999999.9999999999\",\"bin\":\"YWI=\",\"d4\":7}\n");
    free(t);
    t = fmt(b, 0, 1, LS_FMT_CSV, false);
    CHECK_STR(t, "1970-01-01,1970-01-01T00:00:00.000000Z,1969-12-31T23:59:59.999999,123.45,"
                 "-12345678901234.5678,126765060022822940149.6703205376,AP8Q,-999\n");
    free(t);
    t = fmt(b, 1, 2, LS_FMT_CSV, false);
    CHECK(strstr(t, ",\"\",") != NULL); /* empty binary is an empty (quoted) value */
    free(t);
    ls_batch_free(b);
    ls_schema_free(s);
}

static void test_invalid_utf8(void)
{
    ls_schema *s = ddl("s STRING");
    ls_batch *b = ls_batch_new(s);
    ls_leaf_push_bytes(&b->leaves[0], 0, "a\xff" "b\xc3", 4);
    b->n_rows++;
    ls_leaf_push_bytes(&b->leaves[0], 0, "\xed\xa0\x80z", 4); /* surrogate */
    b->n_rows++;
    char *t = fmt(b, 0, 2, LS_FMT_NDJSON, false);
    CHECK_STR(t, "{\"s\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd\"}\n"
                 "{\"s\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\"}\n");
    free(t);
    ls_batch_free(b);
    ls_schema_free(s);
}

/* l ARRAY<INT>: [1,2], [], null, [null,3] */
static void test_lists(void)
{
    ls_schema *s = ddl("l ARRAY<INT>, n INT");
    ls_batch *b = ls_batch_new(s);
    ls_leaf *l = &b->leaves[0], *n = &b->leaves[1];
    CHECK(l->max_def == 3 && l->max_rep == 1);
    ls_leaf_push_i32(l, 0, 1);
    ls_leaf_push_i32(l, 1, 2);
    ls_leaf_null(l, 1, 0);
    ls_leaf_null(l, 0, 0);
    ls_leaf_null(l, 2, 0);
    ls_leaf_push_i32(l, 1, 3);
    for (int i = 0; i < 4; i++)
        ls_leaf_push_i32(n, 0, i);
    b->n_rows = 4;
    ls_error err;
    CHECK_OK(ls_batch_validate(b, &err), &err);
    char *t = fmt(b, 0, 4, LS_FMT_NDJSON, false);
    CHECK_STR(t, "{\"l\":[1,2],\"n\":0}\n{\"l\":[],\"n\":1}\n{\"l\":null,\"n\":2}\n"
                 "{\"l\":[null,3],\"n\":3}\n");
    free(t);
    t = fmt(b, 2, 4, LS_FMT_NDJSON, false);
    CHECK_STR(t, "{\"l\":null,\"n\":2}\n{\"l\":[null,3],\"n\":3}\n");
    free(t);
    t = fmt(b, 0, 4, LS_FMT_CSV, true);
    CHECK_STR(t, "l,n\n\"[1,2]\",0\n[],1\n,2\n\"[null,3]\",3\n");
    free(t);
    ls_batch_free(b);
    ls_schema_free(s);

    /* ARRAY<ARRAY<INT>>: [[1],[],null], null, [], [null], [[2,3]] */
    s = ddl("ll ARRAY<ARRAY<INT>>");
    b = ls_batch_new(s);
    l = &b->leaves[0];
    CHECK(l->max_def == 5 && l->max_rep == 2);
    ls_leaf_push_i32(l, 0, 1);
    ls_leaf_null(l, 3, 1); /* inner list present, empty */
    ls_leaf_null(l, 2, 1); /* inner list null */
    ls_leaf_null(l, 0, 0);
    ls_leaf_null(l, 1, 0);
    ls_leaf_null(l, 2, 0);
    ls_leaf_push_i32(l, 0, 2);
    ls_leaf_push_i32(l, 2, 3);
    b->n_rows = 5;
    CHECK_OK(ls_batch_validate(b, &err), &err);
    t = fmt(b, 0, 5, LS_FMT_NDJSON, false);
    CHECK_STR(t, "{\"ll\":[[1],[],null]}\n{\"ll\":null}\n{\"ll\":[]}\n{\"ll\":[null]}\n"
                 "{\"ll\":[[2,3]]}\n");
    free(t);
    t = fmt(b, 4, 5, LS_FMT_NDJSON, false);
    CHECK_STR(t, "{\"ll\":[[2,3]]}\n");
    free(t);
    ls_batch_free(b);
    ls_schema_free(s);
}

static void test_maps_structs(void)
{
    ls_schema *s = ddl("m MAP<STRING, INT>, mi MAP<INT, STRING>");
    ls_batch *b = ls_batch_new(s);
    ls_leaf *k = &b->leaves[0], *v = &b->leaves[1], *k2 = &b->leaves[2], *v2 = &b->leaves[3];
    CHECK(k->max_def == 2 && v->max_def == 3);
    /* {"a":1,"b":null}, {}, null */
    push_str(k, 0, "a");
    ls_leaf_push_i32(v, 0, 1);
    push_str(k, 1, "b\"q");
    ls_leaf_null(v, 2, 1);
    ls_leaf_null(k, 1, 0);
    ls_leaf_null(v, 1, 0);
    ls_leaf_null(k, 0, 0);
    ls_leaf_null(v, 0, 0);
    /* mi: {1:"x"}, null, {-2:null} */
    ls_leaf_push_i32(k2, 0, 1);
    push_str(v2, 0, "x");
    ls_leaf_null(k2, 0, 0);
    ls_leaf_null(v2, 0, 0);
    ls_leaf_push_i32(k2, 0, -2);
    ls_leaf_null(v2, 2, 0);
    b->n_rows = 3;
    ls_error err;
    CHECK_OK(ls_batch_validate(b, &err), &err);
    char *t = fmt(b, 0, 3, LS_FMT_NDJSON, false);
    CHECK_STR(t, "{\"m\":{\"a\":1,\"b\\\"q\":null},\"mi\":{\"1\":\"x\"}}\n"
                 "{\"m\":{},\"mi\":null}\n"
                 "{\"m\":null,\"mi\":{\"-2\":null}}\n");
    free(t);
    t = fmt(b, 0, 3, LS_FMT_CSV, true);
    CHECK_STR(t, "m,mi\n\"{\"\"a\"\":1,\"\"b\\\"\"q\"\":null}\",\"{\"\"1\"\":\"\"x\"\"}\"\n"
                 "{},\n,\"{\"\"-2\"\":null}\"\n");
    free(t);
    ls_batch_free(b);
    ls_schema_free(s);

    /* s STRUCT<x: INT, y: ARRAY<STRING>>: null, {null,null}, {1,["a"]}, {2,[]} */
    s = ddl("s STRUCT<x: INT, y: ARRAY<STRING>>");
    b = ls_batch_new(s);
    ls_leaf *x = &b->leaves[0], *y = &b->leaves[1];
    CHECK(x->max_def == 2 && y->max_def == 4);
    ls_leaf_null(x, 0, 0);
    ls_leaf_null(y, 0, 0);
    ls_leaf_null(x, 1, 0);
    ls_leaf_null(y, 1, 0);
    ls_leaf_push_i32(x, 0, 1);
    push_str(y, 0, "a");
    ls_leaf_push_i32(x, 0, 2);
    ls_leaf_null(y, 2, 0);
    b->n_rows = 4;
    CHECK_OK(ls_batch_validate(b, &err), &err);
    t = fmt(b, 0, 4, LS_FMT_NDJSON, false);
    CHECK_STR(t, "{\"s\":null}\n{\"s\":{\"x\":null,\"y\":null}}\n{\"s\":{\"x\":1,\"y\":[\"a\"]}}\n"
                 "{\"s\":{\"x\":2,\"y\":[]}}\n");
    free(t);
    t = fmt(b, 0, 4, LS_FMT_CSV, false);
    CHECK_STR(t, "\n\"{\"\"x\"\":null,\"\"y\"\":null}\"\n\"{\"\"x\"\":1,\"\"y\"\":[\"\"a\"\"]}\"\n"
                 "\"{\"\"x\"\":2,\"\"y\"\":[]}\"\n");
    free(t);
    ls_batch_free(b);
    ls_schema_free(s);
}

static void test_header_and_inconsistent(void)
{
    ls_schema *s = ddl("`a,b` INT, `q\"` INT, l ARRAY<INT>");
    ls_batch *b = ls_batch_new(s);
    ls_leaf_push_i32(&b->leaves[0], 0, 1);
    ls_leaf_push_i32(&b->leaves[1], 0, 2);
    ls_leaf_push_i32(&b->leaves[2], 0, 5);
    b->n_rows = 1;
    char *t = fmt(b, 0, 1, LS_FMT_CSV, true);
    CHECK_STR(t, "\"a,b\",\"q\"\"\",l\n1,2,[5]\n");
    free(t);
    /* levels that disagree with n_rows/values: must fail, never read out of bounds */
    b->n_rows = 2;
    t = fmt(b, 0, 2, LS_FMT_NDJSON, false);
    CHECK(strncmp(t, "ERROR", 5) == 0);
    free(t);
    b->n_rows = 1;
    b->leaves[2].n_values = 0; /* a value the levels promise is missing */
    t = fmt(b, 0, 1, LS_FMT_NDJSON, false);
    CHECK(strncmp(t, "ERROR", 5) == 0);
    free(t);
    b->leaves[2].n_values = 1;
    b->leaves[2].rep[0] = 1; /* row does not start at rep 0 */
    t = fmt(b, 0, 1, LS_FMT_NDJSON, false);
    CHECK(strncmp(t, "ERROR", 5) == 0);
    free(t);
    ls_batch_free(b);
    ls_schema_free(s);
}

int main(void)
{
    RUN(test_flat);
    RUN(test_floats);
    RUN(test_temporal_decimal_binary);
    RUN(test_invalid_utf8);
    RUN(test_lists);
    RUN(test_maps_structs);
    RUN(test_header_and_inconsistent);
    TEST_MAIN_END();
}
