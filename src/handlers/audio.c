/*
 * Recording audio:
 *   PUT /v1/calls/{call_id}/recordings/{recording_id}/audio   upload (streamed, scope voice:write)
 *   GET /api/v1/voice-calls/{id}/recording-url               a signed link (scope audio:download)
 *   GET /v1/recordings/{tenant}/{call}/{recording}?exp&kid&sig the link itself (no other auth)
 *
 * An upload streams into a temporary file, hashed and counted on the way and never held in
 * memory; its first bytes must agree with the declared type. Once the body is complete the file
 * is fsync'd and renamed into place (store/blob.c), and only then is the recording's row told
 * about it, in the same transaction as the idempotency record. The audio of a recording never
 * changes: the same bytes again are a 200, other bytes a 409.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/time.h"
#include "core/util.h"
#include "domain/audio.h"
#include "domain/signed_url.h"
#include "handlers/handlers.h"
#include "handlers/recording_json.h"
#include "http/idem.h"
#include "json/write.h"
#include "store/blob.h"

/* The pseudo recording id of a link to the call's own recording_url (Ovia face), which has no
 * recording row. '!' never appears in a recording_id (see cp_check_path_id). */
#define CALL_URL_RECORDING "!call"

/* ---- upload ---- */

struct upload {
    struct cp_blob *blob;
    const char *type;
    uint8_t head[CP_AUDIO_HEAD_BYTES];
    size_t head_len;
    bool sniffed;
};

static void
upload_cleanup(void *p)
{
    struct upload *u = p;
    cp_blob_free(u->blob); /* removes the temporary file unless it was committed */
}

static bool
upload_open(struct cp_req *req, struct cp_reply *rep)
{
    const char *rec_id = req->params[1];
    if (strlen(rec_id) > CP_RECORDING_ID_MAX || cp_check_path_id(rec_id) != NULL) {
        cp_reply_err(rep, CP_ERR_BAD_PATH, NULL,
                     "The recording id in the path must be 1 to 128 of A-Z a-z 0-9 - _ . : ~ @ "
                     "+ =.");
        return false;
    }
    struct upload *u = cp_arena_alloc(&req->arena, sizeof(*u));
    u->type = cp_audio_type(cp_req_header(req, "Content-Type"));
    if (u->type == NULL) {
        cp_reply_err(rep, CP_ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
                     "Send the audio with Content-Type audio/wav, audio/mpeg, audio/ogg, "
                     "audio/webm or audio/flac.");
        return false;
    }
    struct cp_error err;
    u->blob = cp_blob_begin(req->app->recordings_dir, &err);
    if (u->blob == NULL) {
        cp_reply_error(rep, &err);
        return false;
    }
    cp_arena_defer(&req->arena, upload_cleanup, u);
    req->stream_state = u;
    return true;
}

static bool
sniff_fails(struct upload *u, struct cp_reply *rep)
{
    u->sniffed = true;
    if (cp_audio_sniff(u->type, u->head, u->head_len))
        return false;
    cp_reply_err(rep, CP_ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
                 "The body does not start like %s; send the Content-Type that matches the file.",
                 u->type);
    return true;
}

static bool
upload_write(struct cp_req *req, const char *data, size_t n, struct cp_reply *rep)
{
    struct upload *u = req->stream_state;
    if (u->head_len < sizeof(u->head)) {
        size_t take = sizeof(u->head) - u->head_len < n ? sizeof(u->head) - u->head_len : n;
        memcpy(u->head + u->head_len, data, take);
        u->head_len += take;
    }
    if (!u->sniffed && u->head_len >= 12 && sniff_fails(u, rep))
        return false;
    struct cp_error err;
    if (!cp_blob_write(u->blob, data, n, &err)) {
        cp_reply_error(rep, &err);
        return false;
    }
    return true;
}

struct audio_ctx {
    struct upload *u;
    struct cp_recording rec; /* what this upload would record */
    const char *file_name;
    bool same_bytes; /* the recording already holds exactly these bytes */
    bool lost_race;  /* another upload recorded other bytes first */
};

