/*
 * Writers for recordings and their envelope (see recording_json.h).
 */
#include "handlers/recording_json.h"

#include <string.h>

#include "core/util.h"

void
cp_recording_reply_begin(struct cp_reply *rep, struct cp_jw *w, unsigned status,
                         const char *message)
{
    cp_reply_json(rep, status);
    cp_jw_init(w, &rep->body);
    cp_jw_obj_begin(w);
    cp_jw_kstr(w, "status", "success");
    cp_jw_kstr(w, "message", message);
    cp_jw_key(w, "data");
}

void
cp_recording_reply_end(struct cp_jw *w)
{
    cp_jw_obj_end(w);
}

void
cp_recording_write(struct cp_jw *w, const struct cp_call *call, const struct cp_recording *r)
{
    cp_jw_obj_begin(w);
    cp_jw_kstr(w, "call_id", call->external_id ? call->external_id : call->id);
    cp_jw_kstr(w, "recording_id", r->recording_id);
    cp_jw_kstr(w, "recording_url", r->recording_url);
    cp_jw_key(w, "duration_seconds");
    if (r->duration_s >= 0)
        cp_jw_int(w, r->duration_s);
    else
        cp_jw_null(w);
    cp_jw_kstr(w, "transcription_id", r->transcription_id);
    cp_jw_kstr(w, "transcription_status", r->transcription_status);
    cp_jw_ktime(w, "started_at", r->started_ms);
    cp_jw_ktime(w, "ended_at", r->ended_ms);
    cp_jw_key(w, "metadata");
    if (r->metadata_json != NULL)
        cp_jw_raw(w, r->metadata_json, strlen(r->metadata_json));
    else
        cp_jw_null(w);
    if (r->has_audio) {
        char hex[65];
        cp_hex_encode(r->sha256.b, sizeof(r->sha256.b), hex);
        cp_jw_kstr(w, "sha256", hex);
        cp_jw_kint(w, "size_bytes", r->size_bytes);
        cp_jw_kstr(w, "content_type", r->content_type);
    } else {
        cp_jw_knull(w, "sha256");
        cp_jw_knull(w, "size_bytes");
        cp_jw_knull(w, "content_type");
    }
    cp_jw_ktime(w, "created_at", r->created_ms);
    cp_jw_ktime(w, "updated_at", r->updated_ms);
    cp_jw_obj_end(w);
}
