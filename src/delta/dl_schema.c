/*
 * dl_schema.c - Delta schema JSON (PROTOCOL.md §Schema Serialization Format,
 * Spark's StructType JSON) <-> ls_schema.
 *
 * Column mapping metadata (delta.columnMapping.id / physicalName) goes to
 * ls_field.field_id / physical_name; other field metadata (invariants,
 * generation expressions, type-widening history, ...) is accepted and not
 * kept: the snapshot keeps the original schemaString, which is what a writer
 * re-emits. `void` columns (no data in files) become nullable STRING columns,
 * which a reader fills with nulls because files never contain them.
 */
#include "dl_int.h"

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