/* Check the call and the recording's current audio before anything is renamed into place.
 * ONE to go on; NONE with rep set (404, 409). */
static enum cp_qs
audio_check_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct audio_ctx *a = t->cls;
    struct cp_call call;
    enum cp_qs qs = cp_call_load(c, t, t->req->params[0], &call);
    if (qs <= 0)
        return qs;
    snprintf(a->rec.call_id, sizeof(a->rec.call_id), "%s", call.id);
    struct cp_recording old;
    qs = c->ops->recording_get(c, call.tenant_id, call.id, a->rec.recording_id, &t->req->arena,
                               &old);
    if (qs < 0)
        return qs;
    if (qs == CP_QS_ONE && old.has_audio) {
        a->same_bytes = cp_crypto_sha256_eq(&old.sha256, &a->rec.sha256);
        if (!a->same_bytes) {
            cp_reply_err(t->rep, CP_ERR_CONFLICT, NULL,
                         "Recording %s already has different audio; recordings are evidence and "
                         "never change. Upload under a new recording id.",
                         a->rec.recording_id);
            return CP_QS_NONE;
        }
    }
    return CP_QS_ONE;
}

static enum cp_qs
check_wrap(struct cp_store_conn *c, void *cls)
{
    return audio_check_txn(c, cls);
}

/* Runs audio_check_txn outside cp_req_transact: this read must not be recorded under the
 * request's Idempotency-Key. True to go on; false with rep set otherwise. */
static bool
audio_check(struct cp_req *req, struct cp_reply *rep, struct audio_ctx *a)
{
    struct cp_store_conn *c = cp_req_conn(req, rep);
    if (c == NULL)
        return false;
    struct cp_txn_ctx t = {.req = req, .rep = rep, .cls = a};
    enum cp_qs qs = cp_store_run(c, false, check_wrap, &t);
    if (qs < 0) {
        cp_reply_store_failure(rep, c, qs, "Could not check the recording");
        return false;
    }
    return qs == CP_QS_ONE;
}

static enum cp_qs
audio_record_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct audio_ctx *a = t->cls;
    struct cp_call call;
    enum cp_qs qs = cp_call_load(c, t, t->req->params[0], &call);
    if (qs <= 0)
        return qs;
    int64_t now = cp_time_now_ms();
    struct cp_recording cur = {0}; /* stays empty (no audio) when the recording is new */
    qs = c->ops->recording_get(c, call.tenant_id, call.id, a->rec.recording_id, &t->req->arena,
                               &cur);
    if (qs < 0)
        return qs;
    unsigned status = 200;
    if (qs == CP_QS_NONE) { /* audio before any log: the recording starts here */
        struct cp_recording fresh = a->rec;
        fresh.created_ms = fresh.updated_ms = now;
        fresh.duration_s = -1;
        if ((qs = c->ops->recording_upsert(c, &fresh)) < 0)
            return qs;
    }
    if (qs == CP_QS_NONE || !cur.has_audio) {
        a->rec.updated_ms = now;
        qs = c->ops->recording_set_audio(c, &a->rec);
        if (qs < 0)
            return qs;
        if (qs == CP_QS_NONE) { /* another upload got there first */
            a->lost_race = true;
            cp_reply_err(t->rep, CP_ERR_CONFLICT, NULL,
                         "Recording %s received other audio at the same time; recordings never "
                         "change.",
                         a->rec.recording_id);
            return CP_QS_NONE;
        }
        status = 201;
    } else if (!cp_crypto_sha256_eq(&cur.sha256, &a->rec.sha256)) {
        a->lost_race = true;
        cp_reply_err(t->rep, CP_ERR_CONFLICT, NULL,
                     "Recording %s already has different audio; recordings never change.",
                     a->rec.recording_id);
        return CP_QS_NONE;
    }
    if (!call.recording_available) {
        call.recording_available = true;
        call.updated_ms = now;
        if ((qs = c->ops->call_update(c, &call)) <= 0)
            return qs == CP_QS_NONE ? CP_QS_HARD : qs;
    }
    qs = c->ops->recording_get(c, call.tenant_id, call.id, a->rec.recording_id, &t->req->arena,
                               &cur);
    if (qs <= 0)
        return qs == CP_QS_NONE ? CP_QS_HARD : qs;
    struct cp_jw w;
    cp_recording_reply_begin(t->rep, &w, status,
                             status == 201 ? "Recording audio stored."
                                           : "Recording audio already stored.");
    cp_recording_write(&w, &call, &cur);
    cp_recording_reply_end(&w);
    return CP_QS_ONE;
}

