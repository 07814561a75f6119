/*
 * dl_schema.c - Delta schema JSON (PROTOCOL.md §Schema Serialization Format,
 * Spark's StructType JSON) <-> ls_schema.
 *
 * Column mapping metadata (delta.columnMapping.id / physicalName) goes to
 * ls_field.field_id / physical_name; all other field metadata (comments,
 * invariants, generation expressions, delta.typeChanges, ...) is kept as JSON
 * text in ls_field.metadata_json and written back, so parse -> serialize keeps
 * every key (the column-mapping keys come first). `void` columns (no data in
 * files) become nullable STRING columns, which a reader fills with nulls
 * because files never contain them.
 *
 * Also here: type widening (PROTOCOL.md §Type Widening) for schema evolution:
 * which primitive type changes are widenings, and recording them in the
 * delta.typeChanges history of the nearest struct field.
 */
#include "dl_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct prim_name {
    const char *name;
    ls_type type;
} prim_name;

static const prim_name prims[] = {
    {"string", LS_STRING},   {"long", LS_INT64},     {"integer", LS_INT32},
    {"short", LS_INT16},     {"byte", LS_INT8},      {"float", LS_FLOAT},
    {"double", LS_DOUBLE},   {"boolean", LS_BOOLEAN}, {"binary", LS_BINARY},
    {"date", LS_DATE},       {"timestamp", LS_TIMESTAMP}, {"timestamp_ntz", LS_TIMESTAMP_NTZ},
    {"void", LS_STRING},
};

static void skip_sp(const char **p)
{
    while (**p == ' ')
        (*p)++;
}

