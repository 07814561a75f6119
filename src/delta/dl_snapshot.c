/*
 * dl_snapshot.c - tables and snapshots: listing the log, choosing the log
 * segment (newest complete checkpoint <= target, then contiguous commits),
 * replay per PROTOCOL.md §Action Reconciliation, time travel by version and
 * timestamp, history, incremental "adds since", protocol checks and path
 * resolution.
 *
 * Replay keeps the live files in an open-addressing hash table keyed by the
 * canonical path (URI-decoded once, "file:" and the table root stripped):
 * the newest add of a path replaces the older one whatever its DV, and a
 * remove deletes the live entry only when its DV matches (so the remove of
 * the old DV and the add of the new one commute within a commit). Tombstones
 * are keyed by (path, DV id). Each file is one malloc block (struct + all its
 * strings), so a removed file returns its memory and a 1M-file table costs
 * one allocation per file. Commit files are parsed with the JSON DOM into a
 * per-commit arena that is reset after each commit.
 *
 * The log is listed once per load: from the version named by _last_checkpoint
 * when that hint is usable (falling back to a full listing when the hint is
 * missing, corrupt or points at a checkpoint that is not there).
 *
 * ls_delta_snapshot_update moves a snapshot forward in place by the commits after
 * its version (see the section "incremental update"), with the same result as a
 * fresh load at the new version.
 */
#include "dl_int.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

struct ls_delta_table {
    char *uri;
    ls_store *store; /* NULL until the root exists (opened lazily by ls_delta_store) */
    char *root_abs;  /* absolute root (local realpath or the store uri), no trailing '/' */
};

/* ---- hash table of files / txns / domains ---------------------------------------- */

/* Every node starts with this header. */
typedef struct hnode {
    uint64_t hash;
    const char *key; /* canonical path / appId / domain */
    uint32_t key_len;
    unsigned alloc_size : 31; /* packs: bytes taken from a chunk; 0 = own malloc block */
    unsigned fresh : 1;       /* staged by a running ls_delta_snapshot_update, not yet placed */
} hnode;

typedef struct pk_add {
    hnode h;
    ls_delta_add a;
} pk_add;

typedef struct pk_rm {
    hnode h;
    ls_delta_remove r;
} pk_rm;

typedef struct txn_node {
    hnode h;
    ls_delta_txn_action t;
} txn_node;

typedef struct dom_node {
    hnode h;
    ls_delta_domain d;
} dom_node;

typedef struct hslot {
    uint64_t hash; /* kept beside the pointer: probes do not touch the nodes */
    hnode *n;      /* NULL = empty */
} hslot;

typedef struct htab {
    size_t cap, n; /* cap is a power of two (or 0) */
    hslot *slots;
    bool with_dv; /* tombstones: key + DV identity */
} htab;

static const ls_delta_dv *node_dv(const htab *t, const hnode *n)
{
    return t->with_dv ? ((const pk_rm *)n)->r.dv : NULL;
}

/* Returns the slot holding key (and dv, for tombstones) or the empty slot where it goes. */
static size_t ht_slot(const htab *t, uint64_t h, const char *key, size_t kl,
                      const ls_delta_dv *dv, bool *found)
{
    size_t m = t->cap - 1, i = (size_t)h & m;
    for (;;) {
        const hslot *sl = &t->slots[i];
        if (!sl->n) {
            *found = false;
            return i;
        }
        if (sl->hash == h) {
            const hnode *n = sl->n;
            if (n->key_len == kl && memcmp(n->key, key, kl) == 0 &&
                (!t->with_dv || dl_dv_same(node_dv(t, n), dv))) {
                *found = true;
                return i;
            }
        }
        i = (i + 1) & m;
    }
}

static void ht_grow(htab *t)
{
    size_t nc = t->cap ? t->cap * 2 : 64;
    hslot *old = t->slots;
    size_t oc = t->cap;
    t->slots = ls_xcalloc(nc, sizeof(hslot));
    t->cap = nc;
    for (size_t i = 0; i < oc; i++) {
        if (!old[i].n)
            continue;
        size_t j = (size_t)old[i].hash & (nc - 1);
        while (t->slots[j].n)
            j = (j + 1) & (nc - 1);
        t->slots[j] = old[i];
    }
    free(old);
}

static hnode *ht_find(const htab *t, uint64_t h, const char *key, size_t kl,
                      const ls_delta_dv *dv, size_t *slot)
{
    if (!t->n)
        return NULL;
    bool found;
    size_t i = ht_slot(t, h, key, kl, dv, &found);
    if (slot)
        *slot = i;
    return found ? t->slots[i].n : NULL;
}

/* Inserts n, returning the node it replaced (or NULL). */
static hnode *ht_put(htab *t, hnode *n, const ls_delta_dv *dv)
{
    if ((t->n + 1) * 4 > t->cap * 3)
        ht_grow(t);
    bool found;
    size_t i = ht_slot(t, n->hash, n->key, n->key_len, dv, &found);
    hnode *old = found ? t->slots[i].n : NULL;
    t->slots[i].hash = n->hash;
    t->slots[i].n = n;
    if (!found)
        t->n++;
    return old;
}

/* Backward-shift deletion (linear probing keeps no tombstones). */
static void ht_del_slot(htab *t, size_t i)
{
    size_t m = t->cap - 1;
    t->slots[i].n = NULL;
    t->n--;
    size_t j = i;
    for (;;) {
        j = (j + 1) & m;
        if (!t->slots[j].n)
            return;
        size_t home = (size_t)t->slots[j].hash & m;
        /* move the entry back to i if i lies cyclically in [home, j) */
        bool move = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
        if (move) {
            t->slots[i] = t->slots[j];
            t->slots[j].n = NULL;
            i = j;
        }
    }
}

static void ht_free_all(htab *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->slots[i].n);
    free(t->slots);
    bool wd = t->with_dv;
    memset(t, 0, sizeof *t);
    t->with_dv = wd;
}

/* ---- file memory ----------------------------------------------------------------------
 * Live files and tombstones are packed into 2 MiB chunks (one bump pointer, a count of live
 * bytes per chunk; a chunk is released when its last file goes). For a 1M-file table this
 * replaces a million mallocs, keeps files of one commit together in memory, lets the kernel
 * back the chunks with huge pages (far fewer page faults and TLB misses) and frees a
 * snapshot in a few munmap calls. Oversized files (huge stats) get their own malloc. */

#define DL_CHUNK ((size_t)2 << 20)
#define DL_MAX_PATH (1u << 24) /* longer paths/ids are refused as corrupt */
#define DL_CHUNK_HDR 64
#define DL_BIG_PACK (DL_CHUNK / 4)

typedef struct pchunk {
    struct pchunk *next, *prev;
    size_t live; /* bytes of live packs */
} pchunk;

typedef struct palloc {
    pchunk *head; /* newest chunk: the one we bump-allocate from */
    size_t used;  /* bump offset in head */
    size_t n_small; /* packs malloc'ed before switching to chunks */
} palloc;

/* Small tables stay on malloc: a chunk (possibly a huge page) is only worth it past this. */
#define DL_CHUNK_AFTER 2048

