/* test_schema.c - DDL parsing/printing, level computation, batch slicing. */
#include "col/col.h"
#include "test.h"

static void test_ddl_roundtrip(void)
{
    ls_error err = {0};
    ls_schema *s = NULL;
    const char *ddl = "id BIGINT NOT NULL, ts TIMESTAMP, tags ARRAY<STRING>, "
                      "geo STRUCT<lat: DOUBLE, lon: DOUBLE>, attrs MAP<STRING, STRING>, "
                      "d DECIMAL(38,10), `odd name` INT, n TIMESTAMP_NTZ, b BINARY, dt DATE, "
                      "x ARRAY<STRUCT<a: TINYINT, b: ARRAY<SMALLINT NOT NULL>>>, f FLOAT, ok BOOLEAN";
    CHECK_OK(ls_schema_parse_ddl(ddl, &s, &err), &err);
    if (!s)
        return;
    ls_buf b = {0};
    ls_schema_to_ddl(s, &b);
    CHECK_STR((char *)b.data,
              "id BIGINT NOT NULL, ts TIMESTAMP, tags ARRAY<STRING>, geo STRUCT<lat: DOUBLE, lon: "
              "DOUBLE>, attrs MAP<STRING, STRING>, d DECIMAL(38,10), `odd name` INT, n "
              "TIMESTAMP_NTZ, b BINARY, dt DATE, x ARRAY<STRUCT<a: TINYINT, b: ARRAY<SMALLINT NOT "
              "NULL>>>, f FLOAT, ok BOOLEAN");
    ls_schema *s2 = NULL;
    CHECK_OK(ls_schema_parse_ddl((char *)b.data, &s2, &err), &err);
    CHECK(s2 && ls_field_equal(&s->root, &s2->root));
    CHECK(s->n_leaves == 16);
    /* levels */
    ls_field *id = ls_schema_find(s, "id");
    CHECK(id->def_level == 0 && id->rep_level == 0);
    ls_field *tags = ls_schema_find(s, "tags");
    CHECK(tags->children[0].def_level == 3 && tags->children[0].rep_level == 1);
    ls_field *x = ls_schema_find(s, "x");
    ls_field *xb = &x->children[0].children[1].children[0];
    CHECK_MSG(xb->def_level == 5 && xb->rep_level == 2, "def %d rep %d", xb->def_level,
              xb->rep_level);
    ls_field *attrs = ls_schema_find(s, "attrs");
    CHECK(attrs->children[0].def_level == 2 && attrs->children[1].def_level == 3);
    char *p = ls_field_path(xb);
    CHECK_STR(p, "x.element.b.element");
    free(p);
    ls_buf_free(&b);
    ls_schema_free(s);
    ls_schema_free(s2);
}

static void test_ddl_errors(void)
{
    ls_error err = {0};
    ls_schema *s = NULL;
    CHECK(ls_schema_parse_ddl("a FOO", &s, &err) == LS_ERR_INVALID);
    CHECK(strstr(err.msg, "unknown type 'FOO'") != NULL);
    CHECK(ls_schema_parse_ddl("a DECIMAL(40,2)", &s, &err) == LS_ERR_INVALID);
    CHECK(ls_schema_parse_ddl("a INT, a BIGINT", &s, &err) == LS_ERR_INVALID);
    CHECK(strstr(err.msg, "duplicate") != NULL);
    CHECK(ls_schema_parse_ddl("a ARRAY<INT", &s, &err) == LS_ERR_INVALID);
    CHECK(ls_schema_parse_ddl("", &s, &err) == LS_ERR_INVALID);
    CHECK(ls_schema_parse_ddl("a INT,", &s, &err) == LS_ERR_INVALID);
    /* deep nesting is refused, not a stack overflow */
    ls_buf b = {0};
    ls_buf_puts(&b, "a ");
    for (int i = 0; i < 5000; i++)
        ls_buf_puts(&b, "ARRAY<");
    CHECK(ls_schema_parse_ddl(ls_buf_cstr(&b), &s, &err) == LS_ERR_LIMIT);
    ls_buf_free(&b);
}

static void test_batch_slice(void)
{
    ls_error err = {0};
    ls_schema *s = NULL;
    CHECK_OK(ls_schema_parse_ddl("id INT NOT NULL, tags ARRAY<STRING>", &s, &err), &err);
    ls_batch *b = ls_batch_new(s);
    for (int r = 0; r < 100; r++) {
        ls_leaf_push_i32(&b->leaves[0], 0, r);
        ls_leaf *t = &b->leaves[1];
        if (r % 3 == 0)
            ls_leaf_null(t, 0, 0); /* null list */
        else if (r % 3 == 1)
            ls_leaf_null(t, 1, 0); /* empty list */
        else
            for (int k = 0; k < r % 5 + 1; k++)
                ls_leaf_push_bytes(t, k ? 1 : 0, "abcdef", (size_t)(k + 1));
        b->n_rows++;
    }
    CHECK_OK(ls_batch_validate(b, &err), &err);
    ls_batch *c = ls_batch_new(s);
    ls_batch_append_rows(c, b, 10, 20);
    ls_batch_append_rows(c, b, 95, 200);
    CHECK(c->n_rows == 15);
    CHECK_OK(ls_batch_validate(c, &err), &err);
    CHECK(((int32_t *)c->leaves[0].values)[10] == 95);
    size_t before = c->leaves[1].n;
    ls_leaf_truncate(&c->leaves[1], before - 1);
    CHECK(c->leaves[1].n == before - 1);
    ls_batch_free(b);
    ls_batch_free(c);
    ls_schema_free(s);
}

static void test_time(void)
{
    int64_t us;
    bool tz;
    CHECK(ls_parse_timestamp("2026-01-02T03:04:05.123456Z", 27, &us, &tz) && tz);
    char out[40];
    ls_format_timestamp(us, true, out);
    CHECK_STR(out, "2026-01-02T03:04:05.123456Z");
    CHECK(ls_parse_timestamp("2026-01-02 03:04:05+02:00", 25, &us, &tz) && tz);
    ls_format_timestamp(us, true, out);
    CHECK_STR(out, "2026-01-02T01:04:05.000000Z");
    CHECK(ls_parse_timestamp("1969-12-31T23:59:59.999999Z", 27, &us, &tz) && us == -1);
    CHECK(!ls_parse_timestamp("2026-02-30T00:00:00Z", 20, &us, &tz));
    int32_t d;
    CHECK(ls_parse_date("2000-02-29", 10, &d) && d == 11016);
    ls_format_date(-1, out);
    CHECK_STR(out, "1969-12-31");
    uint64_t sz;
    CHECK(ls_parse_size("128MiB", &sz, NULL) == 0 && sz == 128u << 20);
}

int main(void)
{
    RUN(test_ddl_roundtrip);
    RUN(test_ddl_errors);
    RUN(test_batch_slice);
    RUN(test_time);
    TEST_MAIN_END();
}
