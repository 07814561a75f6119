/*
 * ing_manifest.c - a source's position, as committed in the domainMetadata
 * action `lakestream.ingest.<app-id>` of every ingest commit:
 *
 *   {"v":1,"source":"/landing","batch":12,
 *    "files":[[0,"a/ev-0001.json",1234,1717000000000],[10,"2.json",99,1717000000100]],
 *    "partial":["big.json.gz",123456,1717000000200,8388608,40211],
 *    "stream":[offset,lines], "segment":[n,offset,lines,"head",[[1024,"fp"],[4096,"fp"]]],
 *    "input_schema":"DDL"}
 *
 * files: every fully ingested file by name, size and mtime (ms), sorted by
 * name and front-coded (shared-prefix length with the previous name, rest) to
 * keep commits small; partial: the file being ingested when the batch was cut
 * and the decompressed byte offset / line number reached; stream: bytes and
 * lines of stdin committed in total; segment: the stdin stream being continued
 * (its number, the totals where it starts, its first 128 bytes in hex and the
 * XXH3 (16 hex digits) of its first 1024 and 4096 bytes, or fewer when fewer
 * are committed, so that a restart can tell a replay of it from new data).
 * Decoding validates everything (the log is input).
 */
#include "ingest.h"

#include <inttypes.h>
#include <stdlib.h>

void ls_manifest_init(ls_manifest *m)
{
    memset(m, 0, sizeof *m);
    m->cap = 64;
    m->slots = ls_xcalloc(m->cap, sizeof(ls_mf_file));
}

void ls_manifest_free(ls_manifest *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].name);
    free(m->slots);
    free(m->partial.name);
    free(m->source);
    free(m->input_schema);
    memset(m, 0, sizeof *m);
}

static uint64_t name_hash(const char *s) { return ls_hash64(s, strlen(s), 11); }

static size_t probe(const ls_manifest *m, const char *name)
{
    size_t mask = m->cap - 1, i = name_hash(name) & mask;
    while (m->slots[i].name && strcmp(m->slots[i].name, name) != 0)
        i = (i + 1) & mask;
    return i;
}

const ls_mf_file *ls_manifest_find(const ls_manifest *m, const char *name)
{
    if (!m->slots)
        return NULL;
    size_t i = probe(m, name);
    return m->slots[i].name ? &m->slots[i] : NULL;
}

static void grow(ls_manifest *m)
{
    ls_mf_file *old = m->slots;
    size_t oc = m->cap;
    m->cap *= 2;
    m->slots = ls_xcalloc(m->cap, sizeof(ls_mf_file));
    for (size_t i = 0; i < oc; i++)
        if (old[i].name)
            m->slots[probe(m, old[i].name)] = old[i];
    free(old);
}

void ls_manifest_put(ls_manifest *m, const char *name, uint64_t size, int64_t mtime_ms)
{
    if (!m->slots)
        ls_manifest_init(m);
    if ((m->n_files + 1) * 4 > m->cap * 3)
        grow(m);
    size_t i = probe(m, name);
    if (!m->slots[i].name) {
        m->slots[i].name = ls_xstrdup(name);
        m->n_files++;
    }
    m->slots[i].size = size;
    m->slots[i].mtime_ms = mtime_ms;
}

bool ls_manifest_remove(ls_manifest *m, const char *name)
{
    if (!m->slots)
        return false;
    size_t mask = m->cap - 1, i = probe(m, name);
    if (!m->slots[i].name)
        return false;
    free(m->slots[i].name);
    m->slots[i].name = NULL;
    m->n_files--;
    /* backward-shift deletion keeps probe chains intact without tombstones */
    for (size_t j = (i + 1) & mask; m->slots[j].name; j = (j + 1) & mask) {
        size_t home = name_hash(m->slots[j].name) & mask;
        bool between = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            m->slots[i] = m->slots[j];
            m->slots[j].name = NULL;
            i = j;
        }
    }
    return true;
}