static pchunk *chunk_new(void)
{
    /* map twice the size and trim, so the chunk is aligned to its size (a huge page) */
    char *m = mmap(NULL, 2 * DL_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        ls_oom(2 * DL_CHUNK);
    uintptr_t a = ((uintptr_t)m + DL_CHUNK - 1) & ~(uintptr_t)(DL_CHUNK - 1);
    char *c = (char *)a;
    if (c > m)
        munmap(m, (size_t)(c - m));
    size_t tail = (size_t)(m + 2 * DL_CHUNK - (c + DL_CHUNK));
    if (tail)
        munmap(c + DL_CHUNK, tail);
#ifdef MADV_HUGEPAGE
    madvise(c, DL_CHUNK, MADV_HUGEPAGE);
#endif
    pchunk *h = (pchunk *)c;
    h->next = h->prev = NULL;
    h->live = 0;
    return h;
}

#if defined(__SANITIZE_ADDRESS__)
#define DL_PACK_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DL_PACK_MALLOC 1
#endif
#endif

static void *pa_alloc(palloc *pa, size_t n, uint32_t *alloc_size)
{
    n = (n + 15) & ~(size_t)15;
#ifdef DL_PACK_MALLOC
    /* under AddressSanitizer every pack is its own malloc block, so overruns are caught */
    if (n) {
#else
    if (n > DL_BIG_PACK || pa->n_small < DL_CHUNK_AFTER) {
        pa->n_small++;
#endif
        *alloc_size = 0;
        return ls_xmalloc(n);
    }
    if (!pa->head || pa->used + n > DL_CHUNK) {
        pchunk *c = chunk_new();
        c->next = pa->head;
        if (pa->head)
            pa->head->prev = c;
        pa->head = c;
        pa->used = DL_CHUNK_HDR;
    }
    void *p = (char *)pa->head + pa->used;
    pa->used += n;
    pa->head->live += n;
    *alloc_size = (uint32_t)n;
    return p;
}

static void pa_free(palloc *pa, hnode *h)
{
    if (!h)
        return;
    if (h->alloc_size == 0) {
        free(h);
        return;
    }
    pchunk *c = (pchunk *)((uintptr_t)h & ~(uintptr_t)(DL_CHUNK - 1));
    c->live -= h->alloc_size;
    if (c->live == 0 && c != pa->head) {
        if (c->prev)
            c->prev->next = c->next;
        if (c->next)
            c->next->prev = c->prev;
        munmap(c, DL_CHUNK);
    }
}

/* Frees every chunk (the caller frees the own-malloc packs first). */
static void pa_destroy(palloc *pa)
{
    pchunk *c = pa->head;
    while (c) {
        pchunk *n = c->next;
        munmap(c, DL_CHUNK);
        c = n;
    }
    pa->head = NULL;
    pa->used = 0;
    pa->n_small = 0;
}

/* ---- packing actions into single blocks ------------------------------------------------ */

typedef struct bump {
    char *p;
    size_t used, cap;
} bump;

static size_t al8(size_t n) { return (n + 7) & ~(size_t)7; }

static void *bump_take(bump *b, size_t n)
{
    void *r = b->p + b->used;
    b->used += al8(n);
    return r;
}

static char *bump_str(bump *b, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = bump_take(b, n);
    memcpy(d, s, n);
    return d;
}

static size_t str_sz(const char *s) { return s ? al8(strlen(s) + 1) : 0; }

static size_t kv_sz(const ls_kvlist *l)
{
    size_t n = 0;
    if (!l->n)
        return 0;
    n += al8((size_t)l->n * sizeof(char *)) * 2;
    for (int i = 0; i < l->n; i++)
        n += str_sz(l->keys[i]) + str_sz(l->values[i]);
    return n;
}

static void kv_pack(bump *b, ls_kvlist *dst, const ls_kvlist *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src->n)
        return;
    dst->n = dst->cap = src->n;
    dst->keys = bump_take(b, (size_t)src->n * sizeof(char *));
    dst->values = bump_take(b, (size_t)src->n * sizeof(char *));
    for (int i = 0; i < src->n; i++) {
        dst->keys[i] = bump_str(b, src->keys[i]);
        dst->values[i] = bump_str(b, src->values[i]);
    }
}

static size_t dv_sz(const ls_delta_dv *dv)
{
    return dv ? al8(sizeof *dv) + str_sz(dv->path_or_inline_dv) : 0;
}

static ls_delta_dv *dv_pack(bump *b, const ls_delta_dv *src)
{
    if (!src)
        return NULL;
    ls_delta_dv *d = bump_take(b, sizeof *d);
    *d = *src;
    d->path_or_inline_dv = bump_str(b, src->path_or_inline_dv);
    return d;
}

/* key == src->path means "the canonical key is the path itself" (no copy). */
/* Fills a packed node's header; the key is the packed path itself or a copy of key
 * placed at the end of the pack (room for it was counted in the pack's size). */
static void pack_head(hnode *hd, bump *b, const char *path, bool key_is_path, const char *key,
                      size_t kl, uint32_t asz, uint64_t h)
{
    if (b->used > b->cap - (key_is_path ? 0 : al8(kl + 1)))
        abort(); /* size computation out of sync with the copy: a bug, never input */
    if (key_is_path) {
        hd->key = path;
    } else {
        char *k = bump_take(b, kl + 1);
        memcpy(k, key, kl);
        k[kl] = 0;
        hd->key = k;
    }
    hd->key_len = (uint32_t)kl;
    hd->alloc_size = asz & 0x7fffffffu; /* < DL_CHUNK */
    hd->fresh = 0;
    hd->hash = h;
}

static pk_add *pack_add(palloc *pa, const ls_delta_add *src, const char *key, size_t kl,
                        uint64_t h)
{
    bool key_is_path = key == src->path;
    size_t sz = al8(sizeof(pk_add)) + str_sz(src->path) + kv_sz(&src->partition_values) +
                str_sz(src->stats) + kv_sz(&src->tags) + dv_sz(src->dv) +
                str_sz(src->clustering_provider) + (key_is_path ? 0 : al8(kl + 1));
    uint32_t asz;
    bump b = {pa_alloc(pa, sz, &asz), 0, sz};
    pk_add *p = bump_take(&b, sizeof *p);
    p->a = *src;
    /* dataChange describes a commit, not the table's state: a checkpoint stores false, so the
     * snapshot always says false, whichever mix of checkpoint and commits it came from */
    p->a.data_change = false;
    p->a.path = bump_str(&b, src->path);
    kv_pack(&b, &p->a.partition_values, &src->partition_values);
    p->a.stats = bump_str(&b, src->stats);
    kv_pack(&b, &p->a.tags, &src->tags);
    p->a.dv = dv_pack(&b, src->dv);
    p->a.clustering_provider = bump_str(&b, src->clustering_provider);
    pack_head(&p->h, &b, p->a.path, key_is_path, key, kl, asz, h);
    return p;
}

static pk_rm *pack_rm(palloc *pa, const ls_delta_remove *src, const char *key, size_t kl,
                      uint64_t h)
{
    bool key_is_path = key == src->path;
    size_t sz = al8(sizeof(pk_rm)) + str_sz(src->path) + kv_sz(&src->partition_values) +
                dv_sz(src->dv) + (key_is_path ? 0 : al8(kl + 1));
    uint32_t asz;
    bump b = {pa_alloc(pa, sz, &asz), 0, sz};
    pk_rm *p = bump_take(&b, sizeof *p);
    p->r = *src;
    p->r.data_change = false; /* as for files */
    p->r.path = bump_str(&b, src->path);
    kv_pack(&b, &p->r.partition_values, &src->partition_values);
    p->r.dv = dv_pack(&b, src->dv);
    pack_head(&p->h, &b, p->r.path, key_is_path, key, kl, asz, h);
    return p;
}

/* ---- tables ------------------------------------------------------------------- */

static char *local_root_abs(ls_store *s)
{
    char *lp = ls_store_local_path(s, "x");
    if (!lp)
        return ls_xstrdup(ls_store_uri(s));
    size_t n = strlen(lp);
    if (n >= 2)
        lp[n - 2] = 0; /* drop "/x" */
    char *rp = realpath(lp[0] ? lp : "/", NULL);
    if (rp) {
        free(lp);
        char *r = ls_xstrdup(rp);
        free(rp);
        return r;
    }
    return lp;
}

int ls_delta_open(const char *uri, ls_delta_table **out, ls_error *err)
{
    *out = NULL;
    ls_store *s = NULL;
    int rc = ls_store_open(uri, false, &s, err);
    if (rc && rc != LS_ERR_NOTFOUND)
        return ls_err_prefix(err, "open Delta table");
    ls_delta_table *t = ls_xcalloc(1, sizeof *t);
    t->uri = ls_xstrdup(uri);
    t->store = rc ? NULL : s;
    if (t->store)
        t->root_abs = local_root_abs(t->store);
    ls_error_clear(err);
    *out = t;
    return LS_OK;
}

void ls_delta_close(ls_delta_table *t)
{
    if (!t)
        return;
    ls_store_free(t->store);
    free(t->uri);
    free(t->root_abs);
    free(t);
}

ls_store *ls_delta_store(ls_delta_table *t)
{
    if (!t->store) {
        ls_error e = {0};
        if (ls_store_open(t->uri, true, &t->store, &e) != LS_OK)
            return NULL;
        free(t->root_abs);
        t->root_abs = local_root_abs(t->store);
    }
    return t->store;
}

/* ---- log names ------------------------------------------------------------------ */

static bool digits_n(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool parse_u(const char *s, int n, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (v > (INT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

void dl_log_name_parse(const char *name, dl_log_name *out)
{
    memset(out, 0, sizeof *out);
    out->version = -1;
    if (strcmp(name, "_last_checkpoint") == 0) {
        out->kind = DL_FILE_LAST_CHECKPOINT;
        return;
    }
    size_t n = strlen(name);
    if (n < 21 || !digits_n(name, 20) || name[20] != '.' || !parse_u(name, 20, &out->version)) {
        out->version = -1;
        return;
    }
    const char *r = name + 21;
    if (strcmp(r, "json") == 0) {
        out->kind = DL_FILE_COMMIT;
    } else if (strcmp(r, "crc") == 0) {
        out->kind = DL_FILE_CRC;
    } else if (strcmp(r, "checkpoint.parquet") == 0) {
        out->kind = DL_FILE_CHECKPOINT;
    } else if (strncmp(r, "checkpoint.", 11) == 0) {
        const char *q = r + 11;
        int64_t part, parts;
        if (strlen(q) == 29 && digits_n(q, 10) && q[10] == '.' && digits_n(q + 11, 10) &&
            strcmp(q + 21, ".parquet") == 0 && parse_u(q, 10, &part) &&
            parse_u(q + 11, 10, &parts) && parts >= 1 && part >= 1 && part <= parts &&
            parts <= 1000000) {
            out->kind = DL_FILE_CHECKPOINT_MP;
            out->part = (int)part;
            out->parts = (int)parts;
        } else {
            const char *dot = strchr(q, '.');
            if (dot && dot > q && (strcmp(dot, ".json") == 0 || strcmp(dot, ".parquet") == 0)) {
                out->kind = DL_FILE_CHECKPOINT_V2;
                out->json = strcmp(dot, ".json") == 0;
            }
        }
    } else if (strlen(r) == 35 && digits_n(r, 20) && strcmp(r + 20, ".compacted.json") == 0) {
        out->kind = DL_FILE_COMPACTED;
    }
    if (out->kind == DL_FILE_OTHER)
        out->version = -1;
}

/* ---- log segment ------------------------------------------------------------------ */

typedef struct lfile {
    int64_t version;
    const char *key; /* borrowed from the listing */
    int64_t mtime;
} lfile;

typedef struct cp_cand {
    int64_t version;
    int kind; /* DL_FILE_CHECKPOINT / _MP / _V2 */
    bool json;
    int n_keys;
    const char **keys; /* malloc'ed array of borrowed keys */
    int64_t mtime;
} cp_cand;

typedef struct logseg {
    ls_obj_list list;
    lfile *commits;
    size_t n_commits;
    cp_cand *cps; /* complete checkpoints, ascending version */
    size_t n_cps;
} logseg;

static void logseg_free(logseg *s)
{
    for (size_t i = 0; i < s->n_cps; i++)
        free(s->cps[i].keys);
    free(s->cps);
    free(s->commits);
    ls_obj_list_free(&s->list);
    memset(s, 0, sizeof *s);
}

static int cand_order(int kind)
{
    /* preference at equal versions: classic, V2, multi-part */
    return kind == DL_FILE_CHECKPOINT ? 0 : kind == DL_FILE_CHECKPOINT_V2 ? 1 : 2;
}

static int cp_cmp(const void *a, const void *b)
{
    const cp_cand *x = a, *y = b;
    if (x->version != y->version)
        return x->version < y->version ? -1 : 1;
    return cand_order(x->kind) - cand_order(y->kind);
}

struct mp {
    int64_t version;
    int part, parts;
    const char *key;
    int64_t mtime;
};

static int mp_cmp(const void *a, const void *b)
{
    const struct mp *x = a, *y = b;
    if (x->version != y->version)
        return x->version < y->version ? -1 : 1;
    if (x->parts != y->parts)
        return x->parts < y->parts ? -1 : 1;
    return x->part - y->part;
}

/* Lists _delta_log/ (from start_after) and classifies the files. */
static int logseg_list(ls_delta_table *t, const char *start_after, logseg *s, ls_error *err)
{
    memset(s, 0, sizeof *s);
    int rc = ls_store_list(t->store, DL_LOG_DIR, start_after, &s->list, err);
    if (rc == LS_ERR_NOTFOUND) {
        ls_error_clear(err);
        return LS_OK;
    }
    if (rc)
        return ls_err_prefix(err, "list %s" DL_LOG_DIR, ls_store_uri(t->store));
    size_t n = s->list.n, nmp = 0;
    s->commits = ls_xmalloc((n ? n : 1) * sizeof(lfile));
    s->cps = ls_xmalloc((n ? n : 1) * sizeof(cp_cand));
    struct mp *mps = NULL;
    for (size_t i = 0; i < n; i++) {
        const ls_obj_info *o = &s->list.items[i];
        const char *name = o->key + strlen(DL_LOG_DIR);
        if (strncmp(o->key, DL_LOG_DIR, strlen(DL_LOG_DIR)) != 0 || strchr(name, '/'))
            continue;
        dl_log_name nm;
        dl_log_name_parse(name, &nm);
        switch (nm.kind) {
        case DL_FILE_COMMIT:
            s->commits[s->n_commits++] = (lfile){nm.version, o->key, o->mtime_ms};
            break;
        case DL_FILE_CHECKPOINT:
        case DL_FILE_CHECKPOINT_V2: {
            cp_cand *c = &s->cps[s->n_cps++];
            c->version = nm.version;
            c->kind = nm.kind;
            c->json = nm.json;
            c->n_keys = 1;
            c->keys = ls_xmalloc(sizeof(char *));
            c->keys[0] = o->key;
            c->mtime = o->mtime_ms;
            break;
        }
        case DL_FILE_CHECKPOINT_MP:
            if (!mps)
                mps = ls_xmalloc(n * sizeof *mps);
            mps[nmp++] = (struct mp){nm.version, nm.part, nm.parts, o->key, o->mtime_ms};
            break;
        default: break;
        }
    }
    /* Multi-part sets: complete when parts 1..P of (version, P) are all present. Sorted by
     * (version, P, part), each set is one run. */
    if (nmp > 1)
        qsort(mps, nmp, sizeof *mps, mp_cmp);
    for (size_t i = 0; i < nmp;) {
        size_t j = i;
        while (j < nmp && mps[j].version == mps[i].version && mps[j].parts == mps[i].parts)
            j++;
        int P = mps[i].parts;
        /* parts 1..P in order, duplicates (same part twice) skipped */
        const char **keys = ls_xcalloc((size_t)(j - i), sizeof(char *));
        int got = 0;
        int64_t mt = 0;
        for (size_t k = i; k < j; k++) {
            if (mps[k].part == got + 1) {
                keys[got++] = mps[k].key;
                if (mps[k].mtime > mt)
                    mt = mps[k].mtime;
            }
        }
        if (got == P) {
            cp_cand *c = &s->cps[s->n_cps++];
            c->version = mps[i].version;
            c->kind = DL_FILE_CHECKPOINT_MP;
            c->json = false;
            c->n_keys = P;
            c->keys = keys;
            c->mtime = mt;
        } else {
            free(keys);
        }
        i = j;
    }
    free(mps);
    if (s->n_cps > 1)
        qsort(s->cps, s->n_cps, sizeof *s->cps, cp_cmp);
    return LS_OK;
}

/* Index of the commit with version v, or -1 (commits are sorted ascending). */
static ssize_t commit_index(const logseg *s, int64_t v)
{
    size_t lo = 0, hi = s->n_commits;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->commits[mid].version < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n_commits && s->commits[lo].version == v ? (ssize_t)lo : -1;
}

static int64_t logseg_latest(const logseg *s)
{
    int64_t v = -1;
    if (s->n_commits)
        v = s->commits[s->n_commits - 1].version;
    if (s->n_cps && s->cps[s->n_cps - 1].version > v)
        v = s->cps[s->n_cps - 1].version;
    return v;
}

/* Newest complete checkpoint <= v (NULL if none). */
static const cp_cand *logseg_checkpoint(const logseg *s, int64_t v)
{
    const cp_cand *best = NULL;
    for (size_t i = 0; i < s->n_cps; i++) {
        if (s->cps[i].version > v)
            break;
        if (!best || s->cps[i].version > best->version)
            best = &s->cps[i]; /* first of equal versions is the preferred kind */
    }
    return best;
}

/* Reads _last_checkpoint; -1 when missing or unusable. */
static int64_t last_checkpoint_hint(ls_delta_table *t)
{
    ls_buf b = {0};
    ls_error e = {0};
    int64_t v = -1;
    if (ls_store_get(t->store, DL_LOG_DIR "_last_checkpoint", &b, &e) == LS_OK && b.len &&
        b.len < (64u << 20)) {
        ls_arena a;
        ls_arena_init(&a, 16 * 1024);
        ls_json *j;
        if (ls_json_parse((const char *)b.data, b.len, &a, &j, &e) == LS_OK) {
            int64_t x;
            if (ls_json_int64(ls_json_get(j, "version"), &x) && x >= 0)
                v = x;
        }
        ls_arena_free(&a);
    }
    ls_buf_free(&b);
    return v;
}

static void version_key(char *buf, size_t n, int64_t v)
{
    snprintf(buf, n, DL_LOG_DIR "%020" PRId64, v);
}

/* Lists the log for a load targeting `target` (-1 = latest): from the _last_checkpoint hint
 * when it is usable, else everything. */
static int logseg_for(ls_delta_table *t, int64_t target, logseg *s, ls_error *err)
{
    int64_t hint = last_checkpoint_hint(t);
    if (hint >= 0 && (target < 0 || target >= hint)) {
        char sa[64];
        version_key(sa, sizeof sa, hint);
        /* keys of version `hint` sort after "<hint>" itself, so they are included */
        int rc = logseg_list(t, sa, s, err);
        if (rc)
            return rc;
        if (s->n_cps && s->cps[0].version >= hint)
            return LS_OK;
        logseg_free(s); /* hint points at a missing/incomplete checkpoint: list everything */
    }
    return logseg_list(t, NULL, s, err);
}

/* ---- protocol -------------------------------------------------------------------- */

static const char *const reader_features_ok[] = {
    "deletionVectors", "columnMapping", "timestampNtz", "v2Checkpoint", "vacuumProtocolCheck",
    "typeWidening",    "typeWidening-preview",
};

int dl_protocol_check_read(const ls_delta_protocol *p, ls_error *err)
{
    if (p->min_reader_version > 3)
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "unsupported Delta feature: reader version %d (this reader supports up to 3)",
                      p->min_reader_version);
    if (p->min_reader_version < 3)
        return LS_OK; /* 1: base; 2: column mapping, which we implement */
    for (int i = 0; i < p->n_reader_features; i++) {
        bool ok = false;
        for (size_t k = 0; k < sizeof reader_features_ok / sizeof reader_features_ok[0]; k++)
            if (strcmp(p->reader_features[i], reader_features_ok[k]) == 0)
                ok = true;
        if (!ok)
            return ls_err(err, LS_ERR_UNSUPPORTED, "unsupported Delta feature: %s",
                          p->reader_features[i]);
    }
    return LS_OK;
}

/* ---- canonical paths ------------------------------------------------------------------- */

/* Canonical key of a log path: URI-decoded once, "file:"/"file://" stripped, and made
 * relative when it points inside the table root. Returns path itself when it is already
 * canonical (the common case), else a string in tmp. */
static const char *canon_key(const ls_delta_table *t, const char *path, ls_buf *tmp, size_t *kl)
{
    size_t n = strlen(path);
    bool plain = path[0] != '/' && !memchr(path, '%', n) && !memchr(path, ':', n);
    if (plain) {
        *kl = n;
        return path;
    }
    char *dec = dl_uri_decode(path, n);
    const char *p = dec;
    if (strncmp(p, "file://", 7) == 0 && p[7] == '/')
        p += 7;
    else if (strncmp(p, "file:", 5) == 0 && p[5] == '/')
        p += 5;
    if (t && t->root_abs) {
        size_t rl = strlen(t->root_abs);
        if (rl && strncmp(p, t->root_abs, rl) == 0 && p[rl] == '/' && p[rl + 1])
            p += rl + 1;
    }
    ls_buf_reset(tmp);
    ls_buf_puts(tmp, p);
    free(dec);
    *kl = tmp->len;
    return ls_buf_cstr(tmp);
}

char *ls_delta_resolve_path(const ls_delta_table *t, const char *add_path)
{
    char *dec = dl_uri_decode(add_path, strlen(add_path));
    const char *p = dec;
    if (strncmp(p, "file://", 7) == 0 && p[7] == '/')
        p += 7;
    else if (strncmp(p, "file:", 5) == 0 && p[5] == '/')
        p += 5;
    if (t && t->root_abs) {
        size_t rl = strlen(t->root_abs);
        if (rl && strncmp(p, t->root_abs, rl) == 0 && p[rl] == '/' && p[rl + 1])
            p += rl + 1;
    }
    char *r = ls_xstrdup(p);
    free(dec);
    return r;
}

/* ---- replay ---------------------------------------------------------------------------- */

struct dl_replay {
    ls_delta_table *t;
    htab live, tombs, txns, doms;
    palloc pa; /* memory of the packs in live and tombs */
    /* Checkpoint rows are already reconciled: they are collected here and only hashed when
     * a later commit adds or removes files (a snapshot at the checkpoint never hashes). */
    bool in_checkpoint;
    hnode **pend[2]; /* [0] adds, [1] tombstones */
    size_t n_pend[2], cap_pend[2];
    ls_delta_protocol protocol;
    ls_delta_metadata metadata;
    bool has_protocol, has_metadata;
    ls_buf tmp;
    /* commitInfo of the commit being applied */
    int64_t ci_ts, ci_ict;
};
typedef struct dl_replay replay;

/* Frees the own-malloc packs of a table of packs and the table itself. */
static void ht_free_packs(htab *t)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].n && t->slots[i].n->alloc_size == 0)
            free(t->slots[i].n);
    free(t->slots);
    bool wd = t->with_dv;
    memset(t, 0, sizeof *t);
    t->with_dv = wd;
}

static void pend_push(replay *r, int k, hnode *n)
{
    if (r->n_pend[k] == r->cap_pend[k]) {
        r->cap_pend[k] = r->cap_pend[k] ? r->cap_pend[k] * 2 : 1024;
        r->pend[k] = ls_xrealloc(r->pend[k], r->cap_pend[k] * sizeof(hnode *));
    }
    r->pend[k][r->n_pend[k]++] = n;
}

static void ht_reserve(htab *t, size_t n)
{
    while ((n + 1) * 4 > t->cap * 3)
        ht_grow(t);
}

/* Moves the checkpoint's files into the hash tables (before a commit touches files). */
static void pend_flush(replay *r)
{
    htab *tabs[2] = {&r->live, &r->tombs};
    for (int k = 0; k < 2; k++) {
        if (!r->n_pend[k])
            continue;
        ht_reserve(tabs[k], tabs[k]->n + r->n_pend[k]);
        for (size_t i = 0; i < r->n_pend[k]; i++) {
            hnode *n = r->pend[k][i];
            const ls_delta_dv *dv = k ? ((pk_rm *)n)->r.dv : NULL;
            pa_free(&r->pa, ht_put(tabs[k], n, dv));
        }
        free(r->pend[k]);
        r->pend[k] = NULL;
        r->n_pend[k] = r->cap_pend[k] = 0;
    }
}

static void replay_free(replay *r)
{
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < r->n_pend[k]; i++)
            if (r->pend[k][i]->alloc_size == 0)
                free(r->pend[k][i]);
        free(r->pend[k]);
        r->pend[k] = NULL;
        r->n_pend[k] = r->cap_pend[k] = 0;
    }
    ht_free_packs(&r->live);
    ht_free_packs(&r->tombs);
    pa_destroy(&r->pa);
    for (size_t i = 0; i < r->txns.cap; i++)
        if (r->txns.slots[i].n)
            dl_txn_free(&((txn_node *)r->txns.slots[i].n)->t);
    ht_free_all(&r->txns);
    for (size_t i = 0; i < r->doms.cap; i++)
        if (r->doms.slots[i].n)
            dl_domain_free(&((dom_node *)r->doms.slots[i].n)->d);
    ht_free_all(&r->doms);
    ls_delta_protocol_free(&r->protocol);
    ls_delta_metadata_free(&r->metadata);
    ls_buf_free(&r->tmp);
}

