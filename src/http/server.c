/*
 * libmicrohttpd (0.9.75, Debian 12) glue.
 *
 * Design choices, each measured or verified on this machine:
 *   - MHD_USE_POLL with a thread pool sized to the cores, not epoll: 0.9.75's epoll loop stalls
 *     for seconds when exactly 128 connections are ready at once, and poll + pool was as fast.
 *   - The raw request target is captured in the URI log callback (which also allocates the
 *     per-request state), and the identity unescaper is installed, because MHD's own decoding
 *     truncates at %00 and turns %2e%2e%2f into ../. dispatch.c decodes strictly instead.
 *   - MHD has no body limit and its idle timeout is reset by every byte (a trickling client
 *     stays forever), so body size and absolute deadlines are enforced here: a reaper thread
 *     shuts down connections whose headers are late (header_timeout_s), and a request older
 *     than body_timeout_s is closed when its next body bytes arrive.
 *   - An over-limit body is read and discarded up to DISCARD_MAX before the 413 is sent:
 *     closing with unread bytes makes the kernel send a reset, which drops the 413 before the
 *     client reads it.
 *   - Framing checks (duplicate Content-Length, CL + TE) live in dispatch.c: 0.9.75 accepts
 *     both and uses the first header.
 * Per request: uri_log (allocate) -> access handler (headers: cp_http_begin; body chunks;
 * end: cp_http_finish; queue the reply) -> completed (log line, free).
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/time.h"
#include "core/util.h"
#include "http/dispatch.h"
#include "http/route.h"

/*
 * A connection as the header reaper sees it. fd is our dup() of the socket: shutdown() on it
 * cuts the connection MHD holds, and since we close it only when MHD reports the connection
 * closed, its number can never belong to another connection while it is listed.
 */
struct conn_watch {
    struct conn_watch *prev, *next;
    int fd;
    int64_t waiting_since_ms; /* connected, or answered its last request */
    int64_t allowed_ms;       /* how long it may take to complete the next header block */
    bool in_request;          /* headers complete: the body deadline applies instead */
    bool cut;
};

struct cp_server {
    struct MHD_Daemon *daemon;
    struct cp_app *app;
    atomic_int in_flight;
    atomic_llong requests; /* begun since start */
    atomic_int open_conns; /* connections MHD holds (notify STARTED minus CLOSED) */
    int listen_fd;         /* ours until MHD_quiesce_daemon hands it back, or until stop */
    bool ipv6;
    char address[128];
    /* The header reaper: every watched connection, and the thread that cuts late ones. */
    pthread_mutex_t watch_lock;
    pthread_cond_t reaper_wake;
    struct conn_watch *watches;
    bool reaper_running, reaper_stop;
    pthread_t reaper;
    /* Requests waiting for a submitted write (suspended, or about to be): resume_lock orders
     * a request's suspension against the writer thread's report. */
    pthread_mutex_t resume_lock;
    atomic_int pending;
};

struct conn_req {
    struct cp_req req;
    struct cp_reply rep;
    struct cp_server *srv;
    struct MHD_Connection *con;
    struct cp_buf body;
    const char *uri_raw; /* MHD's buffer: the target as the request line held it */
    size_t uri_len;      /* strlen(uri_raw) when the URI log callback saw it */
    int64_t body_limit;
    int64_t received; /* body bytes so far */
    int64_t deadline_mono_ms;
    size_t bytes_out;
    bool began;     /* cp_http_begin ran */
    bool too_large; /* body went over the limit: discard the rest, answer 413 */
    bool refused;   /* a streaming route refused the body: discard the rest, send rep */
    bool held;      /* answered before the body: discard the body, then send rep */
    bool answered;  /* a reply was queued */
    bool submitted; /* the handler submitted its write (cp_http_finish returned false) */
    bool suspended; /* under resume_lock: MHD holds the connection until resume_request */
    bool ready;     /* under resume_lock: the write reported, the reply is in rep */
};

/* Uploads are cut off only if slower than this on average (on top of body_timeout_s), so a
 * 512 MiB recording over a modest link is not refused for taking minutes. */
#define STREAM_MIN_BYTES_PER_S (64 * 1024)

