/*
 * Strict JSON input on top of cJSON. cJSON is fast but lenient: it takes any byte <= 0x20 as
 * whitespace, raw control characters and invalid UTF-8 inside strings, "\u0000" (truncating the
 * string there), a bad "\u12G4" (as an empty string), leading zeros ("007"), "1." (as 1),
 * "0x1F" (as 0, then garbage), skips a leading BOM, keeps duplicate keys and turns 1e400 into
 * infinity; and the error position it reports is one byte late when a key is not a string. So
 * one pass over the raw bytes (the "pre-scan") first validates the text against RFC 8259 with
 * the limits of json.h: UTF-8, strings and their escapes, numbers (an integer is judged against
 * 2^53 as written, which cJSON's double forgets), literals, the grammar with bracket matching
 * and depth, and what follows the value. It stops at the first fault, naming its line, column
 * and reason. cJSON then only builds the tree from text known to be good, and a walk over the
 * tree rejects what needs decoded values to see: duplicate keys, and numbers that overflow a
 * double.
 */
#include "json/json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/util.h"
#include "json/scan.h"

/*
 * Where cJSON's memory comes from. A request body's tree lives in the request's arena
 * (cp_json_parse_object_in): parsing a 1.4 KB call body took ~90 mallocs and as many frees
 * again in cJSON_Delete, about a fifth of the CPU a create costs outside the writer. Everything
 * else (records built with cJSON_Create*, trees parsed with cp_json_parse_object) stays on the
 * heap. Each block carries a tag saying which, so cJSON_Delete on any mix of the two frees
 * exactly the heap blocks: an item moved between trees can never be freed the wrong way.
 */
struct block_tag {
    uint64_t kind;
    uint64_t pad; /* keeps the block 16-byte aligned, like malloc's */
};
#define TAG_HEAP UINT64_C(0x6370686561700a01)  /* "cpheap" */
#define TAG_ARENA UINT64_C(0x637061726e610a02) /* "cparna" */

/* Set only for the duration of one cJSON parse on this thread. */
static _Thread_local struct cp_arena *parse_arena;

static void *
block_alloc(size_t n)
{
    if (n > SIZE_MAX - sizeof(struct block_tag))
        return NULL;
    struct block_tag *t;
    if (parse_arena != NULL) {
        t = cp_arena_alloc(parse_arena, sizeof(*t) + n);
        t->kind = TAG_ARENA;
    } else {
        t = malloc(sizeof(*t) + n);
        if (t == NULL)
            return NULL;
        t->kind = TAG_HEAP;
    }
    return t + 1;
}

static void
block_free(void *p)
{
    if (p == NULL)
        return;
    struct block_tag *t = (struct block_tag *)p - 1;
    if (t->kind == TAG_ARENA)
        return; /* the arena's reset takes it */
    /* Best effort against a foreign pointer or a second free (reading the tag of a freed
     * block is itself undefined; ASan builds report it): leak rather than corrupt the heap. */
    if (CP_BUG(t->kind != TAG_HEAP))
        return;
    t->kind = 0;
    free(t);
}

void
cp_json_hooks_install(void)
{
    cJSON_Hooks h = {.malloc_fn = block_alloc, .free_fn = block_free};
    cJSON_InitHooks(&h);
}

/* Before main and before any thread: cJSON's hooks are one global, read on every allocation,
 * and every block must be tagged from the first one on. */
__attribute__((constructor)) static void
hooks_at_load(void)
{
    cp_json_hooks_install();
}

#define STR_(x) #x
#define STR(x) STR_(x)

/* Room for a JSON path; the same size as struct cp_error.field, so nothing is cut twice. */
#define PATH_CAP sizeof(((struct cp_error *)0)->field)

/*
 * Length of the well-formed UTF-8 sequence at s (avail bytes readable), or 0 if it is not one.
 * The ranges are those of RFC 3629 section 4: restricting the second byte is what excludes
 * overlong forms (C0, C1, E0 80..9F, F0 80..8F), UTF-16 surrogates (ED A0..BF) and code points
 * above U+10FFFF (F4 90.., F5..FF).
 */