static void
upload_finish(struct cp_req *req, struct cp_reply *rep)
{
    struct upload *u = req->stream_state;
    if (!u->sniffed && sniff_fails(u, rep)) /* fewer than 12 bytes */
        return;
    struct audio_ctx a = {.u = u};
    struct cp_error err;
    if (!cp_blob_finish(u->blob, &a.rec.sha256, &err)) {
        cp_reply_error(rep, &err);
        return;
    }
    if (req->idem_key != NULL && !cp_idem_before_digest(req, rep, &a.rec.sha256))
        return;
    a.rec.tenant_id = req->auth.tenant_id;
    a.rec.recording_id = req->params[1];
    a.rec.has_audio = true;
    a.rec.content_type = u->type;
    a.rec.size_bytes = cp_blob_size(u->blob);
    a.rec.duration_s = strcmp(u->type, "audio/wav") == 0
                           ? cp_audio_wav_duration_s(u->head, u->head_len, a.rec.size_bytes)
                           : -1;
    /* Refuse other bytes before anything is renamed into place. */
    if (!audio_check(req, rep, &a))
        return;
    if (!a.same_bytes) {
        char hex[65];
        cp_hex_encode(a.rec.sha256.b, sizeof(a.rec.sha256.b), hex);
        a.file_name =
            cp_arena_printf(&req->arena, "%lld/%s/%s-%.16s.%s", (long long)req->auth.tenant_id,
                            a.rec.call_id, a.rec.recording_id, hex, cp_audio_ext(u->type));
        if (!cp_blob_commit(u->blob, a.file_name, &err)) {
            cp_reply_error(rep, &err);
            return;
        }
        a.rec.file_name = a.file_name;
    }
    bool ok = cp_req_transact(req, rep, true, audio_record_txn, &a);
    /* A file renamed into place but not recorded (store failure, lost race) is not ours. */
    if (!ok && a.file_name != NULL && !rep->replayed)
        cp_blob_remove(req->app->recordings_dir, a.file_name);
}

const struct cp_stream_ops cp_h_audio_upload = {
    .open = upload_open,
    .write = upload_write,
    .finish = upload_finish,
};

/* ---- signed links ---- */

struct link_ctx {
    const char *recording_id; /* chosen, arena */
};