/* Over-limit body bytes read and thrown away so the 413 reaches the client; past this the
 * connection is cut (an endless body gets no answer: 0.9.75 cannot answer mid-body). */
#define DISCARD_MAX (16 * 1024 * 1024)

/* How often the reaper looks for late headers. */
#define REAP_EVERY_MS 250

const char *
cp_server_mhd_version(void)
{
    return MHD_get_version();
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    cp_log(CP_LOG_WARN, "libmicrohttpd: %s", msg);
}

/* MHD's unescaper would hand us a NUL-truncated URL; we decode the raw target ourselves. */
static size_t
identity_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

/* req->resume, on the store's writer thread: the submitted write reported. */
static void
resume_request(void *cls)
{
    struct conn_req *cr = cls;
    struct cp_server *srv = cr->srv;
    pthread_mutex_lock(&srv->resume_lock);
    cr->ready = true;
    if (cr->suspended)
        MHD_resume_connection(cr->con); /* MHD calls on_request again: it sends the reply */
    pthread_mutex_unlock(&srv->resume_lock);
}

/* After cp_http_finish submitted the request's write: suspend the connection (the thread goes
 * on with its other connections) unless the write already reported. True if suspended. */
static bool
suspend_until_ready(struct MHD_Connection *con, struct conn_req *cr)
{
    struct cp_server *srv = cr->srv;
    cr->submitted = true;
    pthread_mutex_lock(&srv->resume_lock);
    if (!cr->ready) {
        MHD_suspend_connection(con);
        cr->suspended = true;
        atomic_fetch_add(&srv->pending, 1);
    }
    bool suspended = cr->suspended;
    pthread_mutex_unlock(&srv->resume_lock);
    return suspended;
}

/* The submitted write reported: finish the request (once; MHD may instead end a resumed
 * connection whose client left without calling on_request again, see on_completed). */
static void
complete_submitted(struct conn_req *cr)
{
    if (!cr->req.pending) /* cp_http_complete ran */
        return;
    cp_http_complete(&cr->req, &cr->rep);
    if (cr->suspended)
        atomic_fetch_sub(&cr->srv->pending, 1);
}

static void *
uri_log(void *cls, const char *uri, struct MHD_Connection *con)
{
    struct cp_server *srv = cls;
    struct conn_req *cr = calloc(1, sizeof(*cr));
    if (cr == NULL)
        cp_die("out of memory");
    cr->srv = srv;
    cr->con = con;
    cp_req_init(&cr->req, srv->app);
    cr->req.resume = resume_request;
    cr->req.resume_cls = cr;
    cp_reply_init(&cr->rep);
    cr->req.raw_uri = cp_arena_strdup(&cr->req.arena, uri ? uri : "");
    cr->uri_raw = uri;
    cr->uri_len = uri ? strlen(uri) : 0;
    cr->req.start_us = cp_time_mono_us();
    cr->deadline_mono_ms = cp_time_mono_ms() + srv->app->cfg->body_timeout_s * 1000;
    atomic_fetch_add(&srv->in_flight, 1);
    atomic_fetch_add(&srv->requests, 1);
    return cr;
}

struct hdr_collect {
    struct cp_req *req;
    size_t cap;
};

/*
 * Copy headers into the request, never more than cap. A raw NUL inside a header value cannot
 * be seen from here: libmicrohttpd 0.9.75 reports value sizes as strlen() of what it parsed,
 * so "Authorization: Bearer <token>\0junk" arrives as the token alone (documented in
 * docs/DESIGN.md; the junk is dropped, never acted on).
 */
static enum MHD_Result
collect_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
               const char *value, size_t value_size)
{
    (void)kind;
    (void)key_size;
    (void)value_size;
    struct hdr_collect *hc = cls;
    struct cp_req *req = hc->req;
    if (req->n_headers >= hc->cap) {
        req->headers_overflow = true;
        return MHD_NO; /* stop iterating: the request is refused anyway */
    }
    if (value == NULL)
        value = "";
    req->headers[req->n_headers].name = cp_arena_strdup(&req->arena, key);
    req->headers[req->n_headers].value = cp_arena_strdup(&req->arena, value);
    req->n_headers++;
    return MHD_YES;
}

