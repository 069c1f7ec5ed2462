/*
 * Route matching by segments. The table is small (tens of routes), so a linear scan with
 * segment comparison is faster than any tree would be and trivially correct; every route that
 * matches the path contributes its method to the Allow set for a 405.
 */
#include "http/route.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

static const struct {
    enum cp_method m;
    const char *name;
} methods[] = {
    {CP_M_GET, "GET"},     {CP_M_HEAD, "HEAD"},     {CP_M_POST, "POST"},       {CP_M_PUT, "PUT"},
    {CP_M_PATCH, "PATCH"}, {CP_M_DELETE, "DELETE"}, {CP_M_OPTIONS, "OPTIONS"},
};

enum cp_method
cp_method_parse(const char *name)
{
    for (size_t i = 0; i < CP_ARRAY_LEN(methods); i++)
        if (strcmp(methods[i].name, name) == 0)
            return methods[i].m;
    return 0;
}

const char *
cp_method_name(enum cp_method m)
{
    for (size_t i = 0; i < CP_ARRAY_LEN(methods); i++)
        if (methods[i].m == m)
            return methods[i].name;
    return "?";
}

void
cp_route_allow_header(unsigned mask, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < CP_ARRAY_LEN(methods); i++) {
        if ((mask & methods[i].m) == 0)
            continue;
        int w = snprintf(out + used, n - used, "%s%s", used ? ", " : "", methods[i].name);
        if (w < 0 || (size_t)w >= n - used)
            return;
        used += (size_t)w;
    }
}

/* Does path match pattern? Captures {params} as arena copies. */
static bool
match_one(const char *pattern, const char *path, struct cp_arena *arena,
          const char *params[CP_MAX_PATH_PARAMS], size_t *n_params)
{
    const char *p = pattern, *u = path;
    size_t np = 0;
    while (*p != '\0' && *u != '\0') {
        if (*p != '/' || *u != '/')
            return false;
        p++;
        u++;
        const char *pe = strchr(p, '/'), *ue = strchr(u, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p);
        size_t ul = ue ? (size_t)(ue - u) : strlen(u);
        if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
            if (ul == 0 || np >= CP_MAX_PATH_PARAMS)
                return false;
            if (arena != NULL)
                params[np] = cp_arena_strndup(arena, u, ul);
            np++;
        } else if (pl != ul || memcmp(p, u, pl) != 0) {
            return false;
        }
        p += pl;
        u += ul;
    }
    if (*p != '\0' || *u != '\0')
        return false;
    *n_params = np;
    return true;
}

enum cp_route_match
cp_route_match(const struct cp_route *table, size_t n, enum cp_method method, const char *path,
               struct cp_arena *arena, const struct cp_route **out_route,
               const char *out_params[CP_MAX_PATH_PARAMS], size_t *out_n_params,
               unsigned *out_allowed)
{
    unsigned allowed = 0;
    enum cp_method want = method == CP_M_HEAD ? CP_M_GET : method;
    for (size_t i = 0; i < n; i++) {
        size_t np = 0;
        const char *tmp[CP_MAX_PATH_PARAMS];
        if (!match_one(table[i].pattern, path, NULL, tmp, &np))
            continue;
        allowed |= table[i].method;
        if (table[i].method == CP_M_GET)
            allowed |= CP_M_HEAD;
        if (table[i].method == (unsigned)want) {
            CP_ASSERT(match_one(table[i].pattern, path, arena, out_params, out_n_params));
            *out_route = &table[i];
            return CP_ROUTE_FOUND;
        }
    }
    *out_allowed = allowed;
    return allowed ? CP_ROUTE_NO_METHOD : CP_ROUTE_NO_PATH;
}
