/*
 * The HTTP server: libmicrohttpd glue around the dispatch functions. This and only this file
 * pair includes <microhttpd.h>.
 */
#ifndef CP_HTTP_SERVER_H
#define CP_HTTP_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "http/request.h"

struct cp_server;

/* libmicrohttpd's version string ("0.9.75"). */
const char *cp_server_mhd_version(void);

/* Bind and listen on app->cfg->listen; no thread is started yet. NULL + *out_err on failure
 * (bad address, port in use...). */
struct cp_server *cp_server_listen(struct cp_app *app, struct cp_error *out_err);
/* The address actually bound, "127.0.0.1:43567" (useful with port 0). */
const char *cp_server_address(const struct cp_server *s);
/* Start serving with a thread pool of cfg->threads workers. False + *out_err on failure (then
 * only cp_server_stop may be called). */
bool cp_server_run(struct cp_server *s, struct cp_error *out_err);
/* Stop accepting new connections; requests in flight go on. */
void cp_server_quiesce(struct cp_server *s);
/* Wait until no request is in flight or timeout_ms passed. True if idle. */
bool cp_server_wait_idle(struct cp_server *s, int64_t timeout_ms);
/* Requests begun since the server started (a counter to notice that it was idle). */
int64_t cp_server_requests(struct cp_server *s);
/* Stop the daemon (closing every connection), close the socket, free s. NULL ok. */
void cp_server_stop(struct cp_server *s);

#endif
