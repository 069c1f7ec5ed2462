/*
 * Error catalogue: the enum of every error callproof answers with, generated from errors.def,
 * and the lookups from an error to its stable code string, HTTP status and hint.
 */
#ifndef CP_CORE_ERROR_H
#define CP_CORE_ERROR_H

enum cp_err {
    CP_OK = 0,
#define CP_ERR(name, code, status, hint) CP_ERR_##name,
#include "errors.def"
#undef CP_ERR
    CP_ERR__COUNT
};

/* Stable machine-readable code ("invalid_field"); "ok" for CP_OK; "internal_error" if out of range.
 */
const char *cp_err_code(enum cp_err e);
/* HTTP status for the error (200 for CP_OK, 500 if out of range). */
unsigned cp_err_status(enum cp_err e);
/* One-sentence hint for users, as printed in docs/ERRORS.md. */
const char *cp_err_hint(enum cp_err e);

/*
 * An error with its details, as it goes into the one error envelope:
 * {"status":"error","message":…,"code":…,"field":…,"data":null}. Fixed-size so it can live on
 * the stack or in a request without allocation; longer texts are truncated.
 */
struct cp_error {
    enum cp_err code;
    char message[256];
    char field[128]; /* JSON path of the field at fault ("costs.llm",
                        "transcript_objects[2].content"); "" if none */
};

/* Fill *out (if not NULL) and return code, so `return cp_error_set(...)` reads naturally.
 * field may be NULL. The message is printf-formatted. */
enum cp_err cp_error_set(struct cp_error *out, enum cp_err code, const char *field, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));
#endif
