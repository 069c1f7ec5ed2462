/*
 * TZif reader and POSIX TZ rule evaluation (see tzif.h). The file layout (RFC 8536 section 3):
 *
 *   header (44 bytes): "TZif", version ('\0', '2', '3', '4'), 15 unused bytes, then six
 *                      big-endian 32-bit counts isutcnt isstdcnt leapcnt timecnt typecnt charcnt
 *   data block:        timecnt transition times (4 bytes in v1, 8 in v2+), timecnt type indexes,
 *                      typecnt ttinfo {int32 utoff, uint8 isdst, uint8 desigidx},
 *                      charcnt designation bytes, leapcnt leap records, isstdcnt, isutcnt bytes
 *   v2+ only:          a second header and data block with 64-bit times, then the footer
 *                      "\n" TZ-string "\n"
 *
 * Every read goes through struct reader, which refuses to move past the end of the buffer, and
 * a block's total size is checked before anything is allocated for it, so a hostile file can
 * neither read out of bounds nor make us allocate more than its own size.
 */
#include "domain/tzif.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain/civil.h"

/* ---- POSIX TZ rules ---- */

enum rule_kind { RULE_JULIAN1, RULE_JULIAN0, RULE_MONTH };

/* One end of the DST period: a day of the year and a local time of day. */
struct tz_rule {
    enum rule_kind kind;
    int day;         /* RULE_JULIAN1: 1..365 (Feb 29 never counted); RULE_JULIAN0: 0..365 */
    int month, week; /* RULE_MONTH: month 1..12, week 1..5 (5 = last) */
    int weekday;     /* RULE_MONTH: 0 = Sunday */
    int32_t time_s;  /* local time of day of the change, -167h..167h (RFC 8536 extension) */
};

struct posix_tz {
    bool present;    /* false: no footer, or an empty one */
    int32_t std_off; /* UTC offsets, east positive (POSIX writes them west positive) */
    bool has_dst;
    int32_t dst_off;
    struct tz_rule start, end; /* start is in standard time, end in daylight time */
};

struct cp_tz {
    char name[CP_TZ_NAME_MAX + 1];
    size_t n_trans;
    int64_t *trans;      /* ascending transition instants, Unix seconds */
    uint8_t *trans_type; /* index into type_off for each transition */
    size_t n_types;
    int32_t *type_off; /* UTC offset of each local time type */
    struct posix_tz rule;
};

/* Limits from RFC 8536 section 3.2 (utoff) and POSIX (offset hours 0..24). */
#define UTOFF_MIN (-89999)
#define UTOFF_MAX 93599
#define RULE_HOURS_MAX 167
#define CLAMP_S ((int64_t)1 << 52)

static bool
parse_uint(const char **s, int max_digits, int *out)
{
    int v = 0, n = 0;
    while (n < max_digits && **s >= '0' && **s <= '9') {
        v = v * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    if (n == 0)
        return false;
    *out = v;
    return true;
}

/* [+|-]hh[:mm[:ss]] into seconds; hours at most max_hours. */
static bool
parse_hms(const char **s, int max_hours, int32_t *out)
{
    int sign = 1;
    if (**s == '+' || **s == '-') {
        sign = **s == '-' ? -1 : 1;
        (*s)++;
    }
    int h, m = 0, sec = 0;
    if (!parse_uint(s, 3, &h) || h > max_hours)
        return false;
    if (**s == ':') {
        (*s)++;
        if (!parse_uint(s, 2, &m) || m > 59)
            return false;
        if (**s == ':') {
            (*s)++;
            if (!parse_uint(s, 2, &sec) || sec > 59)
                return false;
        }
    }
    *out = (int32_t)(sign * (h * 3600 + m * 60 + sec));
    return true;
}

/* A zone abbreviation: at least three letters, or <...> of letters, digits, '+' and '-'. */
static bool
parse_abbr(const char **s)
{
    const char *p = *s;
    size_t n = 0;
    if (*p == '<') {
        p++;
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
               *p == '+' || *p == '-') {
            p++;
            n++;
        }
        if (*p != '>' || n < 3)
            return false;
        *s = p + 1;
        return true;
    }
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
        p++;
        n++;
    }
    if (n < 3)
        return false;
    *s = p;
    return true;
}