static int replay_apply(void *ctx, const dl_action *act, ls_error *err)
{
    replay *r = ctx;
    switch (act->kind) {
    case DL_ACT_ADD: {
        const ls_delta_add *a = &act->u.add;
        size_t kl;
        const char *key = canon_key(r->t, a->path, &r->tmp, &kl);
        if (kl > DL_MAX_PATH)
            return ls_err(err, LS_ERR_CORRUPT, "add: path longer than %u bytes", DL_MAX_PATH);
        uint64_t h = ls_hash64(key, kl, 0);
        pk_add *p = pack_add(&r->pa, a, key, kl, h);
        if (r->in_checkpoint) {
            pend_push(r, 0, &p->h);
            return LS_OK;
        }
        if (r->n_pend[0] || r->n_pend[1])
            pend_flush(r);
        pa_free(&r->pa, ht_put(&r->live, &p->h, NULL));
        if (r->tombs.n) {
            size_t slot;
            hnode *tn = ht_find(&r->tombs, h, p->h.key, kl, a->dv, &slot);
            if (tn) {
                ht_del_slot(&r->tombs, slot);
                pa_free(&r->pa, tn);
            }
        }
        return LS_OK;
    }
    case DL_ACT_REMOVE: {
        const ls_delta_remove *rm = &act->u.remove;
        size_t kl;
        const char *key = canon_key(r->t, rm->path, &r->tmp, &kl);
        if (kl > DL_MAX_PATH)
            return ls_err(err, LS_ERR_CORRUPT, "remove: path longer than %u bytes", DL_MAX_PATH);
        uint64_t h = ls_hash64(key, kl, 0);
        if (r->in_checkpoint) {
            pk_rm *p = pack_rm(&r->pa, rm, key, kl, h);
            pend_push(r, 1, &p->h);
            return LS_OK;
        }
        if (r->n_pend[0] || r->n_pend[1])
            pend_flush(r);
        size_t slot;
        hnode *ln = ht_find(&r->live, h, key, kl, NULL, &slot);
        if (ln && dl_dv_same(((pk_add *)ln)->a.dv, rm->dv)) {
            ht_del_slot(&r->live, slot);
            pa_free(&r->pa, ln);
        }
        pk_rm *p = pack_rm(&r->pa, rm, key, kl, h);
        pa_free(&r->pa, ht_put(&r->tombs, &p->h, p->r.dv));
        return LS_OK;
    }
    case DL_ACT_PROTOCOL:
        ls_delta_protocol_free(&r->protocol);
        dl_protocol_copy(&r->protocol, &act->u.protocol);
        r->has_protocol = true;
        return LS_OK;
    case DL_ACT_METADATA:
        ls_delta_metadata_free(&r->metadata);
        dl_metadata_copy(&r->metadata, &act->u.metadata);
        r->has_metadata = true;
        return LS_OK;
    case DL_ACT_TXN: {
        const ls_delta_txn_action *x = &act->u.txn;
        size_t kl = strlen(x->app_id);
        if (kl > DL_MAX_PATH)
            return ls_err(err, LS_ERR_CORRUPT, "txn: appId longer than %u bytes", DL_MAX_PATH);
        uint64_t h = ls_hash64(x->app_id, kl, 1);
        txn_node *n = (txn_node *)ht_find(&r->txns, h, x->app_id, kl, NULL, NULL);
        if (n) {
            n->t.version = x->version;
            n->t.has_last_updated = x->has_last_updated;
            n->t.last_updated = x->last_updated;
            return LS_OK;
        }
        n = ls_xcalloc(1, sizeof *n);
        dl_txn_copy(&n->t, x);
        n->h.hash = h;
        n->h.key = n->t.app_id;
        n->h.key_len = (uint32_t)kl;
        ht_put(&r->txns, &n->h, NULL);
        return LS_OK;
    }
    case DL_ACT_DOMAIN: {
        const ls_delta_domain *x = &act->u.domain;
        size_t kl = strlen(x->domain);
        if (kl > DL_MAX_PATH)
            return ls_err(err, LS_ERR_CORRUPT, "domainMetadata: domain longer than %u bytes",
                          DL_MAX_PATH);
        uint64_t h = ls_hash64(x->domain, kl, 2);
        size_t slot;
        dom_node *n = (dom_node *)ht_find(&r->doms, h, x->domain, kl, NULL, &slot);
        if (n) {
            ht_del_slot(&r->doms, slot);
            dl_domain_free(&n->d);
            free(n);
        }
        if (x->removed)
            return LS_OK;
        n = ls_xcalloc(1, sizeof *n);
        dl_domain_copy(&n->d, x);
        n->h.hash = h;
        n->h.key = n->d.domain;
        n->h.key_len = (uint32_t)kl;
        ht_put(&r->doms, &n->h, NULL);
        return LS_OK;
    }
    case DL_ACT_COMMIT_INFO:
        r->ci_ts = act->u.commit_info.timestamp;
        r->ci_ict = act->u.commit_info.in_commit_timestamp;
        return LS_OK;
    default: return LS_OK; /* cdc, checkpointMetadata, sidecar (handled by the reader) */
    }
}

/* ---- snapshots ---------------------------------------------------------------------- */

struct ls_delta_snapshot {
    ls_delta_table *t;
    palloc pa; /* memory of files and tombstones */
    int64_t version, timestamp;
    ls_delta_protocol protocol;
    ls_delta_metadata metadata;
    pk_add **files;
    size_t n_files;
    pk_rm **tombs;
    size_t n_tombs;
    txn_node **txns;
    size_t n_txns;
    dom_node **doms;
    size_t n_doms;
    /* For ls_delta_snapshot_update: allocated lengths of files/tombs (grown by updates), and
     * indexes over the same nodes by replay's keys (canonical path; path + DV): the replay's
     * own tables when it built them, else built by the first update that touches files;
     * maintained from then on (they do not own nodes). */
    size_t cap_files, cap_tombs;
    htab live_ix, tomb_ix;
    bool ix_built;
};

/* Sorting 1M paths with strcmp through pointers is dominated by cache misses and by the
 * long common prefixes of data-file paths. So: skip the prefix all paths share, compare
 * the next 16 bytes as two big-endian integers held in the sort array, and fall back to
 * strcmp only on ties. */
typedef struct sortent {
    uint64_t k0, k1;
    const char *rest; /* path + lcp + 16, or NULL when the path ends before that */
    void *p;
} sortent;

static uint64_t be_key(const char *s, size_t n)
{
    if (n >= 8) {
        uint64_t k;
        memcpy(&k, s, 8);
        return __builtin_bswap64(k);
    }
    uint64_t k = 0;
    for (size_t i = 0; i < 8; i++)
        k = k << 8 | (i < n ? (uint8_t)s[i] : 0);
    return k;
}