static size_t
utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0; /* 80..C1 (continuation or overlong lead) and F5..FF never start a character */
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    }
    return n;
}

bool
cp_json_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    CP_ASSERT(s != NULL || len == 0);
    for (size_t i = 0; i < len;) {
        /* ASCII eight bytes at a time (most of what we check is ASCII). */
        if (len - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, sizeof(w));
            if ((w & 0x8080808080808080u) == 0) {
                i += 8;
                continue;
            }
        }
        size_t n = utf8_seq_len(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

bool
cp_json_get_int(const cJSON *item, int64_t *out)
{
    if (!cJSON_IsNumber(item))
        return false;
    double v = item->valuedouble;
    /* The range test comes first: converting an out-of-range double to int64_t is undefined. */
    if (!isfinite(v) || v < -(double)CP_JSON_MAX_SAFE_INT || v > (double)CP_JSON_MAX_SAFE_INT)
        return false;
    int64_t i = (int64_t)v;
    if ((double)i != v)
        return false;
    if (out != NULL)
        *out = i;
    return true;
}

/*
 * Line and column (both 1-based) of byte off. Columns count characters, not bytes (UTF-8
 * continuation bytes do not advance them), because that is what an editor shows. Only called
 * on the error path, so the extra pass over the prefix costs nothing in the common case.
 */
static void
line_col(const char *buf, size_t off, unsigned long *out_line, unsigned long *out_col)
{
    unsigned long line = 1, col = 1;
    for (size_t i = 0; i < off; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\n') {
            line++;
            col = 1;
        } else if ((c & 0xC0) != 0x80) {
            col++;
        }
    }
    *out_line = line;
    *out_col = col;
}

/* "Invalid JSON at line L, column C: reason." for the byte at offset off. */
static enum cp_err
syntax_error(struct cp_error *err, const char *buf, size_t off, const char *reason)
{
    unsigned long line, col;
    line_col(buf, off, &line, &col);
    return cp_error_set(err, CP_ERR_INVALID_JSON, NULL, "Invalid JSON at line %lu, column %lu: %s.",
                        line, col, reason);
}

/*
 * What the grammar allows next, as a set of bits. The state of an enclosing container needs no
 * stack of its own: once a nested value closes, the container can only want ',' or its close.
 */
enum {
    W_VALUE = 1u << 0, /* string, number, literal, '{' or '[' */
    W_KEY = 1u << 1,   /* a string naming an object member */
    W_COLON = 1u << 2,
    W_COMMA = 1u << 3,
    W_CLOSE = 1u << 4, /* the bracket matching the innermost open one */
};

/* State of the pre-scan: the input, the cursor, the open brackets and what may come next. */
struct scan {
    const char *buf;
    const unsigned char *s; /* buf, as bytes */
    size_t len;
    size_t i;                     /* next byte to look at */
    char open[CP_JSON_MAX_DEPTH]; /* '{' or '[' for each open container */
    size_t depth;                 /* number of entries in open */
    unsigned want;                /* W_* bits; 0 once the top-level value is complete */
    struct cp_error *err;         /* where a failure is reported */
};

static bool
fail_at(struct scan *sc, size_t off, const char *reason)
{
    syntax_error(sc->err, sc->buf, off, reason);
    return false;
}