/* A POSIX offset is hours west of Greenwich; store it as seconds east. */
static bool
parse_offset(const char **s, int32_t *out_utoff)
{
    int32_t west;
    if (!parse_hms(s, 24, &west))
        return false;
    *out_utoff = -west;
    return true;
}

/* ",date[/time]" */
static bool
parse_rule(const char **s, struct tz_rule *r)
{
    if (**s != ',')
        return false;
    (*s)++;
    memset(r, 0, sizeof(*r));
    if (**s == 'M') {
        (*s)++;
        r->kind = RULE_MONTH;
        if (!parse_uint(s, 2, &r->month) || r->month < 1 || r->month > 12 || **s != '.')
            return false;
        (*s)++;
        if (!parse_uint(s, 1, &r->week) || r->week < 1 || r->week > 5 || **s != '.')
            return false;
        (*s)++;
        if (!parse_uint(s, 1, &r->weekday) || r->weekday > 6)
            return false;
    } else if (**s == 'J') {
        (*s)++;
        r->kind = RULE_JULIAN1;
        if (!parse_uint(s, 3, &r->day) || r->day < 1 || r->day > 365)
            return false;
    } else {
        r->kind = RULE_JULIAN0;
        if (!parse_uint(s, 3, &r->day) || r->day > 365)
            return false;
    }
    r->time_s = 2 * 3600;
    if (**s == '/') {
        (*s)++;
        if (!parse_hms(s, RULE_HOURS_MAX, &r->time_s))
            return false;
    }
    return true;
}

/* std offset [dst [offset] ,start[/time],end[/time]] and nothing after it. */
static bool
parse_posix(const char *s, struct posix_tz *out)
{
    struct posix_tz p;
    memset(&p, 0, sizeof(p));
    if (!parse_abbr(&s) || !parse_offset(&s, &p.std_off))
        return false;
    if (*s != '\0') {
        if (!parse_abbr(&s))
            return false;
        p.has_dst = true;
        p.dst_off = p.std_off + 3600;
        if (*s != ',' && !parse_offset(&s, &p.dst_off))
            return false;
        /* DST without a rule means "the implementation's default" (glibc reads a posixrules
         * file): refuse rather than guess. */
        if (!parse_rule(&s, &p.start) || !parse_rule(&s, &p.end))
            return false;
    }
    if (*s != '\0')
        return false;
    if (p.std_off < UTOFF_MIN || p.std_off > UTOFF_MAX || p.dst_off < UTOFF_MIN ||
        p.dst_off > UTOFF_MAX)
        return false;
    p.present = true;
    *out = p;
    return true;
}

/* Day number on which rule r falls in year. */
static int64_t
rule_day(const struct tz_rule *r, int64_t year)
{
    int64_t jan1 = cp_civil_days_from(year, 1, 1);
    switch (r->kind) {
    case RULE_JULIAN1:
        /* Jn counts 1..365 and skips February 29, so from March on a leap year is one ahead. */
        return jan1 + r->day - 1 + (cp_civil_is_leap(year) && r->day >= 60);
    case RULE_JULIAN0:
        return jan1 + r->day;
    case RULE_MONTH:
    default: {
        int64_t first = cp_civil_days_from(year, r->month, 1);
        int64_t d = first + cp_civil_floor_mod(r->weekday - (int64_t)cp_civil_weekday(first), 7) +
                    7 * (int64_t)(r->week - 1);
        /* Week 5 means "the last": step back while past the end of the month. */
        int64_t next = first + cp_civil_days_in_month(year, r->month);
        while (d >= next)
            d -= 7;
        return d;
    }
    }
}

/*
 * Offset under a POSIX rule at t. The rule is evaluated for the standard-time year of t and
 * the years on either side (rule times may reach a week past their date), giving up to six
 * changes; the latest change at or before t decides. This handles northern and southern
 * hemisphere rules and all-year DST ("EST5EDT,0/0,J365/25", where one year's end coincides
 * with the next year's start: at a tie the start wins).
 */