static bool small_int(const char **p, int *out)
{
    skip_sp(p);
    int v = 0, n = 0;
    while (**p >= '0' && **p <= '9') {
        if (++n > 3)
            return false;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return n > 0;
}

static bool eat_ch(const char **p, char c)
{
    skip_sp(p);
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static int parse_decimal_name(const char *s, ls_field *f, ls_error *err)
{
    /* "decimal" alone is decimal(10,0) as in Spark; else "decimal(p,s)" with optional spaces */
    const char *p = s + 7;
    int prec = 10, scale = 0;
    if (*p) {
        bool ok = eat_ch(&p, '(') && small_int(&p, &prec) && eat_ch(&p, ',') &&
                  small_int(&p, &scale) && eat_ch(&p, ')');
        if (ok)
            skip_sp(&p);
        if (!ok || *p)
            return ls_err(err, LS_ERR_CORRUPT, "schema: invalid decimal type '%s'", s);
    }
    if (prec < 1 || prec > 38 || scale < 0 || scale > prec)
        return ls_err(err, LS_ERR_UNSUPPORTED,
                      "schema: decimal(%d,%d) out of range (precision 1..38, scale <= precision)",
                      prec, scale);
    f->type = LS_DECIMAL;
    f->precision = (uint8_t)prec;
    f->scale = (uint8_t)scale;
    return LS_OK;
}

static int parse_struct_fields(const ls_json *t, ls_field *f, int depth, ls_error *err);

int dl_schema_parse_type(const ls_json *t, ls_field *f, int depth, ls_error *err)
{
    if (depth > LS_MAX_NESTING)
        return ls_err(err, LS_ERR_LIMIT, "schema: nesting deeper than %d", LS_MAX_NESTING);
    if (!t)
        return ls_err(err, LS_ERR_CORRUPT, "schema: field '%s' has no type", f->name);
    if (t->type == LS_JSON_STRING) {
        const char *s = t->text;
        for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
            if (strcmp(s, prims[i].name) == 0) {
                f->type = prims[i].type;
                if (strcmp(s, "void") == 0)
                    f->nullable = true;
                return LS_OK;
            }
        }
        if (strncmp(s, "decimal", 7) == 0)
            return parse_decimal_name(s, f, err);
        if (strcmp(s, "variant") == 0)
            return ls_err(err, LS_ERR_UNSUPPORTED,
                          "unsupported Delta feature: variantType (column '%s')", f->name);
        return ls_err(err, LS_ERR_UNSUPPORTED, "schema: unsupported type '%s' for field '%s'", s,
                      f->name);
    }
    if (t->type != LS_JSON_OBJECT)
        return ls_err(err, LS_ERR_CORRUPT, "schema: type of field '%s' must be a string or object",
                      f->name);
    const char *kind = ls_json_str(ls_json_get(t, "type"));
    if (!kind)
        return ls_err(err, LS_ERR_CORRUPT, "schema: type object of field '%s' has no \"type\"",
                      f->name);
    if (strcmp(kind, "struct") == 0) {
        f->type = LS_STRUCT;
        return parse_struct_fields(t, f, depth, err);
    }
    if (strcmp(kind, "array") == 0) {
        f->type = LS_LIST;
        const ls_json *cn = ls_json_get(t, "containsNull");
        bool nullable = !(cn && cn->type == LS_JSON_BOOL && !cn->b);
        ls_field *e = ls_field_add_child(f, "element", LS_STRING, nullable);
        return dl_schema_parse_type(ls_json_get(t, "elementType"), e, depth + 1, err);
    }
    if (strcmp(kind, "map") == 0) {
        f->type = LS_MAP;
        ls_field_add_child(f, "key", LS_STRING, false);
        const ls_json *vn = ls_json_get(t, "valueContainsNull");
        bool nullable = !(vn && vn->type == LS_JSON_BOOL && !vn->b);
        ls_field_add_child(f, "value", LS_STRING, nullable);
        int rc = dl_schema_parse_type(ls_json_get(t, "keyType"), &f->children[0], depth + 1, err);
        if (rc)
            return rc;
        if (ls_type_is_group(f->children[0].type))
            return ls_err(err, LS_ERR_UNSUPPORTED,
                          "schema: map '%s' has a non-primitive key type (not supported)",
                          f->name);
        return dl_schema_parse_type(ls_json_get(t, "valueType"), &f->children[1], depth + 1, err);
    }
    if (strcmp(kind, "udt") == 0) {
        /* Spark UDT: stored as its sqlType */
        return dl_schema_parse_type(ls_json_get(t, "sqlType"), f, depth + 1, err);
    }
    return ls_err(err, LS_ERR_UNSUPPORTED, "schema: unsupported type '%s' for field '%s'", kind,
                  f->name);
}

static int parse_field_metadata(const ls_json *md, ls_field *f, ls_error *err)
{
    if (!md || md->type == LS_JSON_NULL)
        return LS_OK;
    if (md->type != LS_JSON_OBJECT)
        return ls_err(err, LS_ERR_CORRUPT, "schema: metadata of field '%s' must be an object",
                      f->name);
    const ls_json *id = ls_json_get(md, "delta.columnMapping.id");
    if (id) {
        int64_t v;
        if (!ls_json_int64(id, &v) || v < 0 || v > INT32_MAX)
            return ls_err(err, LS_ERR_CORRUPT,
                          "schema: field '%s': delta.columnMapping.id must be a non-negative int",
                          f->name);
        f->field_id = (int32_t)v;
    }
    const ls_json *pn = ls_json_get(md, "delta.columnMapping.physicalName");
    if (pn) {
        if (pn->type != LS_JSON_STRING || !pn->len)
            return ls_err(err, LS_ERR_CORRUPT,
                          "schema: field '%s': delta.columnMapping.physicalName must be a "
                          "non-empty string",
                          f->name);
        free(f->physical_name);
        f->physical_name = ls_xstrdup(pn->text);
    }
    /* everything else is kept verbatim (values re-serialized compactly) */
    ls_buf rest = {0};
    for (size_t i = 0; i < md->n; i++) {
        const char *k = md->keys[i];
        if (!strcmp(k, "delta.columnMapping.id") || !strcmp(k, "delta.columnMapping.physicalName"))
            continue;
        ls_buf_putc(&rest, rest.len ? ',' : '{');
        ls_buf_json_str(&rest, k, md->key_lens[i]);
        ls_buf_putc(&rest, ':');
        ls_json_write(&md->items[i], &rest);
    }
    free(f->metadata_json);
    f->metadata_json = NULL;
    if (rest.len) {
        ls_buf_putc(&rest, '}');
        f->metadata_json = ls_xstrndup((const char *)rest.data, rest.len);
    }
    ls_buf_free(&rest);
    return LS_OK;
}

static int parse_struct_fields(const ls_json *t, ls_field *f, int depth, ls_error *err)
{
    const ls_json *fields = ls_json_get(t, "fields");
    if (!fields || fields->type != LS_JSON_ARRAY)
        return ls_err(err, LS_ERR_CORRUPT, "schema: struct '%s' has no \"fields\" array",
                      f->name && *f->name ? f->name : "<root>");
    for (size_t i = 0; i < fields->n; i++) {
        const ls_json *fj = &fields->items[i];
        const char *name = ls_json_str(ls_json_get(fj, "name"));
        if (!name)
            return ls_err(err, LS_ERR_CORRUPT, "schema: field %zu of '%s' has no name", i,
                          f->name && *f->name ? f->name : "<root>");
        const ls_json *nl = ls_json_get(fj, "nullable");
        bool nullable = !(nl && nl->type == LS_JSON_BOOL && !nl->b);
        ls_field *c = ls_field_add_child(f, name, LS_STRING, nullable);
        int rc = dl_schema_parse_type(ls_json_get(fj, "type"), c, depth + 1, err);
        if (rc)
            return rc;
        if ((rc = parse_field_metadata(ls_json_get(fj, "metadata"), c, err)))
            return rc;
    }
    return LS_OK;
}

int ls_delta_schema_parse(const char *json, ls_schema **out, ls_error *err)
{
    *out = NULL;
    if (!json)
        return ls_err(err, LS_ERR_CORRUPT, "schema: missing schemaString");
    ls_arena a;
    ls_arena_init(&a, 16 * 1024);
    ls_json *root;
    int rc = ls_json_parse(json, strlen(json), &a, &root, err);
    if (rc) {
        ls_arena_free(&a);
        return ls_err_prefix(err, "schemaString");
    }
    const char *kind = ls_json_str(ls_json_get(root, "type"));
    if (!kind || strcmp(kind, "struct") != 0) {
        ls_arena_free(&a);
        return ls_err(err, LS_ERR_CORRUPT, "schema: top level must be {\"type\":\"struct\",...}");
    }
    ls_schema *s = ls_schema_new();
    rc = parse_struct_fields(root, &s->root, 0, err);
    ls_arena_free(&a);
    if (rc == LS_OK && (rc = ls_schema_finalize(s, err)) != LS_OK)
        ls_err_prefix(err, "schema");
    if (rc) {
        ls_schema_free(s);
        return rc;
    }
    *out = s;
    return LS_OK;
}

/* ---- serialization ------------------------------------------------------------- */

static void field_to_json(const ls_field *f, ls_buf *out);

void dl_schema_type_to_json(const ls_field *f, ls_buf *out)
{
    switch (f->type) {
    case LS_BOOLEAN: ls_buf_puts(out, "\"boolean\""); break;
    case LS_INT8: ls_buf_puts(out, "\"byte\""); break;
    case LS_INT16: ls_buf_puts(out, "\"short\""); break;
    case LS_INT32: ls_buf_puts(out, "\"integer\""); break;
    case LS_INT64: ls_buf_puts(out, "\"long\""); break;
    case LS_FLOAT: ls_buf_puts(out, "\"float\""); break;
    case LS_DOUBLE: ls_buf_puts(out, "\"double\""); break;
    case LS_STRING: ls_buf_puts(out, "\"string\""); break;
    case LS_BINARY: ls_buf_puts(out, "\"binary\""); break;
    case LS_DATE: ls_buf_puts(out, "\"date\""); break;
    case LS_TIMESTAMP: ls_buf_puts(out, "\"timestamp\""); break;
    case LS_TIMESTAMP_NTZ: ls_buf_puts(out, "\"timestamp_ntz\""); break;
    case LS_DECIMAL: ls_buf_printf(out, "\"decimal(%d,%d)\"", f->precision, f->scale); break;
    case LS_STRUCT:
        ls_buf_puts(out, "{\"type\":\"struct\",\"fields\":[");
        for (int i = 0; i < f->n_children; i++) {
            if (i)
                ls_buf_putc(out, ',');
            field_to_json(&f->children[i], out);
        }
        ls_buf_puts(out, "]}");
        break;
    case LS_LIST:
        ls_buf_puts(out, "{\"type\":\"array\",\"elementType\":");
        dl_schema_type_to_json(&f->children[0], out);
        ls_buf_printf(out, ",\"containsNull\":%s}", f->children[0].nullable ? "true" : "false");
        break;
    case LS_MAP:
        ls_buf_puts(out, "{\"type\":\"map\",\"keyType\":");
        dl_schema_type_to_json(&f->children[0], out);
        ls_buf_puts(out, ",\"valueType\":");
        dl_schema_type_to_json(&f->children[1], out);
        ls_buf_printf(out, ",\"valueContainsNull\":%s}",
                      f->children[1].nullable ? "true" : "false");
        break;
    }
}

static void field_to_json(const ls_field *f, ls_buf *out)
{
    ls_buf_puts(out, "{\"name\":");
    ls_buf_json_str(out, f->name, strlen(f->name));
    ls_buf_puts(out, ",\"type\":");
    dl_schema_type_to_json(f, out);
    ls_buf_printf(out, ",\"nullable\":%s,\"metadata\":{", f->nullable ? "true" : "false");
    bool first = true;
    if (f->field_id >= 0) {
        ls_buf_printf(out, "\"delta.columnMapping.id\":%d", (int)f->field_id);
        first = false;
    }
    if (f->physical_name) {
        if (!first)
            ls_buf_putc(out, ',');
        ls_buf_puts(out, "\"delta.columnMapping.physicalName\":");
        ls_buf_json_str(out, f->physical_name, strlen(f->physical_name));
        first = false;
    }
    if (f->metadata_json) {
        /* the members of the stored object, without its braces */
        const char *a = f->metadata_json, *b = a + strlen(a);
        while (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r')
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\n' || b[-1] == '\r'))
            b--;
        if (b - a >= 2 && a[0] == '{' && b[-1] == '}') {
            a++;
            b--;
            const char *q = a;
            while (q < b && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
                q++;
            if (q < b) {
                if (!first)
                    ls_buf_putc(out, ',');
                ls_buf_append(out, a, (size_t)(b - a));
            }
        }
    }
    ls_buf_puts(out, "}}");
}

void ls_delta_schema_to_json(const ls_schema *s, ls_buf *out)
{
    ls_buf_puts(out, "{\"type\":\"struct\",\"fields\":[");
    for (int i = 0; i < s->root.n_children; i++) {
        if (i)
            ls_buf_putc(out, ',');
        field_to_json(&s->root.children[i], out);
    }
    ls_buf_puts(out, "]}");
}

/* ---- type widening (PROTOCOL.md §Type Widening) ---------------------------------------- */

static int int_width(ls_type t)
{
    switch (t) {
    case LS_INT8: return 1;
    case LS_INT16: return 2;
    case LS_INT32: return 4;
    case LS_INT64: return 8;
    default: return 0;
    }
}

static bool same_prim(const ls_field *a, const ls_field *b)
{
    return a->type == b->type &&
           (a->type != LS_DECIMAL || (a->precision == b->precision && a->scale == b->scale));
}

/* Whether the primitive type of a may widen to b's. iceberg: only what Iceberg V2 can
 * follow (no int -> double, date -> timestamp_ntz, decimal scale increase, int -> decimal). */
static bool widening_ok(const ls_field *a, const ls_field *b, bool iceberg)
{
    int wa = int_width(a->type), wb = int_width(b->type);
    if (wa && wb)
        return wa <= wb;
    if (a->type == LS_FLOAT && b->type == LS_DOUBLE)
        return true;
    if (iceberg && !(a->type == LS_DECIMAL && b->type == LS_DECIMAL))
        return false;
    if (wa && wa <= 4 && b->type == LS_DOUBLE)
        return true;
    if (a->type == LS_DATE && b->type == LS_TIMESTAMP_NTZ)
        return true;
    if (b->type != LS_DECIMAL)
        return false;
    int bint = (int)b->precision - (int)b->scale; /* integer digits of the new decimal */
    if (a->type == LS_DECIMAL) {
        int k1 = (int)b->precision - (int)a->precision, k2 = (int)b->scale - (int)a->scale;
        return k2 >= 0 && k1 >= k2 && (!iceberg || k2 == 0);
    }
    if (wa && wa <= 4)
        return bint >= 10;
    if (wa == 8)
        return bint >= 20;
    return false;
}

typedef struct tc_walk {
    bool record;       /* append the changes to delta.typeChanges of the new schema */
    bool iceberg;      /* icebergCompatV1/V2: only Iceberg type promotions */
    bool with_version; /* typeWidening-preview tables: entries carry tableVersion */
    int64_t version;
    int n_changes;
    ls_buf fpath; /* "element.value" path below the struct field being walked */
} tc_walk;

static int tc_struct(tc_walk *w, const ls_field *o, ls_field *n, int depth, ls_error *err);

static void type_text(const ls_field *f, ls_buf *out)
{
    ls_buf q = {0};
    dl_schema_type_to_json(f, &q); /* a quoted type name for primitives */
    if (q.len >= 2 && q.data[0] == '"')
        ls_buf_append(out, q.data + 1, q.len - 2);
    else
        ls_buf_puts(out, ls_type_name(f->type));
    ls_buf_free(&q);
}

static int tc_refuse(const tc_walk *w, const ls_field *holder, const ls_field *o,
                     const ls_field *n, const char *why, ls_error *err)
{
    char *path = ls_field_path(holder);
    ls_buf a = {0}, b = {0};
    type_text(o, &a);
    type_text(n, &b);
    int rc = ls_err(err, LS_ERR_UNSUPPORTED,
                    "schema change: the type of '%s%s%.*s' cannot change from %s to %s (%s)",
                    path, w->fpath.len ? "." : "", (int)w->fpath.len, (const char *)w->fpath.data,
                    ls_buf_cstr(&a), ls_buf_cstr(&b), why);
    free(path);
    ls_buf_free(&a);
    ls_buf_free(&b);
    return rc;
}

/* Compares the types of o and n (below struct field holder), appending change entries to
 * entries. Nested struct fields hold their own history. */
static int tc_type(tc_walk *w, const ls_field *o, ls_field *n, const ls_field *holder,
                   ls_buf *entries, int depth, ls_error *err)
{
    if (depth > LS_MAX_NESTING)
        return ls_err(err, LS_ERR_LIMIT, "schema: nesting deeper than %d", LS_MAX_NESTING);
    bool og = ls_type_is_group(o->type), ng = ls_type_is_group(n->type);
    if (o->type == LS_STRUCT && n->type == LS_STRUCT)
        return tc_struct(w, o, n, depth + 1, err);
    if ((o->type == LS_LIST && n->type == LS_LIST) || (o->type == LS_MAP && n->type == LS_MAP)) {
        for (int i = 0; i < n->n_children && i < o->n_children; i++) {
            size_t save = w->fpath.len;
            if (save)
                ls_buf_putc(&w->fpath, '.');
            ls_buf_puts(&w->fpath, n->type == LS_LIST ? "element" : i == 0 ? "key" : "value");
            int rc = tc_type(w, &o->children[i], &n->children[i], holder, entries, depth + 1, err);
            w->fpath.len = save;
            if (rc)
                return rc;
        }
        return LS_OK;
    }
    if (og || ng)
        return tc_refuse(w, holder, o, n, "a nested type cannot change its kind", err);
    if (same_prim(o, n))
        return LS_OK;
    if (!widening_ok(o, n, false))
        return tc_refuse(w, holder, o, n, "not a type widening the Delta protocol allows", err);
    if (w->iceberg && !widening_ok(o, n, true))
        return tc_refuse(w, holder, o, n,
                         "icebergCompat is enabled and Iceberg does not support this promotion",
                         err);
    w->n_changes++;
    if (!w->record)
        return LS_OK;
    if (entries->len)
        ls_buf_putc(entries, ',');
    ls_buf_putc(entries, '{');
    if (w->with_version)
        ls_buf_printf(entries, "\"tableVersion\":%" PRId64 ",", w->version);
    ls_buf_puts(entries, "\"fromType\":");
    dl_schema_type_to_json(o, entries);
    ls_buf_puts(entries, ",\"toType\":");
    dl_schema_type_to_json(n, entries);
    if (w->fpath.len) {
        ls_buf_puts(entries, ",\"fieldPath\":");
        ls_buf_json_str(entries, (const char *)w->fpath.data, w->fpath.len);
    }
    ls_buf_putc(entries, '}');
    return LS_OK;
}

/* Appends change entries ("{...},{...}") to the delta.typeChanges array in f's metadata,
 * keeping the history already there and every other key. */
static int append_type_changes(ls_field *f, const ls_buf *entries, ls_error *err)
{
    ls_buf out = {0};
    if (!f->metadata_json) {
        ls_buf_puts(&out, "{\"delta.typeChanges\":[");
        ls_buf_append(&out, entries->data, entries->len);
        ls_buf_puts(&out, "]}");
    } else {
        ls_arena a;
        ls_arena_init(&a, 4096);
        ls_json *md = NULL;
        int rc = ls_json_parse(f->metadata_json, strlen(f->metadata_json), &a, &md, err);
        if (rc == LS_OK && md->type != LS_JSON_OBJECT)
            rc = ls_err(err, LS_ERR_CORRUPT, "metadata is not an object");
        bool done = false;
        ls_buf_putc(&out, '{');
        for (size_t i = 0; rc == LS_OK && i < md->n; i++) {
            if (i)
                ls_buf_putc(&out, ',');
            ls_buf_json_str(&out, md->keys[i], md->key_lens[i]);
            ls_buf_putc(&out, ':');
            const ls_json *v = &md->items[i];
            if (strcmp(md->keys[i], "delta.typeChanges") != 0) {
                ls_json_write(v, &out);
                continue;
            }
            if (v->type != LS_JSON_ARRAY) {
                rc = ls_err(err, LS_ERR_CORRUPT, "delta.typeChanges is not an array");
                break;
            }
            ls_buf_putc(&out, '[');
            for (size_t k = 0; k < v->n; k++) {
                ls_json_write(&v->items[k], &out);
                ls_buf_putc(&out, ',');
            }
            ls_buf_append(&out, entries->data, entries->len);
            ls_buf_putc(&out, ']');
            done = true;
        }
        if (rc == LS_OK && !done) {
            if (md->n)
                ls_buf_putc(&out, ',');
            ls_buf_puts(&out, "\"delta.typeChanges\":[");
            ls_buf_append(&out, entries->data, entries->len);
            ls_buf_putc(&out, ']');
        }
        ls_buf_putc(&out, '}');
        ls_arena_free(&a);
        if (rc) {
            ls_buf_free(&out);
            return ls_err_prefix(err, "schema: metadata of field '%s'", f->name);
        }
    }
    free(f->metadata_json);
    f->metadata_json = ls_xstrndup((const char *)out.data, out.len);
    ls_buf_free(&out);
    return LS_OK;
}

/* Struct fields of n matched by name in o: carry o's metadata over (record mode) and
 * compare their types. */
static int tc_struct(tc_walk *w, const ls_field *o, ls_field *n, int depth, ls_error *err)
{
    if (depth > LS_MAX_NESTING)
        return ls_err(err, LS_ERR_LIMIT, "schema: nesting deeper than %d", LS_MAX_NESTING);
    ls_buf saved = w->fpath; /* struct fields start a new path */
    memset(&w->fpath, 0, sizeof w->fpath);
    int rc = LS_OK;
    ls_buf entries = {0};
    for (int i = 0; i < n->n_children && rc == LS_OK; i++) {
        ls_field *c = &n->children[i];
        const ls_field *oc = ls_field_find_child(o, c->name, strlen(c->name));
        if (!oc)
            continue; /* a new field */
        if (w->record) {
            if (!c->metadata_json && oc->metadata_json)
                c->metadata_json = ls_xstrdup(oc->metadata_json);
            if (c->field_id < 0 && oc->field_id >= 0)
                c->field_id = oc->field_id;
            if (!c->physical_name && oc->physical_name)
                c->physical_name = ls_xstrdup(oc->physical_name);
        }
        entries.len = 0;
        rc = tc_type(w, oc, c, c, &entries, depth + 1, err);
        if (rc == LS_OK && entries.len)
            rc = append_type_changes(c, &entries, err);
    }
    ls_buf_free(&entries);
    ls_buf_free(&w->fpath);
    w->fpath = saved;
    return rc;
}

int ls_delta_schema_type_changes(const ls_schema *old, const ls_schema *nw, int *n_changes,
                                 ls_error *err)
{
    tc_walk w;
    memset(&w, 0, sizeof w);
    *n_changes = 0;
    /* the walk only writes metadata in record mode, so nw is not modified here */
    int rc = tc_struct(&w, &old->root, (ls_field *)&nw->root, 0, err);
    ls_buf_free(&w.fpath);
    *n_changes = w.n_changes;
    return rc;
}

int ls_delta_evolve_schema(const ls_delta_protocol *p, int64_t version, ls_delta_metadata *m,
                           const ls_schema *new_schema, ls_delta_protocol *proto_out,
                           bool *proto_changed, ls_error *err)
{
    *proto_changed = false;
    memset(proto_out, 0, sizeof *proto_out);
    if (!m->schema)
        return ls_err(err, LS_ERR_INVALID, "schema change: the table metadata has no schema");
    bool preview = ls_delta_protocol_supports(p, "typeWidening-preview");
    bool stable = ls_delta_protocol_supports(p, "typeWidening");
    tc_walk w;
    memset(&w, 0, sizeof w);
    w.record = true;
    w.iceberg = ls_delta_protocol_supports(p, "icebergCompatV1") ||
                ls_delta_protocol_supports(p, "icebergCompatV2");
    w.with_version = preview;
    w.version = version;
    ls_schema *ns = ls_schema_clone(new_schema);
    if (!ns)
        return ls_err(err, LS_ERR_INVALID, "schema change: the new schema is not valid");
    int rc = tc_struct(&w, &m->schema->root, &ns->root, 0, err);
    ls_buf_free(&w.fpath);
    if (rc == LS_OK && w.n_changes > 0) {
        /* §Type Widening: writers must reject type changes unless the property is true;
         * absent means nobody decided, and asking for schema merging enables it */
        bool found = false;
        const char *v = ls_kvlist_get(&m->configuration, "delta.enableTypeWidening", &found);
        if (found && !(v && ls_str_ieq(v, "true")))
            rc = ls_err(err, LS_ERR_UNSUPPORTED,
                        "schema change widens %d column type(s) but the table has "
                        "delta.enableTypeWidening=%s",
                        w.n_changes, v ? v : "null");
    }
    if (rc) {
        ls_schema_free(ns);
        return rc;
    }
    if (w.n_changes > 0) {
        ls_kvlist_set(&m->configuration, "delta.enableTypeWidening", "true");
        /* a table on the preview feature keeps it (old clients only know that one) */
        if (!preview && !stable)
            *proto_changed = ls_delta_protocol_add_feature(p, "typeWidening", proto_out);
    }
    ls_buf b = {0};
    ls_delta_schema_to_json(ns, &b);
    free(m->schema_string);
    m->schema_string = ls_xstrndup((const char *)b.data, b.len);
    ls_buf_free(&b);
    ls_schema_free(m->schema);
    m->schema = ns;
    return LS_OK;
}
