/*
 * GET /v1/health: liveness and identity, without authentication. Reports nothing a stranger
 * could use against the server beyond versions an operator wants visible.
 */
#include <stdio.h>

#include "core/time.h"
#include "handlers/handlers.h"
#include "json/write.h"

void
cp_h_health_get(struct cp_req *req, struct cp_reply *rep)
{
    struct cp_app *app = req->app;
    cp_reply_json(rep, 200);
    struct cp_jw w;
    cp_jw_init(&w, &rep->body);
    cp_jw_obj_begin(&w);
    cp_jw_kstr(&w, "status", atomic_load(&app->draining) ? "draining" : "ok");
    cp_jw_kstr(&w, "version", CP_VERSION);
    cp_jw_kstr(&w, "store", cp_store_backend(app->store));
    cp_jw_kint(&w, "schema_version", cp_store_schema_version(app->store));
    cp_jw_kint(&w, "uptime_seconds", (cp_time_mono_ms() - app->started_mono_ms) / 1000);
    cp_jw_kstr(&w, "libmicrohttpd", app->mhd_version);
    cp_jw_obj_end(&w);
}
