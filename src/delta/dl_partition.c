/*
 * dl_partition.c - partition values (PROTOCOL.md §Partition Value
 * Serialization): the log's string form -> typed leaf values and back, the
 * Hive directory escaping Spark uses for partition directories
 * (ExternalCatalogUtils.escapePathName), and the URI path encoding/decoding of
 * add.path (Hadoop Path.toUri: one encode on write, one decode on read).
 *
 * Timestamps are accepted in both forms Spark writes: the legacy zone-less
 * "yyyy-MM-dd HH:mm:ss[.ffffff]" (interpreted in the session time zone, which
 * is UTC for us) and ISO-8601 with 'Z' or an offset.
 */
#include "dl_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- parsing --------------------------------------------------------------- */

static int pv_bad(ls_error *err, const ls_leaf *l, const char *value, const char *what)
{
    return ls_err(err, LS_ERR_CORRUPT, "partition value '%.200s' of column '%s' is not a valid %s",
                  value, l->field && l->field->name ? l->field->name : "?", what);
}

static bool parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (s[i] == '-' || s[i] == '+') {
        neg = s[i] == '-';
        i++;
    }
    if (!s[i])
        return false;
    uint64_t acc = 0;
    for (; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (acc > (UINT64_MAX - d) / 10)
            return false;
        acc = acc * 10 + d;
    }
    if (neg) {
        if (acc > (uint64_t)INT64_MAX + 1)
            return false;
        int64_t v = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
        if (v < lo)
            return false;
        *out = v;
    } else {
        if (acc > (uint64_t)INT64_MAX || (int64_t)acc > hi)
            return false;
        *out = (int64_t)acc;
    }
    return true;
}

static bool parse_double(const char *s, double *out)
{
    if (!strcmp(s, "NaN")) {
        *out = NAN;
        return true;
    }
    if (!strcmp(s, "Infinity") || !strcmp(s, "+Infinity")) {
        *out = INFINITY;
        return true;
    }
    if (!strcmp(s, "-Infinity")) {
        *out = -INFINITY;
        return true;
    }
    /* Only plain decimal/scientific forms (strtod would also take hex and "inf"). */
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '-' ||
              *p == '+'))
            return false;
    char *end;
    double d = strtod(s, &end);
    if (end == s || *end)
        return false;
    *out = d;
    return true;
}

/* Decimal text -> unscaled value at `scale`, HALF_UP rounding of extra digits. */
static bool parse_decimal(const char *s, int precision, int scale, __int128 *out)
{
    size_t i = 0;
    bool neg = false;
    if (s[i] == '-' || s[i] == '+') {
        neg = s[i] == '-';
        i++;
    }
    /* collect digits and the position of the point */
    char dig[80];
    int nd = 0, point = -1;
    bool any = false;
    for (; s[i] && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            if (point >= 0)
                return false;
            point = nd;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return false;
        any = true;
        if (nd == 0 && s[i] == '0' && point < 0)
            continue; /* leading zeros of the integer part */
        if (nd >= (int)sizeof dig)
            return false;
        dig[nd++] = s[i];
    }
    if (!any)
        return false;
    if (point < 0)
        point = nd;
    int64_t exp = 0;
    if (s[i] == 'e' || s[i] == 'E') {
        if (!parse_i64(s + i + 1, -1000, 1000, &exp))
            return false;
    }
    /* value = 0.dig * 10^(point + exp); we want digits up to `scale` after the point */
    int64_t int_digits = point + exp; /* digits before the decimal point */
    __int128 lim = 1;
    for (int k = 0; k < precision; k++)
        lim *= 10;
    __int128 v = 0;
    int64_t want = int_digits + scale; /* number of dig[] digits that form the unscaled value */
    if (want > 60)
        return false;
    for (int64_t k = 0; k < want; k++) {
        int d = (k >= 0 && k < nd) ? dig[k] - '0' : 0;
        if (v > lim / 10)
            return false; /* too many digits for the precision */
        v = v * 10 + d;
    }
    if (want >= 0 && want < nd && dig[want] >= '5')
        v += 1; /* HALF_UP */
    if (v >= lim)
        return false;
    *out = neg ? -v : v;
    return true;
}