static inline int sortent_cmp3(const sortent *x, const sortent *y)
{
    if (x->k0 != y->k0)
        return x->k0 < y->k0 ? -1 : 1;
    if (x->k1 != y->k1)
        return x->k1 < y->k1 ? -1 : 1;
    if (!x->rest || !y->rest)
        return x->rest ? 1 : y->rest ? -1 : 0;
    return strcmp(x->rest, y->rest);
}

static int sortent_cmp(const void *a, const void *b) { return sortent_cmp3(a, b); }

static inline void se_swap(sortent *a, sortent *b)
{
    sortent t = *a;
    *a = *b;
    *b = t;
}

/* Quicksort with the comparison inlined (median of three, insertion sort for small
 * ranges); past a depth limit it hands the range to qsort, so it is never quadratic. */
static void se_sort(sortent *a, size_t n, int depth)
{
    while (n > 16) {
        if (depth-- <= 0) {
            qsort(a, n, sizeof *a, sortent_cmp);
            return;
        }
        sortent *l = &a[0], *m = &a[n / 2], *h = &a[n - 1];
        if (sortent_cmp3(m, l) < 0)
            se_swap(m, l);
        if (sortent_cmp3(h, l) < 0)
            se_swap(h, l);
        if (sortent_cmp3(h, m) < 0)
            se_swap(h, m);
        sortent piv = *m;
        size_t i = 0, j = n - 1;
        for (;;) {
            while (sortent_cmp3(&a[i], &piv) < 0)
                i++;
            while (sortent_cmp3(&piv, &a[j]) < 0)
                j--;
            if (i >= j)
                break;
            se_swap(&a[i], &a[j]);
            i++;
            j--;
        }
        size_t left = j + 1;
        if (left < n - left) {
            se_sort(a, left, depth);
            a += left;
            n -= left;
        } else {
            se_sort(a + left, n - left, depth);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {
        sortent t = a[i];
        size_t j = i;
        while (j > 0 && sortent_cmp3(&t, &a[j - 1]) < 0) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = t;
    }
}

/* Sorts items by the path at byte offset path_off of each item (a char * member). */
static void sort_by_path(void **items, size_t n, size_t path_off)
{
    if (n < 2)
        return;
#define PATH_OF(it) (*(const char *const *)((const char *)(it) + path_off))
    /* checkpoints written from a sorted snapshot come back sorted */
    size_t k = 1;
    while (k < n && strcmp(PATH_OF(items[k - 1]), PATH_OF(items[k])) <= 0)
        k++;
    if (k == n)
        return;
    const char *first = PATH_OF(items[0]);
    size_t lcp = strlen(first);
    for (size_t i = 1; i < n && lcp; i++) {
        const char *q = PATH_OF(items[i]);
        size_t k = 0;
        while (k < lcp && q[k] == first[k])
            k++;
        lcp = k;
    }
    sortent *e = ls_xmalloc(n * sizeof *e);
    for (size_t i = 0; i < n; i++) {
        const char *q = PATH_OF(items[i]) + lcp;
        size_t len = strnlen(q, 17);
        e[i].k0 = be_key(q, len);
        e[i].k1 = be_key(q + (len < 8 ? len : 8), len > 8 ? len - 8 : 0);
        e[i].rest = len > 16 ? q + 16 : NULL;
        e[i].p = items[i];
    }
#undef PATH_OF
    se_sort(e, n, 2 * ls_bit_width(n) + 8);
    for (size_t i = 0; i < n; i++)
        items[i] = e[i].p;
    free(e);
}

static int hnode_key_cmp(const void *a, const void *b)
{
    return strcmp((*(hnode *const *)a)->key, (*(hnode *const *)b)->key);
}

static void **ht_take_all(htab *t, size_t *n)
{
    void **arr = ls_xmalloc((t->n ? t->n : 1) * sizeof(void *));
    size_t k = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].n)
            arr[k++] = t->slots[i].n;
    *n = k;
    free(t->slots);
    bool wd = t->with_dv;
    memset(t, 0, sizeof *t);
    t->with_dv = wd;
    return arr;
}

/* Total order of DVs consistent with dl_dv_same (NULL first). */
static int dv_cmp(const ls_delta_dv *a, const ls_delta_dv *b)
{
    if (!a || !b)
        return a ? 1 : b ? -1 : 0;
    if (a->storage_type != b->storage_type)
        return (unsigned char)a->storage_type < (unsigned char)b->storage_type ? -1 : 1;
    int c = strcmp(a->path_or_inline_dv ? a->path_or_inline_dv : "",
                   b->path_or_inline_dv ? b->path_or_inline_dv : "");
    if (c)
        return c;
    if (a->has_offset != b->has_offset)
        return a->has_offset ? 1 : -1;
    if (a->has_offset && a->offset != b->offset)
        return a->offset < b->offset ? -1 : 1;
    return 0;
}

/* Tombstones of one path with different DVs: ordered by DV, so that the order of the
 * tombstone list is a function of the table state alone (an incremental update produces
 * the same order as a fresh load). Runs are almost always of length 1. */
static void tombs_order_dvs(pk_rm **a, size_t n)
{
    for (size_t i = 0; i + 1 < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(a[j]->r.path, a[i]->r.path) == 0)
            j++;
        for (size_t k = i + 1; k < j; k++) { /* insertion sort of the run */
            pk_rm *x = a[k];
            size_t m = k;
            while (m > i && dv_cmp(x->r.dv, a[m - 1]->r.dv) < 0) {
                a[m] = a[m - 1];
                m--;
            }
            a[m] = x;
        }
        i = j;
    }
}

/* The nodes of t in an array; t keeps them. */
static void **ht_list(const htab *t, size_t *n)
{
    void **arr = ls_xmalloc((t->n ? t->n : 1) * sizeof(void *));
    size_t k = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].n)
            arr[k++] = t->slots[i].n;
    *n = k;
    return arr;
}

/* Drops entries whose canonical key (and DV, for tombstones) equals the previous one's in a
 * path-sorted array; returns the new count. Only a malformed checkpoint has such rows. */
static size_t dedup_sorted(hnode **a, size_t n, bool with_dv, palloc *pa)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        hnode *x = a[i];
        if (w) {
            hnode *y = a[w - 1];
            if (y->key_len == x->key_len && memcmp(y->key, x->key, x->key_len) == 0 &&
                (!with_dv || dl_dv_same(((pk_rm *)y)->r.dv, ((pk_rm *)x)->r.dv))) {
                a[w - 1] = x; /* the later row wins */
                pa_free(pa, y);
                continue;
            }
        }
        a[w++] = x;
    }
    return w;
}

/* Checks what replay produced and moves it into a snapshot (the replay is left empty). */
static int replay_finish(replay *r, int64_t version, int64_t ts, ls_delta_snapshot **out,
                         ls_error *err)
{
    *out = NULL;
    if (!r->has_protocol)
        return ls_err(err, LS_ERR_CORRUPT,
                      "version %" PRId64 " has no protocol action (invalid Delta table)", version);
    int rc = dl_protocol_check_read(&r->protocol, err);
    if (rc)
        return rc;
    if (!r->has_metadata)
        return ls_err(err, LS_ERR_CORRUPT,
                      "version %" PRId64 " has no metaData action (invalid Delta table)", version);
    ls_schema *schema = NULL;
    if ((rc = ls_delta_schema_parse(r->metadata.schema_string, &schema, err))) {
        if (rc == LS_ERR_UNSUPPORTED && strstr(err->msg, "unsupported Delta feature"))
            return rc;
        return ls_err_prefix(err, "metaData.schemaString");
    }
    ls_delta_snapshot *s = ls_xcalloc(1, sizeof *s);
    s->t = r->t;
    s->version = version;
    s->timestamp = ts;
    s->protocol = r->protocol;
    memset(&r->protocol, 0, sizeof r->protocol);
    r->has_protocol = false;
    s->metadata = r->metadata;
    memset(&r->metadata, 0, sizeof r->metadata);
    r->has_metadata = false;
    s->metadata.schema = schema;
    s->pa = r->pa;
    memset(&r->pa, 0, sizeof r->pa);
    if (r->live.n || r->tombs.n)
        pend_flush(r); /* both sources: let the tables reconcile them */
    if (r->n_pend[0] || r->n_pend[1]) {
        /* snapshot at the checkpoint: its rows as they are, deduplicated after sorting */
        s->files = (pk_add **)r->pend[0];
        s->n_files = r->n_pend[0];
        s->tombs = (pk_rm **)r->pend[1];
        s->n_tombs = r->n_pend[1];
        for (int k = 0; k < 2; k++) {
            r->pend[k] = NULL;
            r->n_pend[k] = r->cap_pend[k] = 0;
        }
        if (!s->files)
            s->files = ls_xmalloc(sizeof(pk_add *));
        if (!s->tombs)
            s->tombs = ls_xmalloc(sizeof(pk_rm *));
        sort_by_path((void **)s->files, s->n_files, offsetof(pk_add, a.path));
        sort_by_path((void **)s->tombs, s->n_tombs, offsetof(pk_rm, r.path));
        tombs_order_dvs(s->tombs, s->n_tombs);
        s->n_files = dedup_sorted((hnode **)s->files, s->n_files, false, &s->pa);
        s->n_tombs = dedup_sorted((hnode **)s->tombs, s->n_tombs, true, &s->pa);
    } else {
        /* the replay's tables become the snapshot's indexes for ls_delta_snapshot_update
         * (16 bytes per slot kept; building them later would cost a pass of cache misses) */
        s->files = (pk_add **)ht_list(&r->live, &s->n_files);
        s->tombs = (pk_rm **)ht_list(&r->tombs, &s->n_tombs);
        s->live_ix = r->live;
        s->tomb_ix = r->tombs;
        s->ix_built = true;
        memset(&r->live, 0, sizeof r->live);
        memset(&r->tombs, 0, sizeof r->tombs);
        r->tombs.with_dv = true;
        sort_by_path((void **)s->files, s->n_files, offsetof(pk_add, a.path));
        sort_by_path((void **)s->tombs, s->n_tombs, offsetof(pk_rm, r.path));
        tombs_order_dvs(s->tombs, s->n_tombs);
    }
    s->cap_files = s->n_files;
    s->cap_tombs = s->n_tombs;
    s->tomb_ix.with_dv = true;
    s->txns = (txn_node **)ht_take_all(&r->txns, &s->n_txns);
    s->doms = (dom_node **)ht_take_all(&r->doms, &s->n_doms);
    if (s->n_txns > 1)
        qsort(s->txns, s->n_txns, sizeof *s->txns, hnode_key_cmp);
    if (s->n_doms > 1)
        qsort(s->doms, s->n_doms, sizeof *s->doms, hnode_key_cmp);
    *out = s;
    return LS_OK;
}

dl_replay *dl_replay_new(ls_delta_table *t)
{
    replay *r = ls_xcalloc(1, sizeof *r);
    r->t = t;
    r->tombs.with_dv = true;
    r->ci_ts = r->ci_ict = -1;
    return r;
}

int dl_replay_apply(dl_replay *r, const dl_action *act, ls_error *err)
{
    return replay_apply(r, act, err);
}

int dl_replay_finish(dl_replay *r, int64_t version, int64_t timestamp_ms,
                     ls_delta_snapshot **out, ls_error *err)
{
    return replay_finish(r, version, timestamp_ms, out, err);
}

void dl_replay_free(dl_replay *r)
{
    if (!r)
        return;
    replay_free(r);
    free(r);
}

/* Timestamp of commit v from its file: inCommitTimestamp, else commitInfo.timestamp, else
 * the file's modification time. Only commitInfo lines are parsed. */
static int commit_timestamp(ls_delta_table *t, const lfile *c, int64_t *ts, ls_error *err)
{
    ls_buf b = {0};
    int rc = ls_store_get(t->store, c->key, &b, err);
    if (rc) {
        ls_buf_free(&b);
        return rc;
    }
    *ts = c->mtime;
    ls_arena a;
    ls_arena_init(&a, 16 * 1024);
    const char *d = (const char *)b.data;
    size_t i = 0, n = b.len;
    while (i < n) {
        const char *nl = memchr(d + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - d) : n;
        size_t s = i;
        while (s < e && (d[s] == ' ' || d[s] == '\t'))
            s++;
        if (e - s > 14 && memcmp(d + s, "{\"commitInfo\"", 13) == 0) {
            dl_action act;
            ls_error e2 = {0};
            if (dl_action_parse_line(d + s, e - s, &a, &act, &e2) == LS_OK &&
                act.kind == DL_ACT_COMMIT_INFO) {
                if (act.u.commit_info.in_commit_timestamp >= 0)
                    *ts = act.u.commit_info.in_commit_timestamp;
                else if (act.u.commit_info.timestamp >= 0)
                    *ts = act.u.commit_info.timestamp;
            }
            break;
        }
        i = e + 1;
    }
    ls_arena_free(&a);
    ls_buf_free(&b);
    return LS_OK;
}

static int read_commit_file(ls_delta_table *t, const lfile *c, ls_buf *buf, ls_error *err)
{
    ls_buf_reset(buf);
    int rc = ls_store_get(t->store, c->key, buf, err);
    if (rc == LS_ERR_NOTFOUND)
        return ls_err(err, LS_ERR_CORRUPT, "commit %s disappeared while reading the log",
                      c->key);
    return rc;
}