static enum cp_qs
link_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct link_ctx *l = t->cls;
    struct cp_call call;
    enum cp_qs qs = cp_call_load(c, t, t->req->params[0], &call);
    if (qs <= 0)
        return qs;
    const char *want = cp_req_query(t->req, "recordingId");
    struct cp_recording *items = NULL;
    size_t n = 0;
    if ((qs = c->ops->recording_list(c, call.tenant_id, call.id, &t->req->arena, &items, &n)) < 0)
        return qs;
    /* The named recording, else the newest with audio, else the newest with a URL. */
    const struct cp_recording *pick = NULL;
    for (size_t i = n; i-- > 0 && pick == NULL;)
        if (want != NULL ? strcmp(items[i].recording_id, want) == 0 : items[i].has_audio)
            pick = &items[i];
    for (size_t i = n; want == NULL && i-- > 0 && pick == NULL;)
        if (items[i].recording_url != NULL)
            pick = &items[i];
    if (pick != NULL)
        l->recording_id = pick->recording_id;
    else if (want == NULL && call.recording_url != NULL)
        l->recording_id = CALL_URL_RECORDING;
    else {
        cp_reply_err(t->rep, CP_ERR_NOT_FOUND, NULL, "No recording for call %s.",
                     t->req->params[0]);
        return CP_QS_NONE;
    }
    const struct cp_config *cfg = t->req->app->cfg;
    struct cp_link link = {.tenant_id = call.tenant_id,
                           .call_id = cp_arena_strdup(&t->req->arena, call.id),
                           .recording_id = l->recording_id,
                           .expires_s = cp_time_now_ms() / 1000 + cfg->recording_url_ttl_s};
    char path[512], sig[CP_URL_SIG_HEX + 1];
    cp_link_path(&link, path, sizeof(path));
    cp_link_sign(t->req->app->url_key, &link, sig);
    cp_reply_json(t->rep, 200);
    struct cp_jw w;
    cp_jw_init(&w, &t->rep->body);
    cp_jw_obj_begin(&w);
    cp_jw_kstr(&w, "recordingUrl",
               cp_arena_printf(&t->req->arena, "%s%s?exp=%lld&kid=%s&sig=%s", cfg->public_url, path,
                               (long long)link.expires_s, t->req->app->url_key->kid, sig));
    cp_jw_ktime(&w, "expiresAt", link.expires_s * 1000);
    cp_jw_obj_end(&w);
    return CP_QS_ONE;
}

void
cp_h_recording_url(struct cp_req *req, struct cp_reply *rep)
{
    static const char *const known[] = {"recordingId", NULL};
    if (!cp_req_query_only(req, rep, known))
        return;
    struct link_ctx l = {0};
    cp_req_transact(req, rep, false, link_txn, &l);
}

/* ---- download ---- */

/* Parse "bytes=a-b", "bytes=a-", "bytes=-n" against size. Returns 1 with the range, 0 when
 * there is no usable Range (serve everything: RFC 9110 lets a server ignore what it does not
 * support, such as several ranges), -1 when unsatisfiable. */
static int
parse_range(const char *h, int64_t size, int64_t *out_from, int64_t *out_len)
{
    if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL)
        return 0;
    const char *p = h + 6;
    char *end;
    if (*p == '-') {
        long long n = strtoll(p + 1, &end, 10);
        if (p[1] < '0' || p[1] > '9' || *end != '\0')
            return 0;
        if (n == 0 || size == 0)
            return -1;
        if (n > size)
            n = size;
        *out_from = size - n;
        *out_len = n;
        return 1;
    }
    if (*p < '0' || *p > '9')
        return 0;
    long long a = strtoll(p, &end, 10), b = size - 1;
    if (*end != '-')
        return 0;
    if (end[1] != '\0') {
        char *e2;
        if (end[1] < '0' || end[1] > '9')
            return 0;
        b = strtoll(end + 1, &e2, 10);
        if (*e2 != '\0' || b < a)
            return 0;
    }
    if (a >= size)
        return -1;
    if (b >= size)
        b = size - 1;
    *out_from = a;
    *out_len = b - a + 1;
    return 1;
}

struct dl_ctx {
    struct cp_link link;
};