static int32_t
posix_offset(const struct posix_tz *p, int64_t t)
{
    if (!p->has_dst)
        return p->std_off;
    int64_t year;
    cp_civil_from_days(cp_civil_floor_div(t + p->std_off, CP_CIVIL_DAY_S), &year, NULL, NULL);
    bool found = false, dst = false;
    int64_t best = 0;
    for (int64_t y = year - 1; y <= year + 1; y++) {
        int64_t start = rule_day(&p->start, y) * CP_CIVIL_DAY_S + p->start.time_s - p->std_off;
        int64_t end = rule_day(&p->end, y) * CP_CIVIL_DAY_S + p->end.time_s - p->dst_off;
        if (end <= t && (!found || end > best)) {
            found = true;
            best = end;
            dst = false;
        }
        if (start <= t && (!found || start >= best)) {
            found = true;
            best = start;
            dst = true;
        }
    }
    return dst ? p->dst_off : p->std_off;
}

/* ---- TZif ---- */

struct reader {
    const uint8_t *p;
    size_t n, off;
};

static const uint8_t *
take(struct reader *r, size_t k)
{
    if (k > r->n - r->off)
        return NULL;
    const uint8_t *at = r->p + r->off;
    r->off += k;
    return at;
}

static uint32_t
be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t
be64(const uint8_t *b)
{
    return (uint64_t)be32(b) << 32 | be32(b + 4);
}