void ls_manifest_set_partial(ls_manifest *m, const char *name, uint64_t size, int64_t mtime,
                             uint64_t offset, uint64_t line)
{
    char *n = ls_xstrdup(name);
    free(m->partial.name);
    m->partial.name = n;
    m->partial.size = size;
    m->partial.mtime_ms = mtime;
    m->partial_offset = offset;
    m->partial_line = line;
    m->has_partial = true;
}

void ls_manifest_clear_partial(ls_manifest *m)
{
    free(m->partial.name);
    memset(&m->partial, 0, sizeof m->partial);
    m->partial_offset = m->partial_line = 0;
    m->has_partial = false;
}

void ls_manifest_set_fingerprints(ls_manifest *m, const char *p, size_t n)
{
    static const uint64_t levels[LS_STREAM_FP_LEVELS] = {1024, LS_ING_PREFIX_MAX};
    uint64_t seg = m->stream_offset - m->seg_offset;
    uint64_t top = seg < LS_ING_PREFIX_MAX ? seg : LS_ING_PREFIX_MAX;
    uint64_t have = m->n_fp ? m->fp_len[m->n_fp - 1] : m->head_len;
    if (top == 0 || n < top || have == top)
        return; /* nothing committed, bytes not at hand, or up to date */
    m->head_len = top < LS_STREAM_HEAD ? (size_t)top : LS_STREAM_HEAD;
    memcpy(m->head, p, m->head_len);
    m->n_fp = 0;
    for (int i = 0; i < LS_STREAM_FP_LEVELS; i++) {
        uint64_t l = levels[i] < top ? levels[i] : top;
        if (l <= (m->n_fp ? m->fp_len[m->n_fp - 1] : m->head_len))
            continue;
        m->fp_len[m->n_fp] = l;
        m->fp[m->n_fp++] = ls_hash64(p, (size_t)l, LS_STREAM_FP_SEED);
    }
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(const ls_mf_file *const *)a)->name, (*(const ls_mf_file *const *)b)->name);
}

void ls_manifest_encode(const ls_manifest *m, ls_buf *out)
{
    ls_buf_printf(out, "{\"v\":1,\"source\":");
    const char *src = m->source ? m->source : "";
    ls_buf_json_str(out, src, strlen(src));
    ls_buf_printf(out, ",\"batch\":%" PRId64 ",\"files\":[", m->batch);
    const ls_mf_file **v = ls_xmalloc((m->n_files ? m->n_files : 1) * sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].name)
            v[k++] = &m->slots[i];
    qsort(v, k, sizeof(*v), cmp_name);
    const char *prev = "";
    for (size_t i = 0; i < k; i++) {
        const char *n = v[i]->name;
        size_t shared = 0;
        while (prev[shared] && prev[shared] == n[shared])
            shared++;
        /* never split a UTF-8 sequence: the suffix must be valid text on its own */
        while (shared > 0 && ((unsigned char)n[shared] & 0xC0) == 0x80)
            shared--;
        ls_buf_printf(out, "%s[%zu,", i ? "," : "", shared);
        ls_buf_json_str(out, n + shared, strlen(n + shared));
        ls_buf_printf(out, ",%" PRIu64 ",%" PRId64 "]", v[i]->size, v[i]->mtime_ms);
        prev = n;
    }
    free(v);
    ls_buf_putc(out, ']');
    if (m->has_partial) {
        ls_buf_puts(out, ",\"partial\":[");
        ls_buf_json_str(out, m->partial.name, strlen(m->partial.name));
        ls_buf_printf(out, ",%" PRIu64 ",%" PRId64 ",%" PRIu64 ",%" PRIu64 "]", m->partial.size,
                      m->partial.mtime_ms, m->partial_offset, m->partial_line);
    }
    if (m->stream_offset || m->stream_lines)
        ls_buf_printf(out, ",\"stream\":[%" PRIu64 ",%" PRIu64 "]", m->stream_offset,
                      m->stream_lines);
    if (m->stream_offset || m->stream_lines || m->seg_no) {
        ls_buf_printf(out, ",\"segment\":[%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",\"", m->seg_no,
                      m->seg_offset, m->seg_lines);
        for (size_t i = 0; i < m->head_len; i++)
            ls_buf_printf(out, "%02x", m->head[i]);
        ls_buf_puts(out, "\",[");
        for (int i = 0; i < m->n_fp; i++)
            ls_buf_printf(out, "%s[%" PRIu64 ",\"%016" PRIx64 "\"]", i ? "," : "", m->fp_len[i],
                          m->fp[i]);
        ls_buf_puts(out, "]]");
    }
    if (m->input_schema) {
        ls_buf_puts(out, ",\"input_schema\":");
        ls_buf_json_str(out, m->input_schema, strlen(m->input_schema));
    }
    ls_buf_putc(out, '}');
}