static bool
is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Value of the four hex digits at s[0..4), or -1. */
static long
hex4(const unsigned char *s)
{
    long v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned char c = s[k];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/*
 * The escape at s[i] == '\\' inside a string. \u escapes must name a real character: U+0000
 * is refused (cJSON would end the C string there, so "ab\u0000cd" would read as "ab"), and a
 * UTF-16 surrogate must be a high one immediately followed by a low one, as RFC 8259 section
 * 7 spells non-BMP characters; a lone one has no UTF-8 form.
 */
static bool
scan_escape(struct scan *sc)
{
    size_t at = sc->i;
    const unsigned char *s = sc->s;
    size_t left = sc->len - at;

    if (left < 2)
        return fail_at(sc, sc->len, "unexpected end of input in a string");
    if (s[at + 1] != '\0' && strchr("\"\\/bfnrt", s[at + 1]) != NULL) {
        sc->i += 2;
        return true;
    }
    if (s[at + 1] != 'u')
        return fail_at(sc, at, "invalid escape sequence");
    long cp = left >= 6 ? hex4(s + at + 2) : -1;
    if (cp < 0)
        return fail_at(sc, at, "\\u must be followed by four hex digits");
    if (cp == 0)
        return fail_at(sc, at, "\\u0000 is not allowed in strings");
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail_at(sc, at, "unpaired UTF-16 surrogate escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        long low = left >= 12 && s[at + 6] == '\\' && s[at + 7] == 'u' ? hex4(s + at + 8) : -1;
        if (low < 0xDC00 || low > 0xDFFF)
            return fail_at(sc, at, "unpaired UTF-16 surrogate escape");
        sc->i += 12;
        return true;
    }
    sc->i += 6;
    return true;
}

/* The string starting at the '"' at sc->i; leaves sc->i just past the closing quote. */
static bool
scan_string(struct scan *sc)
{
    size_t start = sc->i++;
    while (sc->i < sc->len) {
        /* Most of a body's bytes are plain ASCII string text: pass runs of them at once. */
        sc->i += cp_json_ascii_plain_len(sc->s + sc->i, sc->len - sc->i);
        if (sc->i >= sc->len)
            break;
        unsigned char c = sc->s[sc->i];
        if (c == '"') {
            sc->i++;
            return true;
        }
        if (c == '\\') {
            if (!scan_escape(sc))
                return false;
        } else if (c < 0x20) {
            /* RFC 8259 requires control characters to be escaped; cJSON would keep them raw. */
            return fail_at(sc, sc->i, "control character in a string (escape it)");
        } else if (c < 0x80) {
            sc->i++;
        } else {
            size_t n = utf8_seq_len(sc->s + sc->i, sc->len - sc->i);
            if (n == 0)
                return fail_at(sc, sc->i, "the body is not valid UTF-8");
            sc->i += n;
        }
    }
    return fail_at(sc, start, "unterminated string");
}

/*
 * The number starting at sc->i, by the RFC 8259 grammar
 *   -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
 * which cJSON does not enforce. A number written as an integer must lie within +-2^53: cJSON
 * stores it in a double, and past 2^53 doubles skip integers, so 9007199254740993 would
 * silently become ...992. Leading zeros being refused, the digit count orders magnitudes.
 */
static bool
scan_number(struct scan *sc)
{
    static const char max_digits[] = "9007199254740992";
    const unsigned char *s = sc->s;
    size_t start = sc->i, i = sc->i, len = sc->len;

    if (s[i] == '-')
        i++;
    if (i >= len || !is_digit(s[i]))
        return fail_at(sc, i, "expected a digit");
    size_t int_start = i;
    if (s[i] == '0') {
        i++;
        if (i < len && is_digit(s[i]))
            return fail_at(sc, start, "leading zeros are not allowed in numbers");
    } else {
        while (i < len && is_digit(s[i]))
            i++;
    }
    size_t n_int = i - int_start;
    bool integral = true;
    if (i < len && s[i] == '.') {
        integral = false;
        i++;
        if (i >= len || !is_digit(s[i]))
            return fail_at(sc, i, "expected a digit after the decimal point");
        while (i < len && is_digit(s[i]))
            i++;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        integral = false;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= len || !is_digit(s[i]))
            return fail_at(sc, i, "expected a digit in the exponent");
        while (i < len && is_digit(s[i]))
            i++;
    }
    if (integral &&
        (n_int > sizeof(max_digits) - 1 ||
         (n_int == sizeof(max_digits) - 1 && memcmp(s + int_start, max_digits, n_int) > 0)))
        return fail_at(sc, start,
                       "integer beyond +-9007199254740992 (2^53) would lose precision; "
                       "send it as a string");
    sc->i = i;
    return true;
}

