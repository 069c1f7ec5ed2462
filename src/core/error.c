/*
 * Lookups over the error catalogue in errors.def. Tables are built by the same X-macro as the
 * enum, so the three can never drift apart.
 */
#include "core/error.h"
#include "core/util.h"

struct err_row {
    const char *code;
    unsigned status;
    const char *hint;
};

static const struct err_row rows[CP_ERR__COUNT] = {
    [CP_OK] = {"ok", 200, "Success."},
#define CP_ERR(name, code, status, hint) [CP_ERR_##name] = {code, status, hint},
#include "errors.def"
#undef CP_ERR
};

static const struct err_row *
row(enum cp_err e)
{
    if ((unsigned)e >= CP_ERR__COUNT)
        return &rows[CP_ERR_INTERNAL];
    return &rows[e];
}

const char *
cp_err_code(enum cp_err e)
{
    return row(e)->code;
}

unsigned
cp_err_status(enum cp_err e)
{
    return row(e)->status;
}

const char *
cp_err_hint(enum cp_err e)
{
    return row(e)->hint;
}

#include <stdarg.h>
#include <stdio.h>

enum cp_err
cp_error_set(struct cp_error *out, enum cp_err code, const char *field, const char *fmt, ...)
{
    if (out == NULL)
        return code;
    out->code = code;
    snprintf(out->field, sizeof(out->field), "%s", field != NULL ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof(out->message), fmt, ap);
    va_end(ap);
    /* Messages and fields echo client input; a byte-count cut must not split a character. */
    cp_utf8_trim_tail(out->field);
    cp_utf8_trim_tail(out->message);
    return code;
}