/* ---- commit prefetch ------------------------------------------------------------------
 * Reading 100k commit files one after the other leaves the CPU idle during every open/read
 * (and would be hopeless against an object store's latency), so worker threads fetch the
 * commits of the segment ahead of the replay, into a ring of PF_WINDOW buffers; the replay
 * consumes them strictly in version order. Requires ls_store_get to be thread-safe, which
 * the local backend is; remote stores get it once their backend is (see pf_threads). */

#define PF_WINDOW 64
#define PF_MAX_THREADS 16

typedef struct pf_slot {
    ls_buf buf;
    int rc;
    ls_error err;
    int64_t idx; /* index of the commit whose bytes are here, -1 if none */
} pf_slot;

typedef struct prefetch {
    ls_store *store;
    const lfile *files;
    size_t n;
    size_t next;     /* next index a worker claims */
    size_t consumed; /* indexes below are released by the consumer */
    bool stop;
    int n_threads;
    pthread_t th[PF_MAX_THREADS];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pf_slot slots[PF_WINDOW];
} prefetch;

static int pf_threads(ls_store *store, size_t n)
{
    if (n < 8 || !ls_store_is_local(store))
        return 0;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus >= 4 ? 3 : 2;
}

static void *pf_worker(void *arg)
{
    prefetch *pf = arg;
    pthread_mutex_lock(&pf->mu);
    for (;;) {
        while (!pf->stop && pf->next < pf->n && pf->next >= pf->consumed + PF_WINDOW)
            pthread_cond_wait(&pf->cv, &pf->mu);
        if (pf->stop || pf->next >= pf->n)
            break;
        size_t i = pf->next++;
        pf_slot *sl = &pf->slots[i % PF_WINDOW];
        pthread_mutex_unlock(&pf->mu);
        /* the slot is ours: the consumer released index i - PF_WINDOW */
        ls_buf_reset(&sl->buf);
        ls_error e = {0};
        int rc = ls_store_get(pf->store, pf->files[i].key, &sl->buf, &e);
        pthread_mutex_lock(&pf->mu);
        sl->rc = rc;
        if (rc)
            sl->err = e;
        sl->idx = (int64_t)i;
        pthread_cond_broadcast(&pf->cv);
    }
    pthread_mutex_unlock(&pf->mu);
    return NULL;
}

static void pf_start(prefetch *pf, ls_store *store, const lfile *files, size_t n)
{
    memset(pf, 0, sizeof *pf);
    pf->store = store;
    pf->files = files;
    pf->n = n;
    for (int i = 0; i < PF_WINDOW; i++)
        pf->slots[i].idx = -1;
    int want = pf_threads(store, n);
    if (!want)
        return;
    pthread_mutex_init(&pf->mu, NULL);
    pthread_cond_init(&pf->cv, NULL);
    for (int i = 0; i < want; i++) {
        if (pthread_create(&pf->th[pf->n_threads], NULL, pf_worker, pf) != 0)
            break;
        pf->n_threads++;
    }
    if (pf->n_threads == 0) {
        pthread_cond_destroy(&pf->cv);
        pthread_mutex_destroy(&pf->mu);
    }
}

/* Bytes of commit i (in order); without threads it is read here. */
static int pf_get(prefetch *pf, size_t i, ls_buf **out, ls_error *err)
{
    pf_slot *sl = &pf->slots[i % PF_WINDOW];
    if (pf->n_threads == 0) {
        ls_buf_reset(&sl->buf);
        sl->rc = ls_store_get(pf->store, pf->files[i].key, &sl->buf, err);
    } else {
        pthread_mutex_lock(&pf->mu);
        while (sl->idx != (int64_t)i)
            pthread_cond_wait(&pf->cv, &pf->mu);
        pthread_mutex_unlock(&pf->mu);
        if (sl->rc)
            *err = sl->err;
    }
    if (sl->rc == LS_ERR_NOTFOUND)
        return ls_err(err, LS_ERR_CORRUPT, "commit %s disappeared while reading the log",
                      pf->files[i].key);
    *out = &sl->buf;
    return sl->rc;
}

static void pf_release(prefetch *pf, size_t i)
{
    if (pf->n_threads == 0)
        return;
    pthread_mutex_lock(&pf->mu);
    pf->consumed = i + 1;
    /* wake the workers in batches, not once per commit */
    if (pf->consumed % (PF_WINDOW / 4) == 0)
        pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
}

static void pf_stop(prefetch *pf)
{
    if (pf->n_threads) {
        pthread_mutex_lock(&pf->mu);
        pf->stop = true;
        pthread_cond_broadcast(&pf->cv);
        pthread_mutex_unlock(&pf->mu);
        for (int i = 0; i < pf->n_threads; i++)
            pthread_join(pf->th[i], NULL);
        pthread_cond_destroy(&pf->cv);
        pthread_mutex_destroy(&pf->mu);
    }
    for (int i = 0; i < PF_WINDOW; i++)
        ls_buf_free(&pf->slots[i].buf);
}

static int apply_commit_bytes(replay *r, const lfile *c, const ls_buf *buf, ls_arena *a,
                              ls_error *err)
{
    dl_action *acts;
    size_t n;
    int rc = dl_commit_parse((const char *)buf->data, buf->len, a, &acts, &n, err);
    if (rc)
        return ls_err_prefix(err, "%s", c->key);
    r->ci_ts = r->ci_ict = -1;
    for (size_t i = 0; i < n; i++) {
        if ((rc = replay_apply(r, &acts[i], err)))
            return ls_err_prefix(err, "%s", c->key);
    }
    return LS_OK;
}

/* Earliest version that can be reconstructed from what the listing holds. */
static int64_t earliest_version(const logseg *s)
{
    if (s->n_commits && s->commits[0].version == 0)
        return 0;
    int64_t e = -1;
    if (s->n_cps)
        e = s->cps[0].version;
    return e;
}

static int load_at(ls_delta_table *t, logseg *seg, int64_t target, ls_delta_snapshot **out,
                   ls_error *err)
{
    int64_t latest = logseg_latest(seg);
    if (latest < 0)
        return ls_err(err, LS_ERR_NOTFOUND, "%s: not a Delta table (no commits in _delta_log/)",
                      t->uri);
    if (target < 0)
        target = latest;
    if (target > latest)
        return ls_err(err, LS_ERR_NOTFOUND,
                      "%s: version %" PRId64 " does not exist (latest version is %" PRId64 ")",
                      t->uri, target, latest);
    const cp_cand *cp = logseg_checkpoint(seg, target);
    int64_t start = cp ? cp->version + 1 : 0;
    /* the commits start..target must all be there */
    ssize_t ci = -1;
    if (start <= target) {
        ci = commit_index(seg, start);
        if (ci < 0) {
            if (cp)
                return ls_err(err, LS_ERR_CORRUPT,
                              "%s: missing commit %" PRId64 " in _delta_log/", t->uri, start);
            int64_t e = earliest_version(seg);
            if (e >= 0 && target < e)
                return ls_err(err, LS_ERR_NOTFOUND,
                              "%s: version %" PRId64 " cannot be reconstructed (its commits and "
                              "checkpoints were removed; earliest available version is %" PRId64
                              ")",
                              t->uri, target, e);
            return ls_err(err, LS_ERR_CORRUPT,
                          "%s: cannot reconstruct version %" PRId64
                          ": no checkpoint and commit 0 is missing (missing commit 0)",
                          t->uri, target);
        }
        for (int64_t v = start; v <= target; v++) {
            size_t k = (size_t)ci + (size_t)(v - start);
            if (k >= seg->n_commits || seg->commits[k].version != v)
                return ls_err(err, LS_ERR_CORRUPT,
                              "%s: missing commit %" PRId64 " in _delta_log/", t->uri, v);
        }
    }

    replay r;
    memset(&r, 0, sizeof r);
    r.t = t;
    r.tombs.with_dv = true;
    r.ci_ts = r.ci_ict = -1;
    int rc = LS_OK;
    if (cp) {
        r.in_checkpoint = true;
        rc = dl_checkpoint_read(t->store, cp->keys, (size_t)cp->n_keys, cp->json, replay_apply,
                                &r, err);
        r.in_checkpoint = false;
    }
    ls_arena arena;
    ls_arena_init(&arena, 256 * 1024);
    int64_t ts = -1;
    if (rc == LS_OK && start <= target) {
        size_t nc = (size_t)(target - start + 1);
        const lfile *cs = &seg->commits[ci];
        prefetch pf;
        pf_start(&pf, t->store, cs, nc);
        for (size_t i = 0; rc == LS_OK && i < nc; i++) {
            ls_buf *buf = NULL;
            rc = pf_get(&pf, i, &buf, err);
            if (rc == LS_OK)
                rc = apply_commit_bytes(&r, &cs[i], buf, &arena, err);
            pf_release(&pf, i);
            ls_arena_reset(&arena);
            if (rc == LS_OK && i + 1 == nc)
                ts = r.ci_ict >= 0 ? r.ci_ict : r.ci_ts >= 0 ? r.ci_ts : cs[i].mtime;
        }
        pf_stop(&pf);
    }
    ls_arena_free(&arena);
    if (rc) {
        /* an unsupported protocol explains a failure better than what it broke */
        ls_error e2 = {0};
        if (r.has_protocol && dl_protocol_check_read(&r.protocol, &e2)) {
            *err = e2;
            rc = e2.code;
        }
        replay_free(&r);
        return rc;
    }
    if (ts < 0) {
        /* target is the checkpoint version: its commit's timestamp if the file is there */
        ssize_t k = commit_index(seg, target);
        if (k >= 0) {
            ls_error e2 = {0};
            if (commit_timestamp(t, &seg->commits[k], &ts, &e2) != LS_OK)
                ts = seg->commits[k].mtime;
        } else {
            ts = cp ? cp->mtime : 0;
        }
    }
    rc = replay_finish(&r, target, ts, out, err);
    replay_free(&r);
    if (rc && rc != LS_ERR_UNSUPPORTED)
        ls_err_prefix(err, "%s", t->uri);
    return rc;
}

/* Version for a timestamp: the latest commit whose timestamp is <= ts_ms. */
static int version_at_timestamp(ls_delta_table *t, const logseg *seg, int64_t ts_ms,
                                int64_t *version, ls_error *err)
{
    int64_t latest = logseg_latest(seg);
    int64_t e = earliest_version(seg);
    if (latest < 0 || e < 0)
        return ls_err(err, LS_ERR_NOTFOUND, "%s: no reconstructable version in _delta_log/",
                      t->uri);
    /* candidate versions: those in [e, latest] that have a commit file (others: checkpoint
     * mtime) */
    int64_t lo = e, hi = latest, best = -1, best_ts = 0;
    int64_t first_ts = -1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int64_t ts;
        ssize_t k = commit_index(seg, mid);
        if (k >= 0) {
            int rc = commit_timestamp(t, &seg->commits[k], &ts, err);
            if (rc)
                return rc;
        } else {
            const cp_cand *cp = logseg_checkpoint(seg, mid);
            ts = cp && cp->version == mid ? cp->mtime : INT64_MAX;
        }
        if (mid == e)
            first_ts = ts;
        if (ts <= ts_ms) {
            best = mid;
            best_ts = ts;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    (void)best_ts;
    if (best < 0) {
        if (first_ts < 0) {
            ssize_t k = commit_index(seg, e);
            first_ts = 0;
            if (k >= 0)
                commit_timestamp(t, &seg->commits[k], &first_ts, err);
        }
        return ls_err(err, LS_ERR_NOTFOUND,
                      "%s: timestamp %" PRId64 " ms is before the earliest available commit "
                      "(version %" PRId64 " at %" PRId64 " ms)",
                      t->uri, ts_ms, e, first_ts);
    }
    *version = best;
    return LS_OK;
}

int ls_delta_snapshot_load(ls_delta_table *t, const ls_delta_snapshot_spec *spec,
                           ls_delta_snapshot **out, ls_error *err)
{
    *out = NULL;
    if (!t->store)
        return ls_err(err, LS_ERR_NOTFOUND, "%s: no such table (directory does not exist)",
                      t->uri);
    ls_delta_at at = spec ? spec->at : LS_AT_LATEST;
    logseg seg;
    int rc;
    int64_t target = -1;
    if (at == LS_AT_VERSION) {
        if (spec->version < 0)
            return ls_err(err, LS_ERR_INVALID, "version %" PRId64 " is negative", spec->version);
        target = spec->version;
        rc = logseg_for(t, target, &seg, err);
    } else if (at == LS_AT_TIMESTAMP) {
        rc = logseg_list(t, NULL, &seg, err);
        if (rc == LS_OK) {
            if (logseg_latest(&seg) < 0) {
                logseg_free(&seg);
                return ls_err(err, LS_ERR_NOTFOUND,
                              "%s: not a Delta table (no commits in _delta_log/)", t->uri);
            }
            rc = version_at_timestamp(t, &seg, spec->timestamp_ms, &target, err);
            if (rc)
                logseg_free(&seg);
        }
    } else {
        rc = logseg_for(t, -1, &seg, err);
    }
    if (rc)
        return rc;
    rc = load_at(t, &seg, target, out, err);
    logseg_free(&seg);
    return rc;
}

int ls_delta_exists(ls_delta_table *t, bool *exists, ls_error *err)
{
    *exists = false;
    if (!t->store)
        return LS_OK;
    logseg seg;
    int rc = logseg_for(t, -1, &seg, err);
    if (rc)
        return rc;
    *exists = logseg_latest(&seg) >= 0;
    logseg_free(&seg);
    return LS_OK;
}

void ls_delta_snapshot_free(ls_delta_snapshot *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_files; i++)
        if (s->files[i]->h.alloc_size == 0)
            free(s->files[i]);
    free(s->files);
    for (size_t i = 0; i < s->n_tombs; i++)
        if (s->tombs[i]->h.alloc_size == 0)
            free(s->tombs[i]);
    free(s->tombs);
    pa_destroy(&s->pa);
    for (size_t i = 0; i < s->n_txns; i++) {
        dl_txn_free(&s->txns[i]->t);
        free(s->txns[i]);
    }
    free(s->txns);
    for (size_t i = 0; i < s->n_doms; i++) {
        dl_domain_free(&s->doms[i]->d);
        free(s->doms[i]);
    }
    free(s->doms);
    free(s->live_ix.slots);
    free(s->tomb_ix.slots);
    ls_delta_protocol_free(&s->protocol);
    ls_delta_metadata_free(&s->metadata);
    free(s);
}

