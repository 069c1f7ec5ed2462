/*
 * The evidence page: evidence_page.html, linked into the binary (.incbin, so the page stays an
 * ordinary HTML file to edit), with the export JSON written into its data block and a strict
 * Content-Security-Policy that allows only its own inline style and script, by hash. The page
 * verifies the export itself with WebCrypto; nothing here states a verdict.
 */
#include "handlers/evidence_page.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"

__asm__(".section .rodata\n"
        ".global cp_evidence_page_html\n"
        ".type cp_evidence_page_html, @object\n"
        ".balign 16\n"
        "cp_evidence_page_html:\n"
        ".incbin \"src/handlers/evidence_page.html\"\n"
        ".byte 0\n"
        ".size cp_evidence_page_html, . - cp_evidence_page_html\n"
        ".previous\n");
extern const char cp_evidence_page_html[];

#define EXPORT_MARK "<!--EXPORT-->"
#define CSP_MARK "<!--CSP-->"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char csp[600];      /* the header */
static char csp_meta[512]; /* the same without frame-ancestors (ignored in a meta tag) */
static const char *csp_mark, *export_mark; /* where they are in the page */

/* base64 SHA-256 of the text between the last `open` and the next `close`. */
static void
hash_between(const char *page, const char *open, const char *close, char out[48])
{
    const char *a = NULL;
    for (const char *p = strstr(page, open); p != NULL; p = strstr(p + 1, open))
        a = p;
    CP_ASSERT(a != NULL);
    a += strlen(open);
    const char *z = strstr(a, close);
    CP_ASSERT(z != NULL);
    struct cp_sha256 h;
    cp_crypto_sha256(a, (size_t)(z - a), &h);
    cp_crypto_base64(h.b, sizeof(h.b), out, 48);
}

static void
init(void)
{
    char script[48], style[48];
    hash_between(cp_evidence_page_html, "<script>", "</script>", script);
    hash_between(cp_evidence_page_html, "<style>", "</style>", style);
    snprintf(csp_meta, sizeof(csp_meta),
             "default-src 'none'; script-src 'sha256-%s'; style-src 'sha256-%s'; "
             "base-uri 'none'; form-action 'none'",
             script, style);
    snprintf(csp, sizeof(csp), "%s; frame-ancestors 'none'", csp_meta);
    csp_mark = strstr(cp_evidence_page_html, CSP_MARK);
    export_mark = strstr(cp_evidence_page_html, EXPORT_MARK);
    CP_ASSERT(csp_mark != NULL && export_mark != NULL && csp_mark < export_mark);
}

const char *
cp_evidence_page_csp(void)
{
    pthread_once(&once, init);
    return csp;
}

void
cp_evidence_page_write(struct cp_buf *out, const char *export_json, size_t n)
{
    pthread_once(&once, init);
    const char *page = cp_evidence_page_html, *m1 = csp_mark, *m2 = export_mark;
    cp_buf_append(out, page, (size_t)(m1 - page));
    cp_buf_printf(out, "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">", csp_meta);
    const char *p = m1 + strlen(CSP_MARK);
    cp_buf_append(out, p, (size_t)(m2 - p));
    /* JSON in a script data block: '<' only occurs inside strings, where \u003c means the
     * same, so "</script>" can never close the block early. */
    for (size_t i = 0; i < n; i++) {
        if (export_json[i] == '<')
            cp_buf_puts(out, "\\u003c");
        else
            cp_buf_putc(out, export_json[i]);
    }
    cp_buf_puts(out, m2 + strlen(EXPORT_MARK));
}

void
cp_evidence_page_not_found(struct cp_buf *out)
{
    cp_buf_puts(out, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"robots\" content=\"noindex\"><title>Not found</title></head>"
                     "<body><h1>Not found</h1><p>There is no evidence at this address.</p>"
                     "</body></html>\n");
}