/*
 * A raw NUL inside the request target ends MHD's C string early ("GET /v1/health\0/../x")
 * and the rest would vanish. MHD parses the request line in place, so the target is followed
 * by the separator (a space, possibly overwritten by a NUL) and then the version: any other
 * byte between the end of the string we saw and the version means the target went on after a
 * NUL. Relies on MHD 0.9.75's in-place parsing; tests/blackbox/hardening.test.mjs pins it.
 */
static bool
target_has_nul(const struct conn_req *cr, const char *version)
{
    if (cr->uri_raw == NULL || version == NULL)
        return false;
    const char *end = cr->uri_raw + cr->uri_len;
    if (version < end || version - end > 64)
        return false; /* not the layout we know: nothing to conclude */
    for (const char *p = end; p < version; p++)
        if (*p != ' ' && *p != '\0' && *p != '\t')
            return true;
    return false;
}

static enum MHD_Result
queue_reply(struct MHD_Connection *con, struct conn_req *cr, bool must_close)
{
    struct cp_reply *rep = &cr->rep;
    if (CP_BUG(rep->status == 0))
        cp_reply_err(rep, CP_ERR_INTERNAL, NULL, "The server produced no answer.");
    size_t len = 0;
    struct MHD_Response *resp;
    if (rep->file_fd >= 0) {
        /* Streamed from the file by MHD (sendfile where it can): never held in memory. */
        len = (size_t)rep->file_length;
        resp = MHD_create_response_from_fd_at_offset64((uint64_t)rep->file_length, rep->file_fd,
                                                       (uint64_t)rep->file_offset);
        if (resp == NULL)
            return MHD_NO; /* the reply still owns the fd and closes it */
        rep->file_fd = -1; /* MHD closes it when the response is destroyed */
    } else {
        char *data = cp_buf_steal(&rep->body, &len);
        resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (resp == NULL) {
            free(data);
            return MHD_NO;
        }
    }
    cr->bytes_out = cr->req.method == CP_M_HEAD ? 0 : len; /* MHD sends no body for HEAD */
    MHD_add_response_header(resp, "Content-Type",
                            rep->content_type ? rep->content_type : "application/json");
    MHD_add_response_header(resp, "X-Request-Id", cr->req.request_id);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    for (size_t i = 0; i < rep->n_headers; i++)
        MHD_add_response_header(resp, rep->headers[i].name, rep->headers[i].value);
    if (must_close || atomic_load(&cr->srv->app->draining))
        MHD_add_response_header(resp, "Connection", "close");
    enum MHD_Result r = MHD_queue_response(con, rep->status, resp);
    MHD_destroy_response(resp);
    cr->answered = true;
    return r;
}

static void
watch_unlink(struct cp_server *srv, struct conn_watch *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        srv->watches = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
}

static void
on_connection(void *cls, struct MHD_Connection *con, void **socket_ctx,
              enum MHD_ConnectionNotificationCode toe)
{
    struct cp_server *srv = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&srv->open_conns, 1);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
        int fd = ci != NULL ? fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0) : -1;
        if (fd < 0) {
            /* Out of descriptors: this connection goes unwatched (MHD's idle timeout and the
             * body deadline still apply). Logged, not fatal. */
            cp_log(CP_LOG_WARN, "cannot watch a connection's header deadline: %s", strerror(errno));
            *socket_ctx = NULL;
            return;
        }
        struct conn_watch *w = calloc(1, sizeof(*w));
        if (w == NULL)
            cp_die("out of memory");
        w->fd = fd;
        w->waiting_since_ms = cp_time_mono_ms();
        w->allowed_ms = srv->app->cfg->header_timeout_s * 1000;
        pthread_mutex_lock(&srv->watch_lock);
        w->next = srv->watches;
        if (w->next != NULL)
            w->next->prev = w;
        srv->watches = w;
        pthread_mutex_unlock(&srv->watch_lock);
        *socket_ctx = w;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        atomic_fetch_sub(&srv->open_conns, 1);
        struct conn_watch *w = *socket_ctx;
        if (w == NULL)
            return;
        pthread_mutex_lock(&srv->watch_lock);
        watch_unlink(srv, w);
        pthread_mutex_unlock(&srv->watch_lock);
        close(w->fd);
        free(w);
        *socket_ctx = NULL;
    }
}