int64_t ls_delta_snapshot_version(const ls_delta_snapshot *s) { return s->version; }
int64_t ls_delta_snapshot_timestamp(const ls_delta_snapshot *s) { return s->timestamp; }
const ls_delta_protocol *ls_delta_snapshot_protocol(const ls_delta_snapshot *s)
{
    return &s->protocol;
}
const ls_delta_metadata *ls_delta_snapshot_metadata(const ls_delta_snapshot *s)
{
    return &s->metadata;
}
size_t ls_delta_snapshot_num_files(const ls_delta_snapshot *s) { return s->n_files; }
const ls_delta_add *ls_delta_snapshot_file(const ls_delta_snapshot *s, size_t i)
{
    return i < s->n_files ? &s->files[i]->a : NULL;
}
size_t ls_delta_snapshot_num_tombstones(const ls_delta_snapshot *s) { return s->n_tombs; }
const ls_delta_remove *ls_delta_snapshot_tombstone(const ls_delta_snapshot *s, size_t i)
{
    return i < s->n_tombs ? &s->tombs[i]->r : NULL;
}

static ssize_t find_sorted(hnode *const *arr, size_t n, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(arr[mid]->key, key);
        if (c == 0)
            return (ssize_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int64_t ls_delta_snapshot_txn_version(const ls_delta_snapshot *s, const char *app_id)
{
    ssize_t i = find_sorted((hnode *const *)s->txns, s->n_txns, app_id);
    return i < 0 ? -1 : s->txns[i]->t.version;
}
size_t ls_delta_snapshot_num_txns(const ls_delta_snapshot *s) { return s->n_txns; }
const ls_delta_txn_action *ls_delta_snapshot_txn(const ls_delta_snapshot *s, size_t i)
{
    return i < s->n_txns ? &s->txns[i]->t : NULL;
}
const ls_delta_domain *ls_delta_snapshot_domain(const ls_delta_snapshot *s, const char *domain)
{
    ssize_t i = find_sorted((hnode *const *)s->doms, s->n_doms, domain);
    return i < 0 ? NULL : &s->doms[i]->d;
}
/* Requested by the checkpoint writer (declared in dl_int.h's write-side section). */
size_t dl_snapshot_num_domains(const ls_delta_snapshot *s) { return s->n_doms; }
const ls_delta_domain *dl_snapshot_domain_at(const ls_delta_snapshot *s, size_t i)
{
    return i < s->n_doms ? &s->doms[i]->d : NULL;
}

const ls_schema *ls_delta_snapshot_schema(const ls_delta_snapshot *s)
{
    return s->metadata.schema;
}
const char *ls_delta_snapshot_property(const ls_delta_snapshot *s, const char *key,
                                       const char *dflt)
{
    bool found;
    const char *v = ls_kvlist_get(&s->metadata.configuration, key, &found);
    return found && v ? v : dflt;
}

/* ---- incremental update ------------------------------------------------------------------
 * ls_delta_snapshot_update brings a snapshot forward by the commits after its version instead
 * of replaying the whole log. It runs in two phases so that a failure leaves the snapshot as
 * it was:
 *   1. stage: read and parse every new commit; file actions are packed (into the snapshot's
 *      chunks, marked fresh), txn/domainMetadata actions copied, the last protocol/metaData
 *      kept; then the final protocol is checked and the final schema parsed. Any error here
 *      frees what was staged and returns.
 *   2. apply: the staged operations are replayed in log order with replay's rules (this
 *      cannot fail). File actions go through two hash indexes over the live files and
 *      tombstones (replay's keys: canonical path; canonical path + DV), kept from the load's
 *      replay or built by the first update that touches files; then the path-sorted arrays are
 *      edited in place (removed entries compacted out, new ones merged in from the back), so
 *      only entries after the first change move.
 * New commits are found by reading <v+1>.json, <v+2>.json, ... directly (no listing of a log
 * directory that may hold 100k files): the common case of one new commit costs one read and
 * one failed open. The log is listed only when that cannot answer: a target version that is
 * not there, more than UPD_PROBE_MAX new commits, or no commit after ours while
 * _last_checkpoint says there is a newer checkpoint (commits after ours may have been cleaned
 * up). The listing may then choose a full load from a newer checkpoint (when commits are
 * missing, or when that is estimated cheaper), whose result replaces the snapshot's content. */

#define UPD_PROBE_MAX 32

typedef struct upd_op {
    dl_kind kind; /* DL_ACT_ADD, _REMOVE, _TXN, _DOMAIN */
    hnode *n;     /* pk_add / pk_rm (fresh, in s->pa), txn_node / dom_node (malloc'ed) */
} upd_op;

typedef struct upd {
    ls_delta_snapshot *s;
    ls_delta_table *t;
    upd_op *ops;
    size_t n_ops, cap_ops;
    ls_delta_protocol protocol;
    ls_delta_metadata metadata;
    bool has_protocol, has_metadata;
    int64_t version;   /* newest staged commit (s->version while none) */
    int64_t timestamp; /* its timestamp; -1 when only the file's mtime can tell */
    char last_key[64]; /* its log key */
    ls_buf tmp;
    ls_arena arena;
} upd;

static void upd_init(upd *u, ls_delta_snapshot *s, ls_delta_table *t)
{
    memset(u, 0, sizeof *u);
    u->s = s;
    u->t = t;
    u->version = s->version;
    u->timestamp = s->timestamp;
    ls_arena_init(&u->arena, 256 * 1024);
}

/* Frees what is still staged (all of it after a failure; nothing after upd_apply). */
static void upd_free(upd *u)
{
    for (size_t i = 0; i < u->n_ops; i++) {
        upd_op *o = &u->ops[i];
        if (o->kind == DL_ACT_ADD || o->kind == DL_ACT_REMOVE) {
            pa_free(&u->s->pa, o->n);
        } else if (o->kind == DL_ACT_TXN) {
            dl_txn_free(&((txn_node *)o->n)->t);
            free(o->n);
        } else {
            dl_domain_free(&((dom_node *)o->n)->d);
            free(o->n);
        }
    }
    free(u->ops);
    ls_delta_protocol_free(&u->protocol);
    ls_delta_metadata_free(&u->metadata);
    ls_buf_free(&u->tmp);
    ls_arena_free(&u->arena);
    memset(u, 0, sizeof *u);
}

static void upd_push(upd *u, dl_kind kind, hnode *n)
{
    if (u->n_ops == u->cap_ops) {
        u->cap_ops = u->cap_ops ? u->cap_ops * 2 : 64;
        u->ops = ls_xrealloc(u->ops, u->cap_ops * sizeof *u->ops);
    }
    u->ops[u->n_ops++] = (upd_op){kind, n};
}

/* Stages one action (the same checks and messages as replay_apply). */
static int upd_stage_action(upd *u, const dl_action *act, ls_error *err)
{
    ls_delta_snapshot *s = u->s;
    switch (act->kind) {
    case DL_ACT_ADD: {
        const ls_delta_add *a = &act->u.add;
        size_t kl;
        const char *key = canon_key(u->t, a->path, &u->tmp, &kl);
        if (kl > DL_MAX_PATH)
            return ls_err(err, LS_ERR_CORRUPT, "add: path longer than %u bytes", DL_MAX_PATH);
        pk_add *p = pack_add(&s->pa, a, key, kl, ls_hash64(key, kl, 0));
        p->h.fresh = 1;
        upd_push(u, DL_ACT_ADD, &p->h);
        return LS_OK;
    }
    case DL_ACT_REMOVE: {
        const ls_delta_remove *rm = &act->u.remove;
        size_t kl;
        const char *key = canon_key(u->t, rm->path, &u->tmp, &kl);
        if (kl > DL_MAX_PATH)
            return ls_err(err, LS_ERR_CORRUPT, "remove: path longer than %u bytes", DL_MAX_PATH);
        pk_rm *p = pack_rm(&s->pa, rm, key, kl, ls_hash64(key, kl, 0));
        p->h.fresh = 1;
        upd_push(u, DL_ACT_REMOVE, &p->h);
        return LS_OK;
    }
    case DL_ACT_PROTOCOL:
        ls_delta_protocol_free(&u->protocol);
        dl_protocol_copy(&u->protocol, &act->u.protocol);
        u->has_protocol = true;
        return LS_OK;
    case DL_ACT_METADATA:
        ls_delta_metadata_free(&u->metadata);
        dl_metadata_copy(&u->metadata, &act->u.metadata);
        u->has_metadata = true;
        return LS_OK;
    case DL_ACT_TXN: {
        const ls_delta_txn_action *x = &act->u.txn;
        size_t kl = strlen(x->app_id);
        if (kl > DL_MAX_PATH)
            return ls_err(err, LS_ERR_CORRUPT, "txn: appId longer than %u bytes", DL_MAX_PATH);
        txn_node *n = ls_xcalloc(1, sizeof *n);
        dl_txn_copy(&n->t, x);
        n->h.hash = ls_hash64(x->app_id, kl, 1);
        n->h.key = n->t.app_id;
        n->h.key_len = (uint32_t)kl;
        upd_push(u, DL_ACT_TXN, &n->h);
        return LS_OK;
    }
    case DL_ACT_DOMAIN: {
        const ls_delta_domain *x = &act->u.domain;
        size_t kl = strlen(x->domain);
        if (kl > DL_MAX_PATH)
            return ls_err(err, LS_ERR_CORRUPT, "domainMetadata: domain longer than %u bytes",
                          DL_MAX_PATH);
        dom_node *n = ls_xcalloc(1, sizeof *n);
        dl_domain_copy(&n->d, x);
        n->h.hash = ls_hash64(x->domain, kl, 2);
        n->h.key = n->d.domain;
        n->h.key_len = (uint32_t)kl;
        upd_push(u, DL_ACT_DOMAIN, &n->h);
        return LS_OK;
    }
    default: return LS_OK; /* commitInfo (read by the caller), cdc, ... */
    }
}

/* Stages the commit file of `version` (bytes data/len; mtime -1 if unknown). */
static int upd_stage_commit(upd *u, int64_t version, const void *data, size_t len, int64_t mtime,
                            const char *key, ls_error *err)
{
    dl_action *acts;
    size_t n;
    int rc = dl_commit_parse(data, len, &u->arena, &acts, &n, err);
    if (rc) {
        ls_arena_reset(&u->arena);
        return ls_err_prefix(err, "%s", key);
    }
    int64_t ts = -1, ict = -1;
    for (size_t i = 0; i < n && rc == LS_OK; i++) {
        if (acts[i].kind == DL_ACT_COMMIT_INFO) {
            ts = acts[i].u.commit_info.timestamp;
            ict = acts[i].u.commit_info.in_commit_timestamp;
        } else if ((rc = upd_stage_action(u, &acts[i], err))) {
            ls_err_prefix(err, "%s", key);
        }
    }
    ls_arena_reset(&u->arena);
    if (rc)
        return rc;
    u->version = version;
    u->timestamp = ict >= 0 ? ict : ts >= 0 ? ts : mtime;
    snprintf(u->last_key, sizeof u->last_key, "%s", key);
    return LS_OK;
}

/* End of phase 1: the timestamp (from the file when the commit has none), the protocol this
 * reader must support and the new schema. */
static int upd_check(upd *u, ls_error *err)
{
    if (u->timestamp < 0) {
        ls_obj_info info;
        int rc = u->t && u->t->store ? ls_store_head(u->t->store, u->last_key, &info, err)
                                     : ls_err(err, LS_ERR_INVALID, "no table to read from");
        if (rc)
            return ls_err_prefix(err, "%s: modification time", u->last_key);
        u->timestamp = info.mtime_ms;
    }
    int rc = dl_protocol_check_read(u->has_protocol ? &u->protocol : &u->s->protocol, err);
    if (rc)
        return rc;
    if (u->has_metadata) {
        ls_schema *schema = NULL;
        if ((rc = ls_delta_schema_parse(u->metadata.schema_string, &schema, err))) {
            if (rc == LS_ERR_UNSUPPORTED && strstr(err->msg, "unsupported Delta feature"))
                return rc;
            return ls_err_prefix(err, "version %" PRId64 ": metaData.schemaString", u->version);
        }
        if (u->metadata.schema)
            ls_schema_free(u->metadata.schema);
        u->metadata.schema = schema;
    }
    return LS_OK;
}

/* ---- phase 2 ---- */

typedef struct nvec {
    hnode **v;
    size_t n, cap;
} nvec;

static void nvec_push(nvec *a, hnode *n)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->v = ls_xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = n;
}

typedef int (*node_cmp_fn)(const hnode *a, const hnode *b);

/* The orders of the snapshot's arrays: files by path, tombstones by path then DV. */
static int file_cmp(const hnode *a, const hnode *b)
{
    return strcmp(((const pk_add *)a)->a.path, ((const pk_add *)b)->a.path);
}
static int tomb_cmp(const hnode *a, const hnode *b)
{
    const ls_delta_remove *x = &((const pk_rm *)a)->r, *y = &((const pk_rm *)b)->r;
    int c = strcmp(x->path, y->path);
    return c ? c : dv_cmp(x->dv, y->dv);
}
static int qs_file_cmp(const void *a, const void *b)
{
    return file_cmp(*(hnode *const *)a, *(hnode *const *)b);
}
static int qs_tomb_cmp(const void *a, const void *b)
{
    return tomb_cmp(*(hnode *const *)a, *(hnode *const *)b);
}
static int qs_size_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* First index in arr[0..n) whose entry is not less than x. */
static size_t arr_lower(hnode *const *arr, size_t n, const hnode *x, node_cmp_fn cmp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp(arr[mid], x) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Position of node x in arr (by its order, then by identity); false if absent. */
static bool arr_locate(hnode *const *arr, size_t n, const hnode *x, node_cmp_fn cmp, size_t *at)
{
    for (size_t j = arr_lower(arr, n, x, cmp); j < n && cmp(arr[j], x) == 0; j++)
        if (arr[j] == x) {
            *at = j;
            return true;
        }
    for (size_t j = 0; j < n; j++) /* not where the order says: never expected */
        if (arr[j] == x) {
            *at = j;
            return true;
        }
    return false;
}

/* Removes the nodes gone[] from the sorted array and merges the nodes add[] into it. */
static void arr_edit(hnode ***arrp, size_t *np, size_t *capp, hnode **gone, size_t ng,
                     hnode **add, size_t na, node_cmp_fn cmp,
                     int (*qcmp)(const void *, const void *))
{
    hnode **arr = *arrp;
    size_t n = *np;
    if (ng) {
        size_t *idx = ls_xmalloc(ng * sizeof *idx), k = 0;
        for (size_t i = 0; i < ng; i++)
            if (arr_locate(arr, n, gone[i], cmp, &idx[k]))
                k++;
        if (k > 1)
            qsort(idx, k, sizeof *idx, qs_size_cmp);
        size_t u = 0;
        for (size_t i = 0; i < k; i++)
            if (!u || idx[i] != idx[u - 1])
                idx[u++] = idx[i];
        k = u;
        /* compact: the runs between dropped indexes move down */
        size_t w = k ? idx[0] : n;
        for (size_t i = 0; i < k; i++) {
            size_t from = idx[i] + 1, to = i + 1 < k ? idx[i + 1] : n;
            if (to > from) {
                memmove(arr + w, arr + from, (to - from) * sizeof *arr);
                w += to - from;
            }
        }
        n = w;
        free(idx);
    }
    if (na) {
        if (na > 1)
            qsort(add, na, sizeof *add, qcmp);
        if (n + na > *capp) {
            size_t cap = *capp + *capp / 2;
            if (cap < n + na)
                cap = n + na;
            arr = ls_xrealloc(arr, cap * sizeof *arr);
            *capp = cap;
        }
        /* merge from the back: each new node goes before the first entry not less than it */
        size_t i = n, w = n + na;
        for (size_t j = na; j-- > 0;) {
            size_t pos = arr_lower(arr, i, add[j], cmp);
            size_t cnt = i - pos;
            w -= cnt;
            memmove(arr + w, arr + pos, cnt * sizeof *arr);
            i = pos;
            arr[--w] = add[j];
        }
        n += na;
    }
    *arrp = arr;
    *np = n;
}

/* Builds the file and tombstone indexes of s. A canonical key present twice (only possible
 * in a malformed checkpoint whose rows encode one path two ways) keeps the later entry in
 * path order; the other is handed back in gone_* like a removed file. */
static void build_indexes(ls_delta_snapshot *s, nvec *gone_f, nvec *gone_t)
{
    htab *ix[2] = {&s->live_ix, &s->tomb_ix};
    size_t n[2] = {s->n_files, s->n_tombs};
    hnode **arr[2] = {(hnode **)s->files, (hnode **)s->tombs};
    nvec *gone[2] = {gone_f, gone_t};
    for (int k = 0; k < 2; k++) {
        free(ix[k]->slots);
        size_t cap = 64;
        while ((n[k] + 1) * 4 > cap * 3)
            cap *= 2;
        ix[k]->slots = ls_xcalloc(cap, sizeof(hslot));
        ix[k]->cap = cap;
        ix[k]->n = 0;
        ix[k]->with_dv = k == 1;
        /* one cache miss for the node and one for its slot: fetch both ahead (x8 here) */
        size_t m = cap - 1;
        for (size_t i = 0; i < n[k]; i++) {
            if (i + 16 < n[k])
                __builtin_prefetch(arr[k][i + 16]);
            if (i + 8 < n[k])
                __builtin_prefetch(&ix[k]->slots[(size_t)arr[k][i + 8]->hash & m], 1);
            hnode *x = arr[k][i];
            hnode *old = ht_put(ix[k], x, k ? ((pk_rm *)x)->r.dv : NULL);
            if (old)
                nvec_push(gone[k], old);
        }
    }
    s->ix_built = true;
}

/* A node leaves the live set or the tombstones: staged ones die now (freed at the end),
 * those already in the snapshot's arrays are dropped from them. */
static void node_gone(hnode *n, nvec *gone, nvec *dead)
{
    if (n->fresh) {
        n->fresh = 0;
        nvec_push(dead, n);
    } else {
        nvec_push(gone, n);
    }
}

static size_t key_lower(hnode *const *arr, size_t n, const char *key, bool *found)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(arr[mid]->key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < n && strcmp(arr[lo]->key, key) == 0;
    return lo;
}

static void apply_txn(ls_delta_snapshot *s, txn_node *x)
{
    bool found;
    size_t i = key_lower((hnode *const *)s->txns, s->n_txns, x->h.key, &found);
    if (found) {
        ls_delta_txn_action *t = &s->txns[i]->t;
        t->version = x->t.version;
        t->has_last_updated = x->t.has_last_updated;
        t->last_updated = x->t.last_updated;
        dl_txn_free(&x->t);
        free(x);
        return;
    }
    s->txns = ls_xrealloc(s->txns, (s->n_txns + 1) * sizeof *s->txns);
    memmove(s->txns + i + 1, s->txns + i, (s->n_txns - i) * sizeof *s->txns);
    s->txns[i] = x;
    s->n_txns++;
}

static void apply_domain(ls_delta_snapshot *s, dom_node *x)
{
    bool found;
    size_t i = key_lower((hnode *const *)s->doms, s->n_doms, x->h.key, &found);
    if (found) {
        dl_domain_free(&s->doms[i]->d);
        free(s->doms[i]);
        memmove(s->doms + i, s->doms + i + 1, (s->n_doms - i - 1) * sizeof *s->doms);
        s->n_doms--;
    }
    if (x->d.removed) { /* a removal is a tombstone the snapshot does not keep */
        dl_domain_free(&x->d);
        free(x);
        return;
    }
    s->doms = ls_xrealloc(s->doms, (s->n_doms + 1) * sizeof *s->doms);
    memmove(s->doms + i + 1, s->doms + i, (s->n_doms - i) * sizeof *s->doms);
    s->doms[i] = x;
    s->n_doms++;
}

/* Phase 2: applies everything staged to u->s (which takes ownership). */
static void upd_apply(upd *u)
{
    ls_delta_snapshot *s = u->s;
    nvec gone_f = {0}, gone_t = {0}, new_f = {0}, new_t = {0}, dead = {0};
    bool files = false;
    for (size_t i = 0; i < u->n_ops && !files; i++)
        files = u->ops[i].kind == DL_ACT_ADD || u->ops[i].kind == DL_ACT_REMOVE;
    if (files && !s->ix_built)
        build_indexes(s, &gone_f, &gone_t);
    for (size_t i = 0; i < u->n_ops; i++) {
        hnode *n = u->ops[i].n;
        switch (u->ops[i].kind) {
        case DL_ACT_ADD: {
            /* the newest add of a path replaces the live one whatever its DV, and revives a
             * tombstone of the same path + DV */
            pk_add *p = (pk_add *)n;
            hnode *old = ht_put(&s->live_ix, n, NULL);
            if (old)
                node_gone(old, &gone_f, &dead);
            nvec_push(&new_f, n);
            size_t slot;
            hnode *tn = ht_find(&s->tomb_ix, n->hash, n->key, n->key_len, p->a.dv, &slot);
            if (tn) {
                ht_del_slot(&s->tomb_ix, slot);
                node_gone(tn, &gone_t, &dead);
            }
            break;
        }
        case DL_ACT_REMOVE: {
            /* a remove deletes the live file only when the DV matches */
            pk_rm *p = (pk_rm *)n;
            size_t slot;
            hnode *ln = ht_find(&s->live_ix, n->hash, n->key, n->key_len, NULL, &slot);
            if (ln && dl_dv_same(((pk_add *)ln)->a.dv, p->r.dv)) {
                ht_del_slot(&s->live_ix, slot);
                node_gone(ln, &gone_f, &dead);
            }
            hnode *old = ht_put(&s->tomb_ix, n, p->r.dv);
            if (old)
                node_gone(old, &gone_t, &dead);
            nvec_push(&new_t, n);
            break;
        }
        case DL_ACT_TXN: apply_txn(s, (txn_node *)n); break;
        case DL_ACT_DOMAIN: apply_domain(s, (dom_node *)n); break;
        default: break;
        }
    }
    u->n_ops = 0; /* every node now belongs to s */
    /* staged nodes still fresh are the survivors */
    size_t k = 0;
    for (size_t i = 0; i < new_f.n; i++)
        if (new_f.v[i]->fresh)
            new_f.v[k++] = new_f.v[i];
    new_f.n = k;
    k = 0;
    for (size_t i = 0; i < new_t.n; i++)
        if (new_t.v[i]->fresh)
            new_t.v[k++] = new_t.v[i];
    new_t.n = k;
    if (gone_f.n || new_f.n)
        arr_edit((hnode ***)&s->files, &s->n_files, &s->cap_files, gone_f.v, gone_f.n, new_f.v,
                 new_f.n, file_cmp, qs_file_cmp);
    if (gone_t.n || new_t.n)
        arr_edit((hnode ***)&s->tombs, &s->n_tombs, &s->cap_tombs, gone_t.v, gone_t.n, new_t.v,
                 new_t.n, tomb_cmp, qs_tomb_cmp);
    for (size_t i = 0; i < new_f.n; i++)
        new_f.v[i]->fresh = 0;
    for (size_t i = 0; i < new_t.n; i++)
        new_t.v[i]->fresh = 0;
    nvec *fr[3] = {&gone_f, &gone_t, &dead};
    for (int j = 0; j < 3; j++) {
        for (size_t i = 0; i < fr[j]->n; i++)
            pa_free(&s->pa, fr[j]->v[i]);
        free(fr[j]->v);
    }
    free(new_f.v);
    free(new_t.v);
    if (u->has_protocol) {
        ls_delta_protocol_free(&s->protocol);
        s->protocol = u->protocol;
        memset(&u->protocol, 0, sizeof u->protocol);
        u->has_protocol = false;
    }
    if (u->has_metadata) {
        ls_delta_metadata_free(&s->metadata);
        s->metadata = u->metadata;
        memset(&u->metadata, 0, sizeof u->metadata);
        u->has_metadata = false;
    }
    s->version = u->version;
    s->timestamp = u->timestamp;
}

/* The content of ns replaces that of s (same table); ns is freed. */
static void snapshot_replace(ls_delta_snapshot *s, ls_delta_snapshot *ns)
{
    ls_delta_snapshot old = *s;
    *s = *ns;
    *ns = old;
    ls_delta_snapshot_free(ns);
}

/* Rough costs measured with bench_snapshot: a checkpoint row ~2 us, a commit of a few adds
 * ~50 us. A full load is chosen only when it is clearly cheaper. */
static bool full_load_cheaper(const ls_delta_snapshot *s, int64_t pending, int64_t after_cp)
{
    double incr = (double)pending * 50.0;
    double full = (double)(s->n_files + s->n_tombs) * 2.0 + (double)after_cp * 50.0;
    return full * 2 < incr;
}

/* The listing path: commits from `from` on (staged with prefetching), or a full load into
 * *full when the commits are missing (log cleaned up) or a checkpoint is much cheaper. */
static int upd_from_listing(upd *u, int64_t from, int64_t to, ls_delta_snapshot **full,
                            ls_error *err)
{
    ls_delta_table *t = u->t;
    *full = NULL;
    logseg seg;
    char sa[64];
    version_key(sa, sizeof sa, from); /* everything of version >= from */
    int rc = logseg_list(t, sa, &seg, err);
    if (rc)
        return rc;
    int64_t latest = logseg_latest(&seg);
    if (latest < from) {
        logseg_free(&seg);
        if (to < 0)
            return LS_OK; /* nothing newer */
        return ls_err(err, LS_ERR_NOTFOUND,
                      "%s: version %" PRId64 " does not exist (latest version is %" PRId64 ")",
                      t->uri, to, from - 1);
    }
    int64_t target = to < 0 ? latest : to;
    if (target > latest) {
        logseg_free(&seg);
        return ls_err(err, LS_ERR_NOTFOUND,
                      "%s: version %" PRId64 " does not exist (latest version is %" PRId64 ")",
                      t->uri, target, latest);
    }
    ssize_t ci = commit_index(&seg, from);
    size_t nc = (size_t)(target - from + 1);
    /* versions are unique and sorted: the range is complete iff its last one is in place */
    bool complete = ci >= 0 && (size_t)ci + nc <= seg.n_commits &&
                    seg.commits[(size_t)ci + nc - 1].version == target;
    const cp_cand *cp = logseg_checkpoint(&seg, target); /* only versions >= from are listed */
    if (cp && (!complete || full_load_cheaper(u->s, target - u->s->version,
                                              target - cp->version))) {
        rc = load_at(t, &seg, target, full, err);
        logseg_free(&seg);
        return rc;
    }
    if (!complete) {
        int64_t miss = from;
        if (ci >= 0)
            for (size_t k = 0; k < nc; k++)
                if ((size_t)ci + k >= seg.n_commits ||
                    seg.commits[(size_t)ci + k].version != from + (int64_t)k) {
                    miss = from + (int64_t)k;
                    break;
                }
        logseg_free(&seg);
        return ls_err(err, LS_ERR_CORRUPT,
                      "%s: missing commit %" PRId64 " in _delta_log/ (and no newer checkpoint)",
                      t->uri, miss);
    }
    const lfile *cs = &seg.commits[ci];
    prefetch pf;
    pf_start(&pf, t->store, cs, nc);
    for (size_t i = 0; rc == LS_OK && i < nc; i++) {
        ls_buf *buf = NULL;
        rc = pf_get(&pf, i, &buf, err);
        if (rc == LS_OK)
            rc = upd_stage_commit(u, cs[i].version, buf->data, buf->len, cs[i].mtime, cs[i].key,
                                  err);
        pf_release(&pf, i);
    }
    pf_stop(&pf);
    logseg_free(&seg);
    return rc;
}

/* After a failed phase 1: an unsupported protocol explains a failure better than what it
 * broke (as in load_at). */
static int upd_fail(upd *u, int rc, ls_error *err)
{
    ls_error e2 = {0};
    if (u->has_protocol && dl_protocol_check_read(&u->protocol, &e2)) {
        *err = e2;
        rc = e2.code;
    }
    upd_free(u);
    return rc;
}

int ls_delta_snapshot_update(ls_delta_snapshot *s, ls_delta_table *t, int64_t to_version,
                             ls_error *err)
{
    if (!s || !t || s->t != t)
        return ls_err(err, LS_ERR_INVALID,
                      "snapshot update: the snapshot was not loaded from this table handle");
    if (!t->store)
        return ls_err(err, LS_ERR_NOTFOUND, "%s: no such table (directory does not exist)",
                      t->uri);
    if (to_version >= 0 && to_version < s->version)
        return ls_err(err, LS_ERR_INVALID,
                      "%s: cannot update a snapshot of version %" PRId64
                      " back to version %" PRId64 " (load that version instead)",
                      t->uri, s->version, to_version);
    if (to_version == s->version)
        return LS_OK;
    upd u;
    upd_init(&u, s, t);
    ls_buf b = {0};
    int64_t v = s->version + 1;
    bool list = false;
    int rc = LS_OK;
    for (int probes = 0; to_version < 0 || v <= to_version; probes++) {
        if (probes == UPD_PROBE_MAX) {
            list = true; /* many commits behind: list, prefetch, maybe use a checkpoint */
            break;
        }
        char key[64];
        snprintf(key, sizeof key, DL_LOG_DIR "%020" PRId64 ".json", v);
        ls_buf_reset(&b);
        rc = ls_store_get(t->store, key, &b, err);
        if (rc == LS_ERR_NOTFOUND) {
            ls_error_clear(err);
            rc = LS_OK;
            if (to_version >= 0) {
                list = true; /* the target is further: find out why it is not there */
            } else if (v == s->version + 1) {
                /* Nothing after our version: up to date, unless the commits after it were
                 * cleaned up behind a newer checkpoint (which _last_checkpoint would name;
                 * without that file only a listing can tell). */
                int64_t hint = last_checkpoint_hint(t);
                list = hint < 0 || hint > s->version;
            }
            break;
        }
        if (rc) {
            ls_err_prefix(err, "%s", t->uri);
            break;
        }
        if ((rc = upd_stage_commit(&u, v, b.data, b.len, -1, key, err)))
            break;
        v++;
    }
    ls_buf_free(&b);
    ls_delta_snapshot *full = NULL;
    if (rc == LS_OK && list)
        rc = upd_from_listing(&u, v, to_version, &full, err);
    if (rc == LS_OK && full) {
        upd_free(&u);
        snapshot_replace(s, full);
        return LS_OK;
    }
    if (rc == LS_OK && u.version > s->version)
        rc = upd_check(&u, err);
    if (rc)
        return upd_fail(&u, rc, err);
    upd_apply(&u);
    upd_free(&u);
    return LS_OK;
}

int dl_snapshot_apply_commit(ls_delta_snapshot *s, int64_t version, const void *data, size_t len,
                             ls_error *err)
{
    if (version != s->version + 1)
        return ls_err(err, LS_ERR_INVALID,
                      "apply commit %" PRId64 " to a snapshot of version %" PRId64
                      ": only the next version can be applied",
                      version, s->version);
    upd u;
    upd_init(&u, s, s->t);
    char key[64];
    snprintf(key, sizeof key, DL_LOG_DIR "%020" PRId64 ".json", version);
    int rc = upd_stage_commit(&u, version, data, len, -1, key, err);
    if (rc == LS_OK)
        rc = upd_check(&u, err);
    if (rc)
        return upd_fail(&u, rc, err);
    upd_apply(&u);
    upd_free(&u);
    return LS_OK;
}

/* ---- history and incremental reads ---------------------------------------------------- */

int ls_delta_history(ls_delta_table *t, int64_t from, int64_t to, ls_delta_commit_info **out,
                     size_t *n, ls_error *err)
{
    *out = NULL;
    *n = 0;
    if (!t->store)
        return ls_err(err, LS_ERR_NOTFOUND, "%s: no such table", t->uri);
    if (from < 0)
        from = 0;
    logseg seg;
    char sa[64];
    if (from > 0)
        version_key(sa, sizeof sa, from - 1);
    int rc = logseg_list(t, from > 0 ? sa : NULL, &seg, err);
    if (rc)
        return rc;
    if (!seg.n_commits && from == 0) {
        logseg_free(&seg);
        return ls_err(err, LS_ERR_NOTFOUND, "%s: not a Delta table (no commits in _delta_log/)",
                      t->uri);
    }
    ls_delta_commit_info *arr = ls_xcalloc(seg.n_commits ? seg.n_commits : 1, sizeof *arr);
    size_t cnt = 0;
    ls_buf b = {0};
    ls_arena a;
    ls_arena_init(&a, 64 * 1024);
    for (size_t k = seg.n_commits; k-- > 0 && rc == LS_OK;) {
        const lfile *c = &seg.commits[k];
        if (c->version < from || (to >= 0 && c->version > to))
            continue;
        ls_buf_reset(&b);
        rc = ls_store_get(t->store, c->key, &b, err);
        if (rc)
            break;
        ls_delta_commit_info *ci = &arr[cnt++];
        memset(ci, 0, sizeof *ci);
        ci->version = c->version;
        ci->timestamp = c->mtime;
        ci->in_commit_timestamp = -1;
        const char *d = (const char *)b.data;
        size_t i = 0, len = b.len;
        while (i < len) {
            const char *nl = memchr(d + i, '\n', len - i);
            size_t e = nl ? (size_t)(nl - d) : len;
            size_t s = i;
            while (s < e && (d[s] == ' ' || d[s] == '\t'))
                s++;
            if (e - s > 14 && memcmp(d + s, "{\"commitInfo\"", 13) == 0) {
                dl_action act;
                if ((rc = dl_action_parse_line(d + s, e - s, &a, &act, err))) {
                    ls_err_prefix(err, "%s", c->key);
                    break;
                }
                if (act.kind == DL_ACT_COMMIT_INFO) {
                    dl_commit_info_copy(ci, &act.u.commit_info);
                    ci->version = c->version;
                    if (ci->timestamp < 0)
                        ci->timestamp = c->mtime;
                }
                break;
            }
            i = e + 1;
        }
        ls_arena_reset(&a);
    }
    ls_arena_free(&a);
    ls_buf_free(&b);
    logseg_free(&seg);
    if (rc) {
        for (size_t i = 0; i < cnt; i++)
            ls_delta_commit_info_free(&arr[i]);
        free(arr);
        return rc;
    }
    *out = arr;
    *n = cnt;
    return LS_OK;
}

int ls_delta_adds_since(ls_delta_table *t, int64_t from_version, int64_t to_version,
                        bool allow_removes, ls_delta_add **out, size_t *n, ls_error *err)
{
    *out = NULL;
    *n = 0;
    if (!t->store)
        return ls_err(err, LS_ERR_NOTFOUND, "%s: no such table", t->uri);
    if (from_version < -1)
        return ls_err(err, LS_ERR_INVALID, "adds since version %" PRId64 ": invalid version",
                      from_version);
    logseg seg;
    char sa[64];
    if (from_version >= 0)
        version_key(sa, sizeof sa, from_version);
    int rc = logseg_list(t, from_version >= 0 ? sa : NULL, &seg, err);
    if (rc)
        return rc;
    if (!seg.n_commits) {
        logseg_free(&seg);
        return ls_err(err, LS_ERR_NOTFOUND,
                      "%s: no commits at or after version %" PRId64 " in _delta_log/", t->uri,
                      from_version < 0 ? 0 : from_version);
    }
    int64_t latest = seg.commits[seg.n_commits - 1].version;
    if (to_version < 0)
        to_version = latest;
    if (to_version > latest) {
        logseg_free(&seg);
        return ls_err(err, LS_ERR_NOTFOUND,
                      "%s: version %" PRId64 " does not exist (latest is %" PRId64 ")", t->uri,
                      to_version, latest);
    }
    if (from_version > to_version) {
        logseg_free(&seg);
        return ls_err(err, LS_ERR_INVALID,
                      "%s: adds since %" PRId64 ": newer than version %" PRId64, t->uri,
                      from_version, to_version);
    }
    size_t cap = 0, cnt = 0;
    ls_delta_add *arr = NULL;
    ls_buf b = {0};
    ls_arena a;
    ls_arena_init(&a, 256 * 1024);
    for (int64_t v = from_version + 1; v <= to_version && rc == LS_OK; v++) {
        ssize_t k = commit_index(&seg, v);
        if (k < 0) {
            rc = ls_err(err, v == from_version + 1 ? LS_ERR_NOTFOUND : LS_ERR_CORRUPT,
                        "%s: commit %" PRId64 " is missing from _delta_log/", t->uri, v);
            break;
        }
        const lfile *c = &seg.commits[k];
        if ((rc = read_commit_file(t, c, &b, err)))
            break;
        dl_action *acts;
        size_t na;
        if ((rc = dl_commit_parse((const char *)b.data, b.len, &a, &acts, &na, err))) {
            ls_err_prefix(err, "%s", c->key);
            break;
        }
        const char *op = NULL;
        for (size_t i = 0; i < na; i++)
            if (acts[i].kind == DL_ACT_COMMIT_INFO)
                op = acts[i].u.commit_info.operation;
        for (size_t i = 0; i < na && rc == LS_OK; i++) {
            const dl_action *x = &acts[i];
            if (x->kind == DL_ACT_PROTOCOL) {
                rc = dl_protocol_check_read(&x->u.protocol, err);
            } else if (x->kind == DL_ACT_REMOVE && x->u.remove.data_change && !allow_removes) {
                rc = ls_err(err, LS_ERR_UNSUPPORTED,
                            "%s: commit %" PRId64 " (%s) removes data (file %s): not an "
                            "append-only change",
                            t->uri, v, op ? op : "unknown operation", x->u.remove.path);
            } else if (x->kind == DL_ACT_ADD && x->u.add.data_change) {
                if (cnt == cap) {
                    cap = cap ? cap * 2 : 64;
                    arr = ls_xrealloc(arr, cap * sizeof *arr);
                }
                dl_add_copy(&arr[cnt++], &x->u.add);
            }
        }
        ls_arena_reset(&a);
    }
    ls_arena_free(&a);
    ls_buf_free(&b);
    logseg_free(&seg);
    if (rc) {
        for (size_t i = 0; i < cnt; i++)
            ls_delta_add_free(&arr[i]);
        free(arr);
        return rc;
    }
    *out = arr;
    *n = cnt;
    return LS_OK;
}
