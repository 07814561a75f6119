/*
 * cmd_parquet.c - `lakestream parquet write|meta|cat FILE`: single Parquet
 * files, outside any table. `write` streams NDJSON through the column
 * shredder into the Parquet writer with bounded memory; the output appears
 * atomically, so a failure leaves no half-written file behind.
 */
#include "cli.h"
#include "parquet/pq_codec.h"
#include "parquet/pq_meta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static int infer_from_sample(cli_input *src, uint64_t max_lines, ls_schema **schema, ls_error *err)
{
    ls_infer *inf = ls_infer_new();
    uint64_t line_no = 0;
    size_t pos = 0; /* offset into buf (from head) already sampled */
    int rc = LS_OK;
    while (rc == LS_OK && line_no < max_lines) {
        const char *p = (const char *)src->buf.data + src->head;
        size_t n = src->buf.len - src->head;
        while (pos < n && line_no < max_lines) {
            const char *nl = memchr(p + pos, '\n', n - pos);
            if (!nl && !src->eof)
                break;
            size_t end = nl ? (size_t)(nl - p) : n;
            size_t len = end - pos;
            if (len && p[pos + len - 1] == '\r')
                len--;
            line_no++;
            bool blank = true;
            for (size_t i = 0; i < len && blank; i++)
                blank = p[pos + i] == ' ' || p[pos + i] == '\t';
            if (!blank && (rc = ls_infer_line(inf, p + pos, len, line_no, err)))
                break;
            pos = nl ? end + 1 : n;
        }
        if (rc || src->eof || line_no >= max_lines)
            break;
        /* need more data: nothing is consumed yet (head == 0), so the sample stays
         * buffered and is parsed again for real after inference */
        rc = cli_input_fill(src, err);
    }
    if (rc == LS_OK)
        rc = ls_infer_schema(inf, schema, err);
    ls_infer_free(inf);
    return rc;
}