/* Mark the connection of con as serving a request (headers complete), or as waiting for the
 * next one, allowed `allowed_ms` for its headers from now. */
static void
watch_set(struct cp_server *srv, struct MHD_Connection *con, bool in_request, int64_t allowed_ms)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn_watch *w = ci != NULL ? ci->socket_context : NULL;
    if (w == NULL)
        return;
    pthread_mutex_lock(&srv->watch_lock);
    w->in_request = in_request;
    w->waiting_since_ms = cp_time_mono_ms();
    w->allowed_ms = allowed_ms;
    pthread_mutex_unlock(&srv->watch_lock);
}

/*
 * The header reaper: shuts down every connection still waiting for a complete header block
 * past its allowance, and, once the server drains, every connection waiting at all (nothing
 * of theirs was acknowledged, and SIGTERM must not wait for them).
 */
static void *
reaper_main(void *arg)
{
    struct cp_server *srv = arg;
    pthread_mutex_lock(&srv->watch_lock);
    while (!srv->reaper_stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += REAP_EVERY_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&srv->reaper_wake, &srv->watch_lock, &until);
        if (srv->reaper_stop)
            break;
        int64_t now = cp_time_mono_ms();
        bool draining = atomic_load(&srv->app->draining);
        int cut = 0;
        for (struct conn_watch *w = srv->watches; w != NULL; w = w->next) {
            if (w->in_request || w->cut)
                continue;
            if (draining || now - w->waiting_since_ms > w->allowed_ms) {
                shutdown(w->fd, SHUT_RDWR);
                w->cut = true;
                cut++;
            }
        }
        if (cut > 0)
            cp_log(CP_LOG_WARN, "closed %d connection(s) %s", cut,
                   draining ? "without a complete request at shutdown"
                            : "whose request headers were late");
    }
    pthread_mutex_unlock(&srv->watch_lock);
    return NULL;
}

/*
 * Whether an answer decided from the headers alone can wait until the body is read and thrown
 * away, so that the client, still sending, reads it instead of a reset. Not when the framing
 * is in doubt (the body's end is unknown), when the client waits for 100 Continue (it sends
 * nothing more), or when the declared body is larger than DISCARD_MAX.
 */