int ls_delta_partition_value_push(ls_leaf *l, const char *value, ls_error *err)
{
    const ls_field *f = l->field;
    if (!value || !*value) {
        if (l->max_def == 0)
            return ls_err(err, LS_ERR_INVALID,
                          "null partition value for non-nullable column '%s'", f->name);
        ls_leaf_null(l, l->max_def - 1, 0);
        return LS_OK;
    }
    size_t n = strlen(value);
    switch (f->type) {
    case LS_STRING:
    case LS_BINARY: ls_leaf_push_bytes(l, 0, value, n); return LS_OK;
    case LS_BOOLEAN:
        if (ls_str_ieq(value, "true"))
            ls_leaf_push_bool(l, 0, true);
        else if (ls_str_ieq(value, "false"))
            ls_leaf_push_bool(l, 0, false);
        else
            return pv_bad(err, l, value, "boolean");
        return LS_OK;
    case LS_INT8:
    case LS_INT16:
    case LS_INT32: {
        int64_t lo = f->type == LS_INT8 ? -128 : f->type == LS_INT16 ? -32768 : INT32_MIN;
        int64_t hi = f->type == LS_INT8 ? 127 : f->type == LS_INT16 ? 32767 : INT32_MAX;
        int64_t v;
        if (!parse_i64(value, lo, hi, &v))
            return pv_bad(err, l, value, ls_type_name(f->type));
        ls_leaf_push_i32(l, 0, (int32_t)v);
        return LS_OK;
    }
    case LS_INT64: {
        int64_t v;
        if (!parse_i64(value, INT64_MIN, INT64_MAX, &v))
            return pv_bad(err, l, value, "BIGINT");
        ls_leaf_push_i64(l, 0, v);
        return LS_OK;
    }
    case LS_FLOAT:
    case LS_DOUBLE: {
        double d;
        if (!parse_double(value, &d))
            return pv_bad(err, l, value, ls_type_name(f->type));
        if (f->type == LS_FLOAT)
            ls_leaf_push_f32(l, 0, (float)d);
        else
            ls_leaf_push_f64(l, 0, d);
        return LS_OK;
    }
    case LS_DATE: {
        int32_t days;
        if (!ls_parse_date(value, n, &days)) {
            /* tolerate a timestamp form: keep its date part */
            int64_t us;
            bool tz;
            if (!ls_parse_timestamp(value, n, &us, &tz))
                return pv_bad(err, l, value, "DATE (yyyy-MM-dd)");
            int64_t dd = us >= 0 ? us / 86400000000LL : -((-us + 86399999999LL) / 86400000000LL);
            days = (int32_t)dd;
        }
        ls_leaf_push_i32(l, 0, days);
        return LS_OK;
    }
    case LS_TIMESTAMP:
    case LS_TIMESTAMP_NTZ: {
        int64_t us;
        bool tz;
        if (!ls_parse_timestamp(value, n, &us, &tz))
            return pv_bad(err, l, value, "timestamp");
        ls_leaf_push_i64(l, 0, us);
        return LS_OK;
    }
    case LS_DECIMAL: {
        __int128 v;
        if (!parse_decimal(value, f->precision, f->scale, &v))
            return pv_bad(err, l, value, "decimal for its precision/scale");
        if (l->phys == LS_PHYS_I32)
            ls_leaf_push_i32(l, 0, (int32_t)v);
        else if (l->phys == LS_PHYS_I64)
            ls_leaf_push_i64(l, 0, (int64_t)v);
        else {
            uint8_t b[16];
            unsigned __int128 u = (unsigned __int128)v;
            for (int k = 0; k < 16; k++)
                b[k] = (uint8_t)(u >> (8 * k));
            ls_leaf_push_i128(l, 0, b);
        }
        return LS_OK;
    }
    default:
        return ls_err(err, LS_ERR_UNSUPPORTED, "partition column '%s' has non-primitive type %s",
                      f->name, ls_type_name(f->type));
    }
}

/* ---- formatting ------------------------------------------------------------- */

/* Java's Double.toString / Float.toString: shortest round-trip digits, plain notation for
 * 1e-3 <= |x| < 1e7, else d.dddE[-]n. */
