/*
 * The evidence page served at /e/{id} (see evidence_page.c and evidence_page.html).
 */
#ifndef CP_HANDLERS_EVIDENCE_PAGE_H
#define CP_HANDLERS_EVIDENCE_PAGE_H

#include <stddef.h>

#include "core/buf.h"
#include "core/util.h"

/* The Content-Security-Policy header value for the page (static). */
const char *cp_evidence_page_csp(void);
/* Append the page with export_json (n bytes, an evidence export) embedded. */
void cp_evidence_page_write(struct cp_buf *out, const char *export_json, size_t n);
/* Append the page for an unknown id: reveals nothing. */
void cp_evidence_page_not_found(struct cp_buf *out);

#endif