static bool
can_discard_body(const struct cp_req *req, const struct cp_reply *rep)
{
    if (!cp_req_has_body(req))
        return false;
    if (rep->err == CP_ERR_BAD_FRAMING || rep->err == CP_ERR_BAD_HEADER ||
        rep->err == CP_ERR_HEADERS_TOO_LARGE || rep->err == CP_ERR_BAD_PATH ||
        rep->err == CP_ERR_NOT_IMPLEMENTED)
        return false;
    if (cp_req_header(req, "Expect") != NULL)
        return false;
    const char *cl = cp_req_header(req, "Content-Length");
    return cl == NULL || (strlen(cl) <= 15 && strtoll(cl, NULL, 10) <= DISCARD_MAX);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    (void)cls; /* the server, also in cr->srv */
    (void)url;
    struct conn_req *cr = *req_cls;
    if (CP_BUG(cr == NULL))
        return MHD_NO;

    if (!cr->began) {
        cr->began = true;
        watch_set(cr->srv, con, true, 0);
        struct cp_req *req = &cr->req;
        if (cp_time_mono_ms() > cr->deadline_mono_ms) {
            /* Headers trickled in for longer than a whole request may take. */
            cp_log(CP_LOG_WARN,
                   "request deadline of %llds passed before the headers were "
                   "complete; closing",
                   (long long)cr->srv->app->cfg->body_timeout_s);
            return MHD_NO;
        }
        req->method_name = cp_arena_strdup(&req->arena, method);
        req->target_nul = target_has_nul(cr, version);
        size_t cap = (size_t)req->app->cfg->max_headers;
        req->headers = cp_arena_alloc(&req->arena, cap * sizeof(*req->headers));
        struct hdr_collect hc = {req, cap};
        MHD_get_connection_values_n(con, MHD_HEADER_KIND, collect_header, &hc);
        if (!cp_http_begin(req, &cr->rep, &cr->body_limit)) {
            if (can_discard_body(req, &cr->rep)) {
                cr->held = true;
                cr->body_limit = 0;
                return MHD_YES;
            }
            /* A body we did not read must never be parsed as the next request: close. */
            return queue_reply(con, cr, cp_req_has_body(req));
        }
        const struct cp_stream_ops *st = req->route->stream;
        if (st != NULL) {
            const char *cl = cp_req_header(req, "Content-Length");
            if (cl != NULL)
                cr->deadline_mono_ms += strtoll(cl, NULL, 10) / STREAM_MIN_BYTES_PER_S * 1000;
            if (!st->open(req, &cr->rep))
                return queue_reply(con, cr, true);
        }
        return MHD_YES;
    }

    if (*upload_data_size > 0) {
        if (cp_time_mono_ms() > cr->deadline_mono_ms) {
            /* A slow body: MHD 0.9.75 cannot answer in the middle of a body, so close. */
            cp_log(CP_LOG_WARN, "rid=%s body deadline of %llds passed; closing", cr->req.request_id,
                   (long long)cr->srv->app->cfg->body_timeout_s);
            return MHD_NO;
        }
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        cr->received += (int64_t)n;
        if (cr->too_large || cr->refused || cr->held) {
            if (cr->received - cr->body_limit <= DISCARD_MAX)
                return MHD_YES;
            cp_log(CP_LOG_WARN, "rid=%s discarded %d MiB of an unwanted body; closing",
                   cr->req.request_id, DISCARD_MAX >> 20);
            return MHD_NO;
        }
        if (cr->received > cr->body_limit) {
            cr->too_large = true;
            cp_buf_free(&cr->body);
            return MHD_YES;
        }
        const struct cp_stream_ops *st = cr->req.route->stream;
        if (st != NULL)
            cr->refused = !st->write(&cr->req, upload_data, n, &cr->rep);
        else
            cp_buf_append(&cr->body, upload_data, n);
        return MHD_YES;
    }

    if (cr->answered)
        return MHD_YES;
    if (cr->submitted) { /* resumed: the write reported */
        complete_submitted(cr);
        return queue_reply(con, cr, false);
    }
    if (cr->held)
        return queue_reply(con, cr, true);
    if (cr->too_large) {
        cp_reply_err(&cr->rep, CP_ERR_BODY_TOO_LARGE, NULL,
                     "The request body exceeds this endpoint's limit of %lld bytes.",
                     (long long)cr->body_limit);
        return queue_reply(con, cr, true);
    }
    if (cr->refused)
        return queue_reply(con, cr, true);
    if (cr->req.route->stream != NULL) {
        cr->req.route->stream->finish(&cr->req, &cr->rep);
        /* Before the reply leaves, as for every other request: a client that sends the same
         * Idempotency-Key again as soon as it has the answer must find it released (it found
         * a 409 "in progress" in a CI run when the release waited for on_completed). */
        cp_http_complete(&cr->req, &cr->rep);
        return queue_reply(con, cr, false);
    }
    if (cr->body.len > 0) {
        cr->req.body = cr->body.data;
        cr->req.body_len = cr->body.len;
    }
    if (!cp_http_finish(&cr->req, &cr->rep) && suspend_until_ready(con, cr))
        return MHD_YES;
    if (cr->submitted)
        complete_submitted(cr);
    return queue_reply(con, cr, false);
}

/* At max_connections, a new connection is accepted and closed at once: the client learns at
 * once and can go elsewhere. (MHD's own limit stops accepting instead, so clients would wait in
 * the listen backlog for as long as the slots are held.) MHD's limit is set above ours. */
static enum MHD_Result
accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addr;
    (void)addrlen;
    struct cp_server *srv = cls;
    return atomic_load(&srv->open_conns) < srv->app->cfg->max_connections ? MHD_YES : MHD_NO;
}

