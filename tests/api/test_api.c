/* test_api.c - the public API of include/lakestream.h, used only through that header. */
#include "lakestream.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[512];

static void test_create_append_read(void)
{
    ls_error err = {0};
    char uri[600];
    snprintf(uri, sizeof uri, "%s/t1", root);
    CHECK(strncmp(ls_version(), "lakestream version ", 19) == 0);
    CHECK_OK(ls_table_create(uri, "id BIGINT, kind STRING, tags ARRAY<STRING>", "kind", &err), &err);
    CHECK(ls_table_create(uri, "id BIGINT", NULL, &err) == LS_ERR_EXISTS);
    const char *rows = "{\"id\":1,\"kind\":\"a\",\"tags\":[\"x\"]}\n{\"id\":2,\"kind\":\"b\",\"tags\":[]}\n";
    int committed = 0;
    int64_t v = -1;
    CHECK_OK(ls_table_append_ndjson(uri, rows, strlen(rows), "app", 1, &committed, &v, &err), &err);
    CHECK(committed == 1 && v == 1);
    /* the same transaction again is skipped: exactly once */
    CHECK_OK(ls_table_append_ndjson(uri, rows, strlen(rows), "app", 1, &committed, &v, &err), &err);
    CHECK(committed == 0 && v == 1);
    /* a bad value names the line and commits nothing */
    const char *bad = "{\"id\":3,\"kind\":\"a\"}\n{\"id\":\"x\",\"kind\":\"a\"}\n";
    CHECK(ls_table_append_ndjson(uri, bad, strlen(bad), NULL, 0, &committed, &v, &err) ==
          LS_ERR_INVALID);
    CHECK_MSG(strstr(err.msg, "line 2") != NULL, "%s", err.msg);
    CHECK_OK(ls_table_version(uri, &v, &err), &err);
    CHECK(v == 1);
    char *out = NULL;
    size_t n = 0;
    CHECK_OK(ls_table_read_ndjson(uri, -1, "id > 1", "id,tags", &out, &n, &err), &err);
    CHECK_STR(out, "{\"id\":2,\"tags\":[]}\n");
    free(out);
    CHECK_OK(ls_table_read_ndjson(uri, 0, NULL, NULL, &out, &n, &err), &err);
    CHECK(out && n == 0);
    free(out);
    CHECK(ls_table_read_ndjson(uri, 7, NULL, NULL, &out, &n, &err) != LS_OK);
}

int main(void)
{
    snprintf(root, sizeof root, "%s/api.%d", getenv("LS_TMP") ? getenv("LS_TMP") : "/tmp",
             (int)getpid());
    RUN(test_create_append_read);
    TEST_MAIN_END();
}