static enum cp_qs
download_txn(struct cp_store_conn *c, struct cp_txn_ctx *t)
{
    struct dl_ctx *d = t->cls;
    struct cp_req *req = t->req;
    struct cp_reply *rep = t->rep;
    const char *external = NULL;
    struct cp_recording rec = {0};
    if (strcmp(d->link.recording_id, CALL_URL_RECORDING) == 0) {
        struct cp_call call;
        enum cp_qs qs = c->ops->call_get(c, d->link.tenant_id, d->link.call_id, &req->arena, &call);
        if (qs < 0)
            return qs;
        external = qs == CP_QS_ONE ? call.recording_url : NULL;
    } else {
        enum cp_qs qs = c->ops->recording_get(c, d->link.tenant_id, d->link.call_id,
                                              d->link.recording_id, &req->arena, &rec);
        if (qs < 0)
            return qs;
        external = qs == CP_QS_ONE && !rec.has_audio ? rec.recording_url : NULL;
    }
    if (rec.has_audio) {
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", req->app->recordings_dir, rec.file_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            cp_log(CP_LOG_ERROR, "rid=%s recording file missing: %s", req->request_id,
                   strerror(errno));
            if (fd >= 0)
                close(fd);
            return CP_QS_HARD;
        }
        int64_t from = 0, len = st.st_size;
        int r = parse_range(cp_req_header(req, "Range"), st.st_size, &from, &len);
        if (r < 0) {
            close(fd);
            cp_reply_err(rep, CP_ERR_RANGE_NOT_SATISFIABLE, NULL,
                         "The Range asks for bytes past the end of the %lld-byte recording.",
                         (long long)st.st_size);
            cp_reply_header(rep, "Content-Range",
                            cp_arena_printf(&req->arena, "bytes */%lld", (long long)st.st_size));
            return CP_QS_ONE;
        }
        cp_reply_json(rep, r == 1 ? 206 : 200);
        rep->content_type = rec.content_type;
        rep->file_fd = fd;
        rep->file_offset = from;
        rep->file_length = len;
        cp_reply_header(rep, "Accept-Ranges", "bytes");
        if (r == 1)
            cp_reply_header(rep, "Content-Range",
                            cp_arena_printf(&req->arena, "bytes %lld-%lld/%lld", (long long)from,
                                            (long long)(from + len - 1), (long long)st.st_size));
        return CP_QS_ONE;
    }
    if (external != NULL) {
        /* Only the link to it was ours to sign: the origin's own access rules still apply. */
        cp_reply_json(rep, 302);
        cp_buf_puts(&rep->body, "{\"status\":\"success\",\"message\":\"The recording is stored "
                                "elsewhere.\",\"data\":null}");
        cp_reply_header(rep, "Location", external);
        return CP_QS_ONE;
    }
    cp_reply_err(rep, CP_ERR_NOT_FOUND, NULL, "No recording at this link.");
    return CP_QS_NONE;
}

void
cp_h_recording_download(struct cp_req *req, struct cp_reply *rep)
{
    /* Exactly exp, kid and sig: anything added, repeated or missing is not the link we signed. */
    const char *exp = cp_req_query(req, "exp"), *kid = cp_req_query(req, "kid"),
               *sig = cp_req_query(req, "sig");
    char *end = NULL;
    long long tenant = strtoll(req->params[0], &end, 10);
    long long expires = exp ? strtoll(exp, &end, 10) : 0;
    bool shape_ok = req->n_query == 3 && exp != NULL && kid != NULL && sig != NULL && *exp >= '1' &&
                    *exp <= '9' && end != NULL && *end == '\0' && tenant > 0 &&
                    req->params[0][0] != '0' &&
                    strspn(req->params[0], "0123456789") == strlen(req->params[0]) &&
                    strspn(exp, "0123456789") == strlen(exp) && strlen(exp) <= 12;
    struct dl_ctx d = {.link = {.tenant_id = tenant,
                                .call_id = req->params[1],
                                .recording_id = req->params[2],
                                .expires_s = expires}};
    enum cp_link_verdict v =
        shape_ok ? cp_link_verify(req->app->url_key, &d.link, kid, sig, cp_time_now_ms() / 1000,
                                  req->app->cfg->recording_url_ttl_s)
                 : CP_LINK_BAD;
    if (v == CP_LINK_BAD) {
        cp_reply_err(rep, CP_ERR_LINK_FORBIDDEN, NULL,
                     "This recording link is not valid. Request a new one.");
        return;
    }
    if (v == CP_LINK_EXPIRED) {
        cp_reply_err(rep, CP_ERR_LINK_EXPIRED, NULL,
                     "This recording link has expired. Request a new one.");
        return;
    }
    cp_req_transact(req, rep, false, download_txn, &d);
}