/* true, false or null at sc->i (whose first letter the caller has seen). */
static bool
scan_literal(struct scan *sc, const char *word)
{
    size_t n = strlen(word);
    if (sc->len - sc->i < n || memcmp(sc->s + sc->i, word, n) != 0)
        return fail_at(sc, sc->i, "expected true, false or null");
    sc->i += n;
    return true;
}

static bool
in_object(const struct scan *sc)
{
    return sc->depth > 0 && sc->open[sc->depth - 1] == '{';
}

/* What the grammar wanted where something else came. */
static const char *
expected(const struct scan *sc)
{
    switch (sc->want) {
    case W_KEY | W_CLOSE:
        return "expected a string key or '}'";
    case W_KEY:
        return "expected a string key";
    case W_COLON:
        return "expected ':'";
    case W_VALUE:
        return "expected a value";
    case W_VALUE | W_CLOSE:
        return "expected a value or ']'";
    case W_COMMA | W_CLOSE:
        return in_object(sc) ? "expected ',' or '}'" : "expected ',' or ']'";
    default:
        return "unexpected data after the end of the JSON value";
    }
}

/* A value just ended: the container wants a separator or its close; the top level is done. */
static void
after_value(struct scan *sc)
{
    sc->want = sc->depth == 0 ? 0 : W_COMMA | W_CLOSE;
}

static bool
scan_open(struct scan *sc, char c)
{
    /* Checked here, before cJSON's recursive descent ever sees the input. */
    if (sc->depth == CP_JSON_MAX_DEPTH)
        return fail_at(sc, sc->i, "nesting deeper than " STR(CP_JSON_MAX_DEPTH) " levels");
    sc->open[sc->depth++] = c;
    sc->want = c == '{' ? W_KEY | W_CLOSE : W_VALUE | W_CLOSE;
    sc->i++;
    return true;
}

/* Only reached when W_CLOSE is wanted, so some container is open. */
static bool
scan_close(struct scan *sc, char c)
{
    if (sc->open[sc->depth - 1] != (c == '}' ? '{' : '['))
        return fail_at(sc, sc->i, expected(sc));
    sc->depth--;
    sc->i++;
    after_value(sc);
    return true;
}

/* What may come before the token starting with c; 0 if nothing in JSON starts with c. */
static unsigned
token_needs(unsigned char c)
{
    switch (c) {
    case '{':
    case '[':
    case 't':
    case 'f':
    case 'n':
    case '-':
        return W_VALUE;
    case '}':
    case ']':
        return W_CLOSE;
    case ':':
        return W_COLON;
    case ',':
        return W_COMMA;
    case '"':
        return W_VALUE | W_KEY;
    default:
        return is_digit(c) ? W_VALUE : 0;
    }
}

/* The token starting at sc->i, which is not whitespace. */
static bool
scan_token(struct scan *sc)
{
    unsigned char c = sc->s[sc->i];
    unsigned needs = token_needs(c);

    if (sc->want == 0)
        return fail_at(sc, sc->i, expected(sc));
    if (needs == 0) {
        if (c >= 0x80 && utf8_seq_len(sc->s + sc->i, sc->len - sc->i) == 0)
            return fail_at(sc, sc->i, "the body is not valid UTF-8");
        return fail_at(sc, sc->i, "unexpected character");
    }
    if ((sc->want & needs) == 0)
        return fail_at(sc, sc->i, expected(sc));
    /* Said now, before the scan reads a large array or string it would refuse anyway. */
    if (sc->depth == 0 && c != '{') {
        cp_error_set(sc->err, CP_ERR_INVALID_JSON, NULL, "The request body must be a JSON object.");
        return false;
    }
    switch (c) {
    case '{':
    case '[':
        return scan_open(sc, (char)c);
    case '}':
    case ']':
        return scan_close(sc, (char)c);
    case ':':
        sc->want = W_VALUE;
        sc->i++;
        return true;
    case ',':
        sc->want = in_object(sc) ? W_KEY : W_VALUE;
        sc->i++;
        return true;
    case '"': {
        bool is_key = (sc->want & W_KEY) != 0;
        if (!scan_string(sc))
            return false;
        if (is_key)
            sc->want = W_COLON;
        else
            after_value(sc);
        return true;
    }
    case 't':
    case 'f':
    case 'n':
        if (!scan_literal(sc, c == 't' ? "true" : c == 'f' ? "false" : "null"))
            return false;
        after_value(sc);
        return true;
    default:
        if (!scan_number(sc))
            return false;
        after_value(sc);
        return true;
    }
}