static void java_float_text(double d, bool is_float, ls_buf *out)
{
    if (isnan(d)) {
        ls_buf_puts(out, "NaN");
        return;
    }
    if (isinf(d)) {
        ls_buf_puts(out, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (d == 0) {
        ls_buf_puts(out, "0.0"); /* Spark normalizes -0.0 */
        return;
    }
    char tmp[64];
    int maxp = is_float ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
        double back = strtod(tmp, NULL);
        if (is_float ? (float)back == (float)d : back == d)
            break;
    }
    /* tmp = [-]d.ddde[+-]xx */
    const char *p = tmp;
    bool neg = *p == '-';
    if (neg)
        p++;
    char digs[32];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digs[nd++] = *p;
    int e = atoi(p + 1);
    while (nd > 1 && digs[nd - 1] == '0')
        nd--;
    if (neg)
        ls_buf_putc(out, '-');
    double a = fabs(d);
    if (a >= 1e-3 && a < 1e7) {
        if (e >= 0) {
            for (int k = 0; k <= e; k++)
                ls_buf_putc(out, (uint8_t)(k < nd ? digs[k] : '0'));
            ls_buf_putc(out, '.');
            if (nd > e + 1)
                ls_buf_append(out, digs + e + 1, (size_t)(nd - e - 1));
            else
                ls_buf_putc(out, '0');
        } else {
            ls_buf_puts(out, "0.");
            for (int k = 0; k < -e - 1; k++)
                ls_buf_putc(out, '0');
            ls_buf_append(out, digs, (size_t)nd);
        }
    } else {
        ls_buf_putc(out, (uint8_t)digs[0]);
        ls_buf_putc(out, '.');
        if (nd > 1)
            ls_buf_append(out, digs + 1, (size_t)(nd - 1));
        else
            ls_buf_putc(out, '0');
        ls_buf_printf(out, "E%d", e);
    }
}


void dl_partition_value_format(const ls_leaf *l, size_t i, ls_buf *out)
{
    const ls_field *f = l->field;
    switch (f->type) {
    case LS_STRING:
    case LS_BINARY: {
        size_t n;
        const uint8_t *p = ls_leaf_bytes_at(l, i, &n);
        ls_buf_append(out, p, n);
        break;
    }
    case LS_BOOLEAN: ls_buf_puts(out, ((const uint8_t *)l->values)[i] ? "true" : "false"); break;
    case LS_INT8:
    case LS_INT16:
    case LS_INT32: ls_buf_printf(out, "%d", (int)((const int32_t *)l->values)[i]); break;
    case LS_INT64: ls_buf_printf(out, "%lld", (long long)((const int64_t *)l->values)[i]); break;
    case LS_FLOAT: java_float_text(((const float *)l->values)[i], true, out); break;
    case LS_DOUBLE: java_float_text(((const double *)l->values)[i], false, out); break;
    case LS_DATE: {
        char b[16];
        ls_format_date(((const int32_t *)l->values)[i], b);
        ls_buf_puts(out, b);
        break;
    }
    case LS_TIMESTAMP: {
        char b[40];
        int n = ls_format_timestamp(((const int64_t *)l->values)[i], true, b);
        ls_buf_append(out, b, (size_t)n);
        break;
    }
    case LS_TIMESTAMP_NTZ: {
        /* Spark's cast to string: "yyyy-MM-dd HH:mm:ss[.fraction without trailing zeros]" */
        char b[40];
        int n = ls_format_timestamp(((const int64_t *)l->values)[i], false, b);
        for (int k = 0; k < n; k++)
            if (b[k] == 'T') {
                b[k] = ' ';
                break;
            }
        while (n > 0 && b[n - 1] == '0')
            n--;
        if (n > 0 && b[n - 1] == '.')
            n--;
        ls_buf_append(out, b, (size_t)n);
        break;
    }
    case LS_DECIMAL: {
        __int128 v;
        if (l->phys == LS_PHYS_I32)
            v = ((const int32_t *)l->values)[i];
        else if (l->phys == LS_PHYS_I64)
            v = ((const int64_t *)l->values)[i];
        else {
            const uint8_t *b = (const uint8_t *)l->values + 16 * i;
            unsigned __int128 u = 0;
            for (int k = 15; k >= 0; k--)
                u = u << 8 | b[k];
            v = (__int128)u;
        }
        uint8_t le[16];
        memcpy(le, &v, 16); /* little-endian host */
        ls_buf_put_decimal(out, le, 16, f->scale);
        break;
    }
    default: break;
    }
}

/* ---- paths -------------------------------------------------------------------- */

static const char HEX[] = "0123456789ABCDEF";

static bool hive_escape_char(unsigned char c)
{
    if (c < 0x20 || c == 0x7F)
        return true;
    switch (c) {
    case '"':
    case '#':
    case '%':
    case '\'':
    case '*':
    case '/':
    case ':':
    case '=':
    case '?':
    case '\\':
    case '{':
    case '[':
    case ']':
    case '^': return true;
    default: return false;
    }
}

char *dl_partition_path_escape(const char *value)
{
    if (!value || !*value)
        return ls_xstrdup(DL_HIVE_DEFAULT_PARTITION);
    ls_buf b = {0};
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (hive_escape_char(*p)) {
            char e[3] = {'%', HEX[*p >> 4], HEX[*p & 15]};
            ls_buf_append(&b, e, 3);
        } else {
            ls_buf_putc(&b, *p);
        }
    }
    return ls_buf_cstr(&b);
}

static bool uri_keep(unsigned char c)
{
    if (c >= 0x80)
        return true; /* java.net.URI "other" characters stay raw */
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return strchr("-_.!~*'(),;:$&+=/@", (char)c) != NULL && c != 0;
}

void dl_uri_encode_path(const char *path, ls_buf *out)
{
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (uri_keep(*p)) {
            ls_buf_putc(out, *p);
        } else {
            char e[3] = {'%', HEX[*p >> 4], HEX[*p & 15]};
            ls_buf_append(out, e, 3);
        }
    }
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *dl_uri_decode(const char *s, size_t n)
{
    char *o = ls_xmalloc(n + 1);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            int h = hexv(s[i + 1]), lo = h >= 0 ? hexv(s[i + 2]) : -1;
            if (h >= 0 && lo >= 0) {
                o[w++] = (char)(h << 4 | lo);
                i += 2;
                continue;
            }
        }
        o[w++] = s[i];
    }
    o[w] = 0;
    return o;
}