struct header {
    int version; /* 1, 2, 3, 4 ... */
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static bool
read_header(struct reader *r, struct header *h)
{
    const uint8_t *b = take(r, 44);
    if (b == NULL || memcmp(b, "TZif", 4) != 0)
        return false;
    if (b[4] == 0)
        h->version = 1;
    else if (b[4] >= '2' && b[4] <= '9')
        h->version = b[4] - '0';
    else
        return false;
    h->isutcnt = be32(b + 20);
    h->isstdcnt = be32(b + 24);
    h->leapcnt = be32(b + 28);
    h->timecnt = be32(b + 32);
    h->typecnt = be32(b + 36);
    h->charcnt = be32(b + 40);
    /* RFC 8536 section 3.1: at least one type and one designation byte; the indicator arrays
     * are empty or one entry per type. */
    return h->typecnt != 0 && h->charcnt != 0 && (h->isutcnt == 0 || h->isutcnt == h->typecnt) &&
           (h->isstdcnt == 0 || h->isstdcnt == h->typecnt);
}

/* Bytes of the data block a header describes, with time_size 4 (v1) or 8 (v2+). The counts are
 * 32-bit, so the sum fits in 64 bits. */
static uint64_t
block_size(const struct header *h, unsigned time_size)
{
    return (uint64_t)h->timecnt * (time_size + 1) + (uint64_t)h->typecnt * 6 + h->charcnt +
           (uint64_t)h->leapcnt * (time_size + 4) + h->isstdcnt + h->isutcnt;
}

static struct cp_tz *
tz_new(const char *name)
{
    struct cp_tz *tz = calloc(1, sizeof(*tz));
    if (tz == NULL)
        return NULL;
    size_t len = strlen(name);
    if (len > CP_TZ_NAME_MAX)
        len = CP_TZ_NAME_MAX;
    memcpy(tz->name, name, len);
    tz->name[len] = '\0';
    return tz;
}

void
cp_tz_free(struct cp_tz *tz)
{
    if (tz == NULL)
        return;
    free(tz->trans);
    free(tz->trans_type);
    free(tz->type_off);
    free(tz);
}

/* Parse one data block into tz. Returns NULL on success or a reason. */
static const char *
read_block(struct reader *r, const struct header *h, unsigned time_size, struct cp_tz *tz)
{
    if (block_size(h, time_size) > r->n - r->off)
        return "truncated data block";
    if (h->leapcnt != 0)
        return "leap-second records are not supported";
    tz->n_trans = h->timecnt;
    tz->n_types = h->typecnt;
    /* +1: calloc(0) may return NULL, which would look like a failed allocation. */
    tz->trans = calloc((size_t)h->timecnt + 1, sizeof(*tz->trans));
    tz->trans_type = calloc((size_t)h->timecnt + 1, 1);
    tz->type_off = calloc(h->typecnt, sizeof(*tz->type_off));
    if (tz->trans == NULL || tz->trans_type == NULL || tz->type_off == NULL)
        return "out of memory";
    const uint8_t *times = take(r, (size_t)h->timecnt * time_size);
    const uint8_t *idx = take(r, h->timecnt);
    const uint8_t *types = take(r, (size_t)h->typecnt * 6);
    const uint8_t *chars = take(r, h->charcnt);
    if (times == NULL || idx == NULL || types == NULL || chars == NULL ||
        take(r, (size_t)h->isstdcnt + h->isutcnt) == NULL)
        return "truncated data block";
    for (uint32_t i = 0; i < h->timecnt; i++) {
        int64_t t = time_size == 4 ? (int64_t)(int32_t)be32(times + 4 * i)
                                   : (int64_t)be64(times + 8 * (size_t)i);
        if (i > 0 && t <= tz->trans[i - 1])
            return "transition times not ascending";
        if (idx[i] >= h->typecnt)
            return "transition type out of range";
        tz->trans[i] = t;
        tz->trans_type[i] = idx[i];
    }
    for (uint32_t i = 0; i < h->typecnt; i++) {
        const uint8_t *tt = types + 6 * (size_t)i;
        int32_t utoff = (int32_t)be32(tt);
        if (utoff < UTOFF_MIN || utoff > UTOFF_MAX)
            return "UTC offset out of range";
        if (tt[4] > 1)
            return "isdst not 0 or 1";
        if (tt[5] >= h->charcnt)
            return "designation index out of range";
        tz->type_off[i] = utoff;
    }
    /* The designations are not used, but RFC 8536 requires them NUL-terminated. */
    if (chars[h->charcnt - 1] != '\0')
        return "designations not NUL-terminated";
    return NULL;
}

static const char *
read_footer(struct reader *r, struct cp_tz *tz)
{
    const uint8_t *nl = take(r, 1);
    if (nl == NULL || *nl != '\n')
        return "footer missing";
    size_t start = r->off;
    while (r->off < r->n && r->p[r->off] != '\n') {
        if (r->p[r->off] == '\0')
            return "NUL in footer";
        r->off++;
    }
    if (r->off >= r->n)
        return "footer not terminated";
    size_t len = r->off - start;
    r->off++; /* the closing newline */
    if (len == 0)
        return NULL; /* no rule: the last type stays in force */
    char s[256];
    if (len >= sizeof(s))
        return "footer too long";
    memcpy(s, r->p + start, len);
    s[len] = '\0';
    if (!parse_posix(s, &tz->rule))
        return "footer is not a valid POSIX TZ string";
    return NULL;
}

struct cp_tz *
cp_tz_parse(const uint8_t *buf, size_t n, const char *name, struct cp_error *err)
{
    if (buf == NULL || name == NULL) {
        cp_error_set(err, CP_ERR_INTERNAL, NULL, "no TZif data");
        return NULL;
    }
    struct reader r = {buf, n, 0};
    struct header h;
    const char *why = NULL;
    struct cp_tz *tz = tz_new(name);
    if (tz == NULL) {
        cp_error_set(err, CP_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    if (!read_header(&r, &h)) {
        why = "bad header";
    } else if (h.version == 1) {
        why = read_block(&r, &h, 4, tz);
    } else {
        /* Skip the 32-bit block: the 64-bit one after it says the same and more. */
        uint64_t v1 = block_size(&h, 4);
        if (v1 > r.n - r.off) {
            why = "truncated v1 data block";
        } else {
            r.off += (size_t)v1;
            struct header h2;
            if (!read_header(&r, &h2) || h2.version < 2)
                why = "bad second header";
            else if ((why = read_block(&r, &h2, 8, tz)) == NULL)
                why = read_footer(&r, tz);
        }
    }
    if (why != NULL) {
        cp_error_set(err, CP_ERR_INTERNAL, NULL, "time zone %s: invalid TZif data: %s", tz->name,
                     why);
        cp_tz_free(tz);
        return NULL;
    }
    return tz;
}

struct cp_tz *
cp_tz_from_posix(const char *tz_string, struct cp_error *err)
{
    struct posix_tz p;
    if (tz_string == NULL || strlen(tz_string) > CP_TZ_NAME_MAX || !parse_posix(tz_string, &p)) {
        cp_error_set(err, CP_ERR_INVALID_FIELD, NULL, "not a POSIX TZ rule string");
        return NULL;
    }
    struct cp_tz *tz = tz_new(tz_string);
    if (tz != NULL)
        tz->type_off = calloc(1, sizeof(*tz->type_off));
    if (tz == NULL || tz->type_off == NULL) {
        cp_tz_free(tz);
        cp_error_set(err, CP_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    tz->n_types = 1;
    tz->type_off[0] = p.std_off;
    tz->rule = p;
    return tz;
}

bool
cp_tz_name_valid(const char *name)
{
    if (name == NULL || name[0] == '\0' || name[0] == '/')
        return false;
    size_t len = 0;
    for (const char *p = name; *p != '\0'; p++, len++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '/' || c == '+' || c == '-';
        if (!ok || len >= CP_TZ_NAME_MAX)
            return false;
        if (c == '/' && (p[1] == '/' || p[1] == '\0'))
            return false;
    }
    /* '.' is not allowed at all, so ".." cannot occur; say so for the reader. */
    return strstr(name, "..") == NULL;
}

/* Read the whole file at path into a malloc'd buffer. Returns NULL with errno-style reason. */
static uint8_t *
read_file(const char *path, size_t *out_n, const char **why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *why = strerror(errno);
        return NULL;
    }
    struct stat st;
    uint8_t *buf = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *why = "not a regular file";
    } else if (st.st_size > CP_TZ_MAX_FILE_BYTES) {
        *why = "file too large";
    } else if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
        *why = "out of memory";
    } else {
        size_t n = 0, cap = (size_t)st.st_size;
        while (n < cap) {
            ssize_t k = read(fd, buf + n, cap - n);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break;
            n += (size_t)k;
        }
        *out_n = n;
    }
    close(fd);
    return buf;
}

struct cp_tz *
cp_tz_load(const char *name, struct cp_error *err)
{
    if (!cp_tz_name_valid(name)) {
        cp_error_set(err, CP_ERR_INVALID_FIELD, NULL, "invalid time zone name");
        return NULL;
    }
    char path[sizeof(CP_TZ_DIR) + 1 + CP_TZ_NAME_MAX + 1];
    memcpy(path, CP_TZ_DIR, sizeof(CP_TZ_DIR) - 1);
    path[sizeof(CP_TZ_DIR) - 1] = '/';
    memcpy(path + sizeof(CP_TZ_DIR), name, strlen(name) + 1);
    const char *why = NULL;
    size_t n = 0;
    uint8_t *buf = read_file(path, &n, &why);
    if (buf == NULL) {
        cp_error_set(err, CP_ERR_NOT_FOUND, NULL, "time zone %s: %s", name, why);
        return NULL;
    }
    struct cp_tz *tz = cp_tz_parse(buf, n, name, err);
    free(buf);
    return tz;
}

const char *
cp_tz_name(const struct cp_tz *tz)
{
    return tz->name;
}

int
cp_tz_offset_s(const struct cp_tz *tz, int64_t utc_s)
{
    int64_t t = utc_s < -CLAMP_S ? -CLAMP_S : utc_s > CLAMP_S ? CLAMP_S : utc_s;
    size_t n = tz->n_trans;
    if (n == 0)
        return tz->rule.present ? posix_offset(&tz->rule, t) : tz->type_off[0];
    if (t < tz->trans[0])
        return tz->type_off[0];
    if (t > tz->trans[n - 1] && tz->rule.present)
        return posix_offset(&tz->rule, t);
    /* Binary search for the last transition at or before t. */
    size_t lo = 0, hi = n; /* trans[lo] <= t < trans[hi] (hi == n: +infinity) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->type_off[tz->trans_type[lo]];
}

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cp_tz *cache[CP_TZ_CACHE_MAX];
static size_t n_cache;

const struct cp_tz *
cp_tz_get(const char *name)
{
    if (!cp_tz_name_valid(name))
        return NULL;
    const struct cp_tz *found = NULL;
    pthread_mutex_lock(&cache_mu);
    for (size_t i = 0; i < n_cache && found == NULL; i++)
        if (strcmp(cache[i]->name, name) == 0)
            found = cache[i];
    if (found == NULL && n_cache < CP_TZ_CACHE_MAX) {
        struct cp_tz *tz = cp_tz_load(name, NULL);
        if (tz != NULL) {
            cache[n_cache++] = tz;
            found = tz;
        }
    }
    pthread_mutex_unlock(&cache_mu);
    return found;
}