/*
 * The single pass over the raw bytes described at the top of this file. It accepts exactly
 * RFC 8259 objects, so cJSON, which runs next, has nothing left to refuse.
 */
static bool
prescan(const char *buf, size_t len, struct cp_error *err)
{
    struct scan sc = {
        .buf = buf, .s = (const unsigned char *)buf, .len = len, .want = W_VALUE, .err = err};

    while (sc.i < len) {
        if (is_ws(sc.s[sc.i]))
            sc.i++;
        else if (!scan_token(&sc))
            return false;
    }
    if (sc.want != 0)
        return fail_at(&sc, len, "unexpected end of input");
    return true;
}

/* A JSON path being built during the tree walk: "costs.llm", "items[2].name". */
struct path {
    char s[PATH_CAP];
    size_t len;
};

/* Append to the path; on overflow the path is cut short (it only serves error messages). */
static void
path_push(struct path *p, const char *key, long index)
{
    size_t room = sizeof(p->s) - p->len;
    int n;
    if (key == NULL)
        n = snprintf(p->s + p->len, room, "[%ld]", index);
    else
        n = snprintf(p->s + p->len, room, "%s%s", p->len > 0 ? "." : "", key);
    if (n < 0 || (size_t)n >= room) {
        cp_utf8_trim_tail(p->s); /* it goes into messages: never split a character */
        p->len = strlen(p->s);
    } else {
        p->len += (size_t)n;
    }
}

static void
path_pop(struct path *p, size_t len)
{
    p->len = len;
    p->s[len] = '\0';
}

static enum cp_err
duplicate_error(struct path *p, const char *key, struct cp_error *err)
{
    char where[PATH_CAP];
    snprintf(where, sizeof(where), "%s", p->s);
    size_t saved = p->len;
    path_push(p, key, 0);
    if (where[0] == '\0')
        cp_error_set(err, CP_ERR_INVALID_JSON, p->s, "Duplicate key '%s' in object.", key);
    else
        cp_error_set(err, CP_ERR_INVALID_JSON, p->s, "Duplicate key '%s' in object at '%s'.", key,
                     where);
    path_pop(p, saved);
    return CP_ERR_INVALID_JSON;
}

struct key_ref {
    const char *key;
    size_t index; /* position in the object, so the earliest repetition is the one reported */
};

static int
key_ref_cmp(const void *a, const void *b)
{
    const struct key_ref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c != 0)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Objects of up to DUP_HASH_KEYS members are checked with a hash table on the stack: a call
 * body's top level has ~25 keys, and sorting them (malloc, qsort, strcmp) was ~10,000
 * instructions of every create. The hash is not keyed, so colliding keys can be crafted, but
 * at this size the worst case is 64 * 64 comparisons.
 */
#define DUP_HASH_KEYS 64
#define DUP_HASH_SLOTS 128 /* a power of two, twice DUP_HASH_KEYS */

struct dup_slot {
    uint32_t hash;
    const char *key; /* NULL: empty */
};

