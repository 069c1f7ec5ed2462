/*
 * Every handler, one file per resource. Handlers read parse -> check -> transact -> reply,
 * never touch libmicrohttpd or SQL, and take everything from struct cp_req.
 */
#ifndef CP_HANDLERS_HANDLERS_H
#define CP_HANDLERS_HANDLERS_H

#include "http/request.h"

/* handlers/health.c */
void cp_h_health_get(struct cp_req *req, struct cp_reply *rep);

/* handlers/calls_ovia.c: the Ovia face (seed 004) */
void cp_h_calls_create(struct cp_req *req, struct cp_reply *rep);
void cp_h_calls_get(struct cp_req *req, struct cp_reply *rep);

#endif
