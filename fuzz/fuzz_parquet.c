/*
 * fuzz_parquet.c - libFuzzer target for the whole Parquet read path: footer,
 * schema mapping, page decoding, batch assembly (pq_reader.c) plus the text
 * formatter (col_fmt.c) and ls_pq_meta_json, on whole files held in memory.
 *
 * Invariants checked (abort() so the fuzzer reports them): every batch the
 * reader returns passes ls_batch_validate, and a failed read leaves a message.
 * Limits are set low (1 MiB pages) so memory stays well under -rss_limit_mb.
 *
 * Build: see fuzz/run.sh (clang -fsanitize=fuzzer,address,undefined, all of src/
 * except src/cli). Seeds: the shared corpus data/ and bad_data/ directories.
 */
#include "parquet/parquet.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ls_input *in = ls_input_from_memory(data, size, "fuzz.parquet");
    ls_error err = {0};
    ls_buf text = {0};
    (void)ls_pq_meta_json(in, &text, &err);
    ls_buf_reset(&text);

    ls_pq_read_opts o;
    ls_pq_read_opts_default(&o);
    o.max_page_bytes = 1 << 20;
    o.batch_rows = 1 + size % 61; /* small, varying batches: rows cut across pages */
    o.verify_crc = (size & 64) != 0;
    ls_pq_reader *r = NULL;
    int rc = ls_pq_reader_open(in, &o, &r, &err);
    if (rc) {
        if (!err.msg[0])
            abort();
    } else {
        ls_batch *b = ls_batch_new(ls_pq_reader_out_schema(r));
        bool eof = false;
        uint64_t rows = 0;
        while ((rc = ls_pq_reader_next(r, b, &eof, &err)) == LS_OK && !eof) {
            ls_error e2;
            if (ls_batch_validate(b, &e2) != LS_OK)
                abort();
            rows += b->n_rows;
            ls_buf_reset(&text);
            (void)ls_batch_format(b, 0, b->n_rows, (rows & 1) ? LS_FMT_CSV : LS_FMT_NDJSON,
                                  true, &text, &e2);
        }
        if (rc && !err.msg[0])
            abort();
        ls_batch_free(b);
        ls_pq_reader_free(r);
    }
    ls_buf_free(&text);
    ls_input_free(in);
    return 0;
}