int cmd_parquet_write(int argc, char **argv)
{
    const char *cmd = "parquet write";
    const char *input = NULL, *ddl = NULL, *codec_name = "zstd", *level_s = NULL;
    const char *rg_s = NULL, *page_s = NULL, *infer_s = NULL;
    bool no_dict = false, no_index = false, durable = false;
    cli_opt opts[] = {
        OPT_VAL("input", &input),
        OPT_VAL("schema", &ddl),
        OPT_VAL("codec", &codec_name),
        OPT_VAL("compression-level", &level_s),
        OPT_VAL("row-group-size", &rg_s),
        OPT_VAL("page-size", &page_s),
        OPT_VAL("infer-rows", &infer_s),
        OPT_FLAG("no-dictionary", &no_dict),
        OPT_FLAG("no-page-index", &no_index),
        OPT_FLAG("fsync", &durable),
    };
    const char *pos[1];
    int npos, rc;
    if ((rc = cli_parse(argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 1, &npos, cmd)))
        return rc;
    if (npos != 1)
        return cli_usage_error(cmd, "expected the output file: parquet write OUT.parquet --input IN.ndjson");
    if (!input)
        return cli_usage_error(cmd, "--input is required (a file, or - for stdin)");
    const char *out_path = pos[0];
    cli_use_huge_pages();
    ls_pq_writer_opts wo;
    ls_pq_writer_opts_default(&wo);
    wo.codec = pq_codec_from_name(codec_name);
    if (wo.codec < 0 || wo.codec == PQ_CODEC_LZO || wo.codec == PQ_CODEC_LZ4)
        return cli_usage_error(cmd, "unsupported codec '%s' (zstd, snappy, gzip, none, lz4_raw, brotli)",
                               codec_name);
    if (level_s) {
        char *end;
        long lv = strtol(level_s, &end, 10);
        if (*end || lv < -50 || lv > 22)
            return cli_usage_error(cmd, "--compression-level: invalid '%s'", level_s);
        wo.level = (int)lv;
    }
    if (rg_s && (rc = cli_parse_u64(cmd, "row-group-size", rg_s, &wo.row_group_bytes)))
        return rc;
    if (page_s && (rc = cli_parse_u64(cmd, "page-size", page_s, &wo.page_bytes)))
        return rc;
    if (rg_s && wo.row_group_bytes < 1024)
        return cli_usage_error(cmd, "--row-group-size must be at least 1024 bytes");
    uint64_t infer_rows = 100000;
    if (infer_s && (rc = cli_parse_u64(cmd, "infer-rows", infer_s, &infer_rows)))
        return rc;
    wo.dictionary = !no_dict;
    wo.page_index = !no_index;

    ls_error err = {0};
    cli_input src;
    if (cli_input_open(&src, input, &err))
        return cli_fail(cmd, &err);
    ls_schema *schema = NULL;
    ls_output *out = NULL;
    ls_pq_writer *w = NULL;
    ls_json_reader *jr = NULL;
    ls_batch *batch = NULL;
    cli_progress prog;
    cli_progress_init(&prog, "parquet write");
    uint64_t line_no = 1, bytes_in = 0;

    if ((rc = cli_input_fill(&src, &err)))
        goto fail;
    if (ddl) {
        if ((rc = ls_schema_parse_ddl(ddl, &schema, &err)))
            goto fail;
    } else {
        if ((rc = infer_from_sample(&src, infer_rows, &schema, &err)))
            goto fail;
    }
    if ((rc = ls_output_open_file(out_path, &out, &err)))
        goto fail;
    /* like cp and other converters, no fsync unless asked: the file still appears
     * whole or not at all (temp file + rename) */
    ls_output_set_durable(out, durable);
    if ((rc = ls_pq_writer_new(out, schema, &wo, &w, &err)))
        goto fail;
    ls_json_opts jo = {.strict = true, .ignore_unknown_fields = false};
    jr = ls_json_reader_new(schema, &jo);
    batch = ls_batch_new(schema);
    for (;;) {
        size_t n = cli_input_complete(&src);
        if (n > 0) {
            uint64_t lines = 0;
            rc = ls_json_read_buffer(jr, batch, (const char *)src.buf.data + src.head, n, line_no,
                                     &lines, &err);
            if (rc) {
                ls_err_prefix(&err, "%s", src.name);
                goto fail;
            }
            line_no += lines;
            src.head += n;
            bytes_in += n;
            if ((rc = ls_pq_writer_write(w, batch, &err)))
                goto fail;
            ls_batch_reset(batch);
            cli_progress_update(&prog, ls_pq_writer_rows(w), bytes_in);
        }
        if (src.eof && src.head == src.buf.len)
            break;
        if ((rc = cli_input_fill(&src, &err)))
            goto fail;
    }
    if ((rc = ls_pq_writer_close(w, &err)))
        goto fail;
    uint64_t rows = ls_pq_writer_rows(w);
    ls_pq_writer_free(w);
    w = NULL;
    rc = ls_output_commit(out, &err);
    out = NULL;
    if (rc)
        goto fail;
    cli_progress_done(&prog);
    if (prog.enabled)
        fprintf(stderr, "wrote %llu rows to %s\n", (unsigned long long)rows, out_path);
    ls_batch_free(batch);
    ls_json_reader_free(jr);
    ls_schema_free(schema);
    cli_input_close(&src);
    return 0;
fail:
    cli_progress_done(&prog);
    ls_pq_writer_free(w);
    if (out)
        ls_output_abort(out);
    ls_batch_free(batch);
    ls_json_reader_free(jr);
    ls_schema_free(schema);
    cli_input_close(&src);
    return cli_fail(cmd, &err);
}

int cmd_parquet_meta(int argc, char **argv)
{
    const char *cmd = "parquet meta";
    const char *pos[1];
    int npos, rc;
    if ((rc = cli_parse(argc, argv, NULL, 0, pos, 1, &npos, cmd)))
        return rc;
    if (npos != 1)
        return cli_usage_error(cmd, "expected a file: parquet meta FILE");
    ls_error err = {0};
    ls_input *in = NULL;
    if ((rc = ls_input_open_file(pos[0], &in, &err)))
        return cli_fail(cmd, &err);
    ls_buf out = {0};
    rc = ls_pq_meta_json(in, &out, &err);
    ls_input_free(in);
    if (rc) {
        ls_buf_free(&out);
        return cli_fail(cmd, &err);
    }
    fwrite(out.data, 1, out.len, stdout);
    if (out.len && out.data[out.len - 1] != '\n')
        fputc('\n', stdout);
    ls_buf_free(&out);
    return 0;
}

