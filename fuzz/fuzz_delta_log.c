/*
 * fuzz_delta_log.c - libFuzzer target for the Delta log read side: the input
 * is a commit file (NDJSON of actions). It goes through the JSON DOM, the
 * action parser and log reconciliation (no files); every parsed action is
 * re-serialized and re-parsed (the serializer must produce a line the parser
 * accepts and that serializes identically), and when replay yields a
 * snapshot its partition values are parsed against the table schema.
 */
#include "delta/dl_int.h"

#include <stdio.h>
#include <stdlib.h>

static char *serialize(const dl_action *a)
{
    ls_buf b = {0};
    switch (a->kind) {
    case DL_ACT_ADD: dl_write_add(&b, &a->u.add); break;
    case DL_ACT_REMOVE: dl_write_remove(&b, &a->u.remove); break;
    case DL_ACT_PROTOCOL: dl_write_protocol(&b, &a->u.protocol); break;
    case DL_ACT_METADATA: dl_write_metadata(&b, &a->u.metadata); break;
    case DL_ACT_TXN: dl_write_txn(&b, &a->u.txn); break;
    case DL_ACT_DOMAIN: dl_write_domain(&b, &a->u.domain); break;
    case DL_ACT_COMMIT_INFO: dl_write_commit_info(&b, &a->u.commit_info); break;
    case DL_ACT_SIDECAR: dl_write_sidecar(&b, &a->u.sidecar); break;
    default: ls_buf_free(&b); return NULL;
    }
    return ls_buf_cstr(&b);
}

static void roundtrip(const dl_action *a)
{
    char *w = serialize(a);
    if (!w)
        return;
    ls_arena ar;
    ls_arena_init(&ar, 4096);
    dl_action b;
    ls_error err = {0};
    size_t n = strlen(w);
    if (dl_action_parse_line(w, n - 1, &ar, &b, &err) != LS_OK || b.kind != a->kind) {
        fprintf(stderr, "re-parse failed: %s\n%s", err.msg, w);
        abort();
    }
    char *w2 = serialize(&b);
    if (!w2 || strcmp(w, w2) != 0) {
        fprintf(stderr, "re-serialization differs:\n%s%s", w, w2 ? w2 : "(null)\n");
        abort();
    }
    free(w2);
    free(w);
    ls_arena_free(&ar);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    ls_arena ar;
    ls_arena_init(&ar, 16 * 1024);
    ls_error err = {0};
    dl_action *acts = NULL;
    size_t n = 0;
    /* the whole buffer as one JSON value too (DOM on arbitrary bytes) */
    ls_json *j;
    if (ls_json_parse((const char *)data, size, &ar, &j, &err) == LS_OK) {
        ls_buf b = {0};
        ls_json_write(j, &b);
        ls_json *j2;
        if (ls_json_parse((const char *)b.data, b.len, &ar, &j2, &err) != LS_OK) {
            fprintf(stderr, "DOM output does not re-parse: %s\n", err.msg);
            abort();
        }
        ls_buf_free(&b);
    }
    if (dl_commit_parse((const char *)data, size, &ar, &acts, &n, &err) == LS_OK) {
        dl_replay *r = dl_replay_new(NULL);
        int rc = LS_OK;
        for (size_t i = 0; i < n; i++) {
            roundtrip(&acts[i]);
            if (rc == LS_OK)
                rc = dl_replay_apply(r, &acts[i], &err);
        }
        ls_delta_snapshot *s = NULL;
        if (rc == LS_OK && dl_replay_finish(r, 0, 0, &s, &err) == LS_OK) {
            const ls_delta_metadata *m = ls_delta_snapshot_metadata(s);
            const ls_schema *sc = ls_delta_snapshot_schema(s);
            ls_buf sj = {0};
            ls_delta_schema_to_json(sc, &sj);
            ls_schema *back = NULL;
            if (ls_delta_schema_parse(ls_buf_cstr(&sj), &back, &err) != LS_OK) {
                fprintf(stderr, "schema JSON does not re-parse: %s\n%s\n", err.msg,
                        ls_buf_cstr(&sj));
                abort();
            }
            ls_schema_free(back);
            ls_buf_free(&sj);
            ls_batch *bt = ls_batch_new(sc);
            for (size_t f = 0; f < ls_delta_snapshot_num_files(s); f++) {
                const ls_delta_add *a = ls_delta_snapshot_file(s, f);
                for (int c = 0; c < m->n_partition_columns; c++) {
                    const ls_field *fld = ls_schema_find(sc, m->partition_columns[c]);
                    if (!fld || fld->leaf_index < 0)
                        continue;
                    bool found;
                    const char *v = ls_kvlist_get(&a->partition_values, fld->name, &found);
                    ls_leaf *l = &bt->leaves[fld->leaf_index];
                    if (ls_delta_partition_value_push(l, v, &err) == LS_OK && v && *v &&
                        l->n_values) {
                        ls_buf out = {0};
                        dl_partition_value_format(l, l->n_values - 1, &out);
                        ls_buf_free(&out);
                    }
                }
                char *rp = ls_delta_resolve_path(NULL, a->path);
                free(rp);
                char *esc = dl_partition_path_escape(a->path);
                ls_buf enc = {0};
                dl_uri_encode_path(esc, &enc);
                char *dec = dl_uri_decode((const char *)enc.data, enc.len);
                if (strcmp(dec, esc) != 0) {
                    fprintf(stderr, "uri encode/decode mismatch: %s\n", esc);
                    abort();
                }
                free(dec);
                ls_buf_free(&enc);
                free(esc);
            }
            ls_batch_free(bt);
            ls_delta_snapshot_free(s);
        }
        dl_replay_free(r);
    }
    ls_arena_free(&ar);
    return 0;
}