static void
on_completed(void *cls, struct MHD_Connection *con, void **req_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct cp_server *srv = cls;
    const struct cp_config *cfg = srv->app->cfg;
    /* A kept-alive connection may idle, then must complete its next headers in time. */
    watch_set(srv, con, false, (cfg->idle_timeout_s + cfg->header_timeout_s) * 1000);
    struct conn_req *cr = *req_cls;
    if (cr == NULL)
        return;
    *req_cls = NULL;
    /* One line per request, including those that never reached an answer (the client went
     * away, a deadline cut it off) and those libmicrohttpd answered itself (status 0 here:
     * malformed request line, missing Host, bad chunk encoding, oversized header block). */
    if (cr->submitted) /* a suspended connection ends only after its write reported */
        complete_submitted(cr);
    if (!cr->answered && !cr->submitted) { /* (a submitted write's outcome is logged) */
        cr->rep.status = 0;
        if (cr->req.method_name == NULL || !cr->began)
            cr->req.method_name = "-";
    }
    cp_http_log(&cr->req, &cr->rep, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? cr->bytes_out : 0,
                (int)toe);
    cp_req_cleanup(&cr->req);
    cp_reply_cleanup(&cr->rep);
    cp_buf_free(&cr->body);
    free(cr);
    atomic_fetch_sub(&srv->in_flight, 1);
}

/* Parse "HOST:PORT" or "[V6]:PORT" and resolve to a socket address (numeric or a name such as
 * localhost). */
static bool
parse_listen(const char *listen, struct sockaddr_storage *out, socklen_t *out_len,
             struct cp_error *err)
{
    char host[128];
    const char *port;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (close == NULL || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof(host))
            goto bad;
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(listen, ':');
        if (colon == NULL || (size_t)(colon - listen) >= sizeof(host) || colon == listen)
            goto bad;
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
        port = colon + 1;
    }
    char *end = NULL;
    long p = strtol(port, &end, 10);
    if (*port == '\0' || *end != '\0' || p < 0 || p > 65535)
        goto bad;
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL) {
        cp_error_set(err, CP_ERR_BAD_REQUEST, "listen", "Cannot resolve listen host '%s'.", host);
        return false;
    }
    memcpy(out, res->ai_addr, res->ai_addrlen);
    *out_len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
bad:
    cp_error_set(err, CP_ERR_BAD_REQUEST, "listen",
                 "listen must be HOST:PORT or [IPV6]:PORT with a port from 0 to 65535, not '%s'.",
                 listen);
    return false;
}

/* Bind and listen ourselves, so the address is known (port 0 resolved) before any worker
 * thread exists, and so no SO_REUSEPORT lets a second server silently share the port. */
static int
listen_socket(const struct sockaddr_storage *sa, socklen_t sa_len, char *out_addr, size_t n)
{
    int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)); /* TIME_WAIT only */
    if (sa->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    struct sockaddr_storage bound;
    socklen_t bl = sizeof(bound);
    if (bind(fd, (const struct sockaddr *)sa, sa_len) != 0 || listen(fd, 512) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &bl) != 0) {
        close(fd);
        return -1;
    }
    char host[INET6_ADDRSTRLEN] = "?";
    if (bound.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&bound;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        snprintf(out_addr, n, "[%s]:%u", host, (unsigned)ntohs(s6->sin6_port));
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&bound;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        snprintf(out_addr, n, "%s:%u", host, (unsigned)ntohs(s4->sin_port));
    }
    return fd;
}

struct cp_server *
cp_server_listen(struct cp_app *app, struct cp_error *out_err)
{
    struct sockaddr_storage sa;
    socklen_t sa_len = 0;
    if (!parse_listen(app->cfg->listen, &sa, &sa_len, out_err))
        return NULL;
    struct cp_server *srv = calloc(1, sizeof(*srv));
    if (srv == NULL)
        cp_die("out of memory");
    srv->app = app;
    srv->ipv6 = sa.ss_family == AF_INET6;
    pthread_mutex_init(&srv->watch_lock, NULL);
    pthread_mutex_init(&srv->resume_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&srv->reaper_wake, &ca);
    pthread_condattr_destroy(&ca);
    srv->listen_fd = listen_socket(&sa, sa_len, srv->address, sizeof(srv->address));
    if (srv->listen_fd < 0) {
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "listen", "Cannot serve on %s: %s.",
                     app->cfg->listen, strerror(errno));
        pthread_cond_destroy(&srv->reaper_wake);
        pthread_mutex_destroy(&srv->watch_lock);
        free(srv);
        return NULL;
    }
    return srv;
}