static int split_columns(const char *s, char ***out, int *n)
{
    int cap = 8, cnt = 0;
    char **v = ls_xmalloc((size_t)cap * sizeof(char *));
    const char *p = s;
    while (*p) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        if (len) {
            if (cnt == cap) {
                cap *= 2;
                v = ls_xrealloc(v, (size_t)cap * sizeof(char *));
            }
            v[cnt++] = ls_xstrndup(p, len);
        }
        if (!c)
            break;
        p = c + 1;
    }
    *out = v;
    *n = cnt;
    return 0;
}

int cmd_parquet_cat(int argc, char **argv)
{
    const char *cmd = "parquet cat";
    const char *columns = NULL, *limit_s = NULL, *format = "ndjson";
    cli_opt opts[] = {
        OPT_VAL("columns", &columns),
        OPT_VAL("limit", &limit_s),
        OPT_VAL("format", &format),
    };
    const char *pos[1];
    int npos, rc;
    if ((rc = cli_parse(argc, argv, opts, 3, pos, 1, &npos, cmd)))
        return rc;
    if (npos != 1)
        return cli_usage_error(cmd, "expected a file: parquet cat FILE");
    ls_text_format fmt;
    if (!strcmp(format, "ndjson") || !strcmp(format, "json"))
        fmt = LS_FMT_NDJSON;
    else if (!strcmp(format, "csv"))
        fmt = LS_FMT_CSV;
    else
        return cli_usage_error(cmd, "--format must be ndjson or csv");
    uint64_t limit = UINT64_MAX;
    if (limit_s) {
        char *end;
        unsigned long long v = strtoull(limit_s, &end, 10);
        if (*end || limit_s[0] == '-')
            return cli_usage_error(cmd, "--limit: invalid '%s'", limit_s);
        limit = v;
    }
    ls_error err = {0};
    ls_input *in = NULL;
    ls_pq_reader *r = NULL;
    ls_batch *batch = NULL;
    char **cols = NULL;
    int ncols = 0;
    ls_buf out = {0};
    if ((rc = ls_input_open_file(pos[0], &in, &err)))
        return cli_fail(cmd, &err);
    ls_pq_read_opts ro;
    ls_pq_read_opts_default(&ro);
    if ((rc = ls_pq_reader_open(in, &ro, &r, &err)))
        goto done;
    if (columns) {
        split_columns(columns, &cols, &ncols);
        if ((rc = ls_pq_reader_project(r, (const char *const *)cols, ncols, &err)))
            goto done;
    }
    batch = ls_batch_new(ls_pq_reader_out_schema(r));
    uint64_t emitted = 0;
    bool header = fmt == LS_FMT_CSV;
    while (emitted < limit) {
        bool eof = false;
        if ((rc = ls_pq_reader_next(r, batch, &eof, &err)))
            goto done;
        if (eof)
            break;
        size_t n = batch->n_rows;
        if ((uint64_t)n > limit - emitted)
            n = (size_t)(limit - emitted);
        out.len = 0;
        if ((rc = ls_batch_format(batch, 0, n, fmt, header, &out, &err)))
            goto done;
        header = false;
        if (fwrite(out.data, 1, out.len, stdout) != out.len) {
            rc = ls_err(&err, LS_ERR_IO, "writing to stdout failed");
            goto done;
        }
        emitted += n;
    }
    if (header) { /* no rows: CSV still gets its header */
        out.len = 0;
        ls_batch_reset(batch);
        rc = ls_batch_format(batch, 0, 0, fmt, true, &out, &err);
        fwrite(out.data, 1, out.len, stdout);
    }
done:
    for (int i = 0; i < ncols; i++)
        free(cols[i]);
    free(cols);
    ls_buf_free(&out);
    ls_batch_free(batch);
    ls_pq_reader_free(r);
    ls_input_free(in);
    if (fflush(stdout) != 0 && rc == 0)
        rc = ls_err(&err, LS_ERR_IO, "writing to stdout failed");
    return rc ? cli_fail(cmd, &err) : 0;
}