static bool get_u64(const ls_json *v, uint64_t *out)
{
    int64_t x;
    if (!ls_json_int64(v, &x) || x < 0)
        return false;
    *out = (uint64_t)x;
    return true;
}

int ls_manifest_decode(const char *json, ls_manifest *m, ls_error *err)
{
    ls_manifest_init(m);
    ls_arena a;
    ls_arena_init(&a, 64 * 1024);
    ls_json *root = NULL;
    int rc = ls_json_parse(json, strlen(json), &a, &root, err);
    if (rc) {
        ls_err_prefix(err, "ingest manifest");
        goto out;
    }
    int64_t ver = 0;
    if (root->type != LS_JSON_OBJECT || !ls_json_int64(ls_json_get(root, "v"), &ver)) {
        rc = ls_err(err, LS_ERR_CORRUPT, "ingest manifest: not an object with a version");
        goto out;
    }
    if (ver != 1) {
        rc = ls_err(err, LS_ERR_UNSUPPORTED, "ingest manifest version %" PRId64
                                             " (this lakestream reads version 1)",
                    ver);
        goto out;
    }
    /* optional strings: absent is fine, any other type is corruption (not silently "") */
    const ls_json *sv = ls_json_get(root, "source"), *iv = ls_json_get(root, "input_schema");
    if ((sv && sv->type != LS_JSON_STRING) || (iv && iv->type != LS_JSON_STRING)) {
        rc = ls_err(err, LS_ERR_CORRUPT, "ingest manifest: '%s' is not a string",
                    sv && sv->type != LS_JSON_STRING ? "source" : "input_schema");
        goto out;
    }
    const char *src = ls_json_str(sv);
    m->source = ls_xstrdup(src ? src : "");
    if (!ls_json_int64(ls_json_get(root, "batch"), &m->batch) || m->batch < 0) {
        rc = ls_err(err, LS_ERR_CORRUPT, "ingest manifest: bad 'batch'");
        goto out;
    }
    const ls_json *files = ls_json_get(root, "files");
    if (!files || files->type != LS_JSON_ARRAY) {
        rc = ls_err(err, LS_ERR_CORRUPT, "ingest manifest: 'files' is not an array");
        goto out;
    }
    ls_buf name = {0};
    for (size_t i = 0; i < files->n; i++) {
        const ls_json *e = &files->items[i];
        uint64_t shared, size;
        int64_t mtime;
        const char *suffix = e->type == LS_JSON_ARRAY && e->n == 4 ? ls_json_str(&e->items[1])
                                                                    : NULL;
        if (!suffix || !get_u64(&e->items[0], &shared) || !get_u64(&e->items[2], &size) ||
            !ls_json_int64(&e->items[3], &mtime) || shared > name.len) {
            rc = ls_err(err, LS_ERR_CORRUPT, "ingest manifest: bad file entry %zu (expected "
                                                 "[shared, \"suffix\", size, mtime])", i);
            break;
        }
        name.len = (size_t)shared;
        ls_buf_append(&name, suffix, e->items[1].len);
        if (name.len == 0 || memchr(name.data, 0, name.len)) {
            rc = ls_err(err, LS_ERR_CORRUPT, "ingest manifest: bad file name in entry %zu", i);
            break;
        }
        ls_manifest_put(m, ls_buf_cstr(&name), size, mtime);
    }
    ls_buf_free(&name);
    if (rc)
        goto out;
    const ls_json *p = ls_json_get(root, "partial");
    if (p) {
        const char *pn = p->type == LS_JSON_ARRAY && p->n == 5 ? ls_json_str(&p->items[0]) : NULL;
        uint64_t size, off, line;
        int64_t mtime;
        if (!pn || !*pn || memchr(pn, 0, p->items[0].len) || !get_u64(&p->items[1], &size) ||
            !ls_json_int64(&p->items[2], &mtime) || !get_u64(&p->items[3], &off) ||
            !get_u64(&p->items[4], &line)) {
            rc = ls_err(err, LS_ERR_CORRUPT, "ingest manifest: bad 'partial' (expected [name, "
                                             "size, mtime, offset, line], sizes 0..2^63-1)");
            goto out;
        }
        ls_manifest_set_partial(m, pn, size, mtime, off, line);
    }
    const ls_json *s = ls_json_get(root, "stream");
    if (s) {
        if (s->type != LS_JSON_ARRAY || s->n != 2 || !get_u64(&s->items[0], &m->stream_offset) ||
            !get_u64(&s->items[1], &m->stream_lines)) {
            rc = ls_err(err, LS_ERR_CORRUPT, "ingest manifest: bad 'stream' (expected [bytes, "
                                             "lines], 0..2^63-1)");
            goto out;
        }
    }
    const ls_json *g = ls_json_get(root, "segment");
    if (g) {
        const ls_json *fps = g->type == LS_JSON_ARRAY && g->n == 5 ? &g->items[4] : NULL;
        const char *head = fps ? ls_json_str(&g->items[3]) : NULL;
        size_t hl = head ? g->items[3].len : 0;
        bool ok = head && fps->type == LS_JSON_ARRAY && fps->n <= LS_STREAM_FP_LEVELS &&
                  get_u64(&g->items[0], &m->seg_no) && get_u64(&g->items[1], &m->seg_offset) &&
                  get_u64(&g->items[2], &m->seg_lines);
        /* the segment lies within the totals; head and fingerprints within the segment,
         * fingerprints longer than the head, by increasing length */
        ok = ok && m->seg_offset <= m->stream_offset && m->seg_lines <= m->stream_lines &&
             hl % 2 == 0 && hl / 2 <= LS_STREAM_HEAD &&
             hl / 2 <= m->stream_offset - m->seg_offset && strspn(head, "0123456789abcdef") == hl;
        for (size_t i = 0; ok && i < hl / 2; i++) {
            char x[3] = {head[2 * i], head[2 * i + 1], 0};
            m->head[i] = (uint8_t)strtoul(x, NULL, 16);
        }
        if (ok)
            m->head_len = hl / 2;
        for (size_t i = 0; ok && i < fps->n; i++) {
            const ls_json *f = &fps->items[i];
            const char *hex = f->type == LS_JSON_ARRAY && f->n == 2 ? ls_json_str(&f->items[1])
                                                                    : NULL;
            uint64_t len = 0;
            ok = hex && f->items[1].len == 16 && strspn(hex, "0123456789abcdef") == 16 &&
                 get_u64(&f->items[0], &len) && len > m->head_len && len <= LS_ING_PREFIX_MAX &&
                 len <= m->stream_offset - m->seg_offset && (i == 0 || len > m->fp_len[i - 1]);
            if (ok) {
                m->fp_len[i] = len;
                m->fp[i] = strtoull(hex, NULL, 16);
                m->n_fp = (int)i + 1;
            }
        }
        if (!ok) {
            rc = ls_err(err, LS_ERR_CORRUPT, "ingest manifest: bad 'segment' (expected [n, offset, "
                                             "lines, \"hex head\", [[len, \"16 hex\"]...]] "
                                             "within 'stream')");
            goto out;
        }
    }
    const char *is = ls_json_str(iv);
    if (is)
        m->input_schema = ls_xstrdup(is);
out:
    ls_arena_free(&a);
    if (rc) {
        ls_manifest_free(m);
        ls_manifest_init(m);
    }
    return rc;
}