bool
cp_server_run(struct cp_server *srv, struct cp_error *out_err)
{
    const struct cp_config *cfg = srv->app->cfg;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (srv->ipv6)
        flags |= MHD_USE_IPv6;
    /*
     * Per-connection memory holds the request line and headers (in MHD's read buffer, which
     * they must fit at once), one record per header (about 50 bytes), and the reply's headers.
     * It must be large enough that a request at every one of our limits at once still reaches
     * callproof, which answers 414/431 with the envelope (docs/DESIGN.md), but no larger:
     * libmicrohttpd zeroes the whole pool at every request on a kept-alive connection, and the
     * unused half of its read buffer again before each reply. At the default limits (8 KiB
     * URL, 16 KiB and 64 headers at once) 5 KiB above URL + headers was enough and 4 KiB was
     * not; this gives 8 KiB there: a 32 KiB pool instead of 40 KiB, 12,000 fewer instructions
     * of memset per GET.
     */
    size_t mem =
        (size_t)(cfg->max_header_bytes + cfg->max_url_bytes + cfg->max_headers * 64 + 4096);
    if (mem < 32768)
        mem = 32768;
    struct MHD_OptionItem pool[2] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};
    if (cfg->threads > 1)
        pool[0] =
            (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)cfg->threads, NULL};
    /* Ours is enforced by accept_policy; MHD's, per pool thread, only needs to stay above it. */
    unsigned mhd_limit = (unsigned)(cfg->max_connections * 2 + 64);
    srv->daemon =
        MHD_start_daemon(flags, 0, accept_policy, srv, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
                         mhd_logger, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
                         MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->listen_fd,
                         MHD_OPTION_URI_LOG_CALLBACK, uri_log, srv, MHD_OPTION_NOTIFY_COMPLETED,
                         on_completed, srv, MHD_OPTION_UNESCAPE_CALLBACK, identity_unescape, NULL,
                         MHD_OPTION_CONNECTION_LIMIT, mhd_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                         (unsigned)cfg->max_connections_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)cfg->idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
                         MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_ARRAY, pool, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "listen", "Cannot start serving on %s.",
                     srv->address);
        return false;
    }
    if (pthread_create(&srv->reaper, NULL, reaper_main, srv) != 0) {
        cp_error_set(out_err, CP_ERR_UNAVAILABLE, "listen", "Cannot start the header reaper.");
        return false;
    }
    srv->reaper_running = true;
    return true;
}

const char *
cp_server_address(const struct cp_server *s)
{
    return s->address;
}

void
cp_server_quiesce(struct cp_server *s)
{
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET) {
        close(fd);
        s->listen_fd = -1;
    }
}

int64_t
cp_server_requests(struct cp_server *s)
{
    return atomic_load(&s->requests);
}

bool
cp_server_wait_idle(struct cp_server *s, int64_t timeout_ms)
{
    int64_t until = cp_time_mono_ms() + timeout_ms;
    while (atomic_load(&s->in_flight) > 0) {
        if (cp_time_mono_ms() >= until)
            return false;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return true;
}

void
cp_server_stop(struct cp_server *s)
{
    if (s == NULL)
        return;
    if (s->reaper_running) {
        pthread_mutex_lock(&s->watch_lock);
        s->reaper_stop = true;
        pthread_cond_signal(&s->reaper_wake);
        pthread_mutex_unlock(&s->watch_lock);
        pthread_join(s->reaper, NULL);
    }
    /* A suspended request's state is the writer thread's until it reports, which it always
     * does (its batch commits or fails): wait for them before MHD frees their connections. */
    while (atomic_load(&s->pending) > 0) {
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (s->daemon != NULL)
        MHD_stop_daemon(s->daemon); /* closes a listen socket it still holds */
    else if (s->listen_fd >= 0)
        close(s->listen_fd);
    pthread_cond_destroy(&s->reaper_wake);
    pthread_mutex_destroy(&s->watch_lock);
    pthread_mutex_destroy(&s->resume_lock);
    free(s);
}