static const char *
duplicate_by_hash(const cJSON *obj)
{
    struct dup_slot slot[DUP_HASH_SLOTS];
    memset(slot, 0, sizeof(slot));
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        uint32_t h = 2166136261u; /* FNV-1a */
        for (const unsigned char *p = (const unsigned char *)c->string; *p != '\0'; p++)
            h = (h ^ *p) * 16777619u;
        size_t i = h & (DUP_HASH_SLOTS - 1);
        while (slot[i].key != NULL) {
            if (slot[i].hash == h && strcmp(slot[i].key, c->string) == 0)
                return c->string;
            i = (i + 1) & (DUP_HASH_SLOTS - 1);
        }
        slot[i] = (struct dup_slot){h, c->string};
    }
    return NULL;
}

/*
 * The first key of obj that repeats an earlier one, in document order, or NULL. Keys are
 * compared after unescaping ("a" and "\u0061" are the same key), which is how every consumer
 * will see them. Small objects are checked pairwise, middling ones with a hash table; large
 * ones are sorted, because a 1 MB body of distinct (or crafted, colliding) keys would
 * otherwise cost ~10^10 comparisons. *out_oom is set if the sort could not get memory.
 */
static const char *
find_duplicate(const cJSON *obj, bool *out_oom)
{
    size_t n = 0;
    for (const cJSON *c = obj->child; c != NULL; c = c->next)
        n++;
    if (n < 2)
        return NULL;
    if (n <= 8) {
        for (const cJSON *b = obj->child->next; b != NULL; b = b->next) {
            for (const cJSON *a = obj->child; a != b; a = a->next) {
                if (strcmp(a->string, b->string) == 0)
                    return b->string;
            }
        }
        return NULL;
    }
    if (n <= DUP_HASH_KEYS)
        return duplicate_by_hash(obj);
    struct key_ref *refs = malloc(n * sizeof(*refs));
    if (refs == NULL) {
        *out_oom = true;
        return NULL;
    }
    size_t k = 0;
    for (const cJSON *c = obj->child; c != NULL; c = c->next, k++)
        refs[k] = (struct key_ref){c->string, k};
    qsort(refs, n, sizeof(*refs), key_ref_cmp);
    size_t first = n; /* smallest index that repeats an earlier key */
    const char *key = NULL;
    for (k = 1; k < n; k++) {
        if (strcmp(refs[k - 1].key, refs[k].key) == 0 && refs[k].index < first) {
            first = refs[k].index;
            key = refs[k].key;
        }
    }
    free(refs);
    return key;
}

/*
 * Where the walk is: the key (in an object) or index (in an array) of each level from the root
 * down. Building the "costs.details.llm" string at every step cost a snprintf per value of
 * every body; the trail is only turned into that string when there is an error to report.
 */
struct trail {
    const char *key[CP_JSON_MAX_DEPTH + 2];
    long index[CP_JSON_MAX_DEPTH + 2];
    size_t depth;
};

/* The path of the trail's current position, exactly as pushing each level in turn makes it
 * (cut short the same way when it does not fit). */
static void
trail_path(const struct trail *t, struct path *p)
{
    p->s[0] = '\0';
    p->len = 0;
    for (size_t i = 0; i < t->depth; i++)
        path_push(p, t->key[i], t->index[i]);
}

/* The checks that need the decoded tree. Recursion is bounded by CP_JSON_MAX_DEPTH. */
static enum cp_err
walk(const cJSON *item, struct trail *t, struct cp_error *err)
{
    struct path p;
    if (cJSON_IsNumber(item)) {
        /* The pre-scan saw a well-formed number, but 1e400 still overflows to infinity. */
        if (!isfinite(item->valuedouble)) {
            trail_path(t, &p);
            return cp_error_set(err, CP_ERR_INVALID_JSON, p.s,
                                "The number at '%s' is too large to represent.", p.s);
        }
        /* Whatever its spelling (9007199254740993.0, 1e300), an integral value from 2^53 up
         * cannot be kept exactly: doubles skip integers there, and 2^53 itself is where
         * 2^53 + 1 lands. The bound is I-JSON's (RFC 7493): +-(2^53 - 1). */
        double v = item->valuedouble;
        if (v == floor(v) && fabs(v) >= (double)CP_JSON_MAX_SAFE_INT) {
            trail_path(t, &p);
            return cp_error_set(err, CP_ERR_INVALID_JSON, p.s,
                                "The number at '%s' is an integral value beyond +-(2^53-1) and "
                                "cannot be stored exactly.",
                                p.s);
        }
        return CP_OK;
    }
    bool is_obj = cJSON_IsObject(item);
    if (!is_obj && !cJSON_IsArray(item))
        return CP_OK;
    if (is_obj) {
        bool oom = false;
        const char *dup = find_duplicate(item, &oom);
        if (oom)
            return cp_error_set(err, CP_ERR_INTERNAL, NULL, "The server ran out of memory.");
        if (dup != NULL) {
            trail_path(t, &p);
            return duplicate_error(&p, dup, err);
        }
    }
    CP_ASSERT(t->depth < sizeof(t->key) / sizeof(t->key[0]));
    size_t level = t->depth++;
    long index = 0;
    for (const cJSON *c = item->child; c != NULL; c = c->next, index++) {
        t->key[level] = is_obj ? c->string : NULL;
        t->index[level] = index;
        enum cp_err e = walk(c, t, err);
        if (e != CP_OK)
            return e;
    }
    t->depth--;
    return CP_OK;
}

cJSON *
cp_json_parse_object(const char *buf, size_t len, struct cp_error *out_err)
{
    CP_ASSERT(buf != NULL || len == 0);

    size_t first = 0;
    while (first < len && is_ws((unsigned char)buf[first]))
        first++;
    if (first == len) {
        cp_error_set(out_err, CP_ERR_INVALID_JSON, NULL,
                     "Request body is empty; expected a JSON object.");
        return NULL;
    }
    /* cJSON silently skips a BOM; RFC 8259 section 8.1 says senders must not add one. */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        syntax_error(out_err, buf, 0, "byte order mark not allowed");
        return NULL;
    }
    if (!prescan(buf, len, out_err))
        return NULL;

    /* return_parse_end rather than cJSON_GetErrorPtr, whose global races between threads. */
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (root == NULL) {
        /* The pre-scan accepted the whole grammar, so this is memory running out (cJSON cannot
         * tell us which) or the two disagreeing: the server's fault either way, not a 400. */
        size_t off = end != NULL && end >= buf && end <= buf + len ? (size_t)(end - buf) : 0;
        unsigned long line, col;
        line_col(buf, off, &line, &col);
        cp_log(CP_LOG_ERROR,
               "cJSON refused a pre-scanned body at line %lu, column %lu (out of memory?)", line,
               col);
        cp_error_set(out_err, CP_ERR_INTERNAL, NULL, "The server failed to parse the body.");
        return NULL;
    }
    /* On success end points just past the value; the pre-scan already refused anything but
     * whitespace after it, so this only guards the two from disagreeing. */
    size_t off = (size_t)(end - buf);
    while (off < len && is_ws((unsigned char)buf[off]))
        off++;
    if (CP_BUG(off != len)) {
        syntax_error(out_err, buf, off, "unexpected data after the end of the JSON value");
        cJSON_Delete(root);
        return NULL;
    }
    if (CP_BUG(!cJSON_IsObject(root))) { /* the pre-scan refused any other first token */
        cp_error_set(out_err, CP_ERR_INVALID_JSON, NULL, "The request body must be a JSON object.");
        cJSON_Delete(root);
        return NULL;
    }
    struct trail t = {.depth = 0};
    if (walk(root, &t, out_err) != CP_OK) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

cJSON *
cp_json_parse_object_in(struct cp_arena *arena, const char *buf, size_t len,
                        struct cp_error *out_err)
{
    CP_ASSERT(arena != NULL && parse_arena == NULL);
    parse_arena = arena;
    cJSON *root = cp_json_parse_object(buf, len, out_err);
    parse_arena = NULL;
    return root;
}

cJSON *
cp_json_str_or_null(const char *s)
{
    return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
}
