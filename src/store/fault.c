/*
 * The fault-injecting store operations (see fault.h). Each wrapper is one FAULT_POINT and a
 * call to the real backend's operation; operations not listed here (added later) are copied
 * from the real table, so they run unwrapped rather than crash.
 */
#include "store/fault.h"

#include <stdatomic.h>
#include <stddef.h>

#include "core/util.h"

static const struct cp_store_ops *real_ops; /* one backend per process */
static struct cp_store_ops fault_ops;

static atomic_llong calls;
static int64_t fail_at;
static enum cp_fault_kind fail_kind;
static atomic_bool fired;
static const char *_Atomic fired_op = "";
static const char **trace;
static size_t trace_cap;

/* Count this call; when it is the armed one, fail it without running it. */
static enum cp_qs
fault_point(struct cp_store_conn *c, const char *op)
{
    long long n = atomic_fetch_add(&calls, 1) + 1;
    if (trace != NULL && (size_t)n <= trace_cap)
        trace[n - 1] = op;
    if (fail_kind == CP_FAULT_OFF || n != fail_at)
        return CP_QS_ONE;
    atomic_store(&fired, true);
    atomic_store(&fired_op, op);
    switch (fail_kind) {
    case CP_FAULT_SOFT:
        return CP_QS_SOFT;
    case CP_FAULT_FULL:
        c->cause = CP_CAUSE_FULL;
        return CP_QS_HARD;
    default:
        return CP_QS_HARD;
    }
}

#define WRAP(name, params, args)                                                                   \
    static enum cp_qs f_##name params                                                              \
    {                                                                                              \
        enum cp_qs fq = fault_point(c, #name);                                                     \
        return fq < 0 ? fq : real_ops->name args;                                                  \
    }

WRAP(begin, (struct cp_store_conn * c, bool write), (c, write))
WRAP(commit, (struct cp_store_conn * c), (c))
WRAP(savepoint, (struct cp_store_conn * c), (c))
WRAP(savepoint_release, (struct cp_store_conn * c), (c))
WRAP(tenant_ensure, (struct cp_store_conn * c, const char *name, int64_t now_ms, int64_t *out_id),
     (c, name, now_ms, out_id))
WRAP(key_insert, (struct cp_store_conn * c, const struct cp_key_row *row), (c, row))
WRAP(key_get, (struct cp_store_conn * c, const struct cp_key_id *id, struct cp_key_row *out),
     (c, id, out))
WRAP(key_list, (struct cp_store_conn * c, cp_key_list_cb cb, void *cls), (c, cb, cls))
WRAP(key_revoke, (struct cp_store_conn * c, const struct cp_key_id *id, int64_t now_ms),
     (c, id, now_ms))
WRAP(key_touch,
     (struct cp_store_conn * c, const struct cp_key_id *id, int64_t now_ms, int64_t granularity_ms),
     (c, id, now_ms, granularity_ms))
WRAP(key_count, (struct cp_store_conn * c, int64_t *out_n), (c, out_n))
WRAP(idem_get,
     (struct cp_store_conn * c, int64_t tenant_id, const char *key, int64_t not_before_ms,
      struct cp_arena *arena, struct cp_idem_row *out),
     (c, tenant_id, key, not_before_ms, arena, out))
WRAP(idem_put,
     (struct cp_store_conn * c, int64_t tenant_id, const char *key, const struct cp_idem_row *row,
      int64_t not_before_ms),
     (c, tenant_id, key, row, not_before_ms))
WRAP(idem_purge, (struct cp_store_conn * c, int64_t before_ms, int64_t *out_n),
     (c, before_ms, out_n))
WRAP(call_insert, (struct cp_store_conn * c, const struct cp_call *call), (c, call))
WRAP(call_get,
     (struct cp_store_conn * c, int64_t tenant_id, const char *id_or_external,
      struct cp_arena *arena, struct cp_call *out),
     (c, tenant_id, id_or_external, arena, out))
WRAP(call_update, (struct cp_store_conn * c, const struct cp_call *call), (c, call))
WRAP(call_list,
     (struct cp_store_conn * c, int64_t tenant_id, const struct cp_call_filter *filter,
      struct cp_arena *arena, struct cp_call **out_items, size_t *out_n, int64_t *out_total),
     (c, tenant_id, filter, arena, out_items, out_n, out_total))
WRAP(recording_get,
     (struct cp_store_conn * c, int64_t tenant_id, const char *call_id, const char *recording_id,
      struct cp_arena *arena, struct cp_recording *out),
     (c, tenant_id, call_id, recording_id, arena, out))
WRAP(recording_upsert, (struct cp_store_conn * c, const struct cp_recording *rec), (c, rec))
WRAP(recording_set_audio, (struct cp_store_conn * c, const struct cp_recording *rec), (c, rec))
WRAP(recording_list,
     (struct cp_store_conn * c, int64_t tenant_id, const char *call_id, struct cp_arena *arena,
      struct cp_recording **out_items, size_t *out_n),
     (c, tenant_id, call_id, arena, out_items, out_n))
WRAP(consent_insert, (struct cp_store_conn * c, const struct cp_consent *consent), (c, consent))
WRAP(consent_get,
     (struct cp_store_conn * c, int64_t tenant_id, const char *id, struct cp_arena *arena,
      struct cp_consent *out),
     (c, tenant_id, id, arena, out))
WRAP(consent_list,
     (struct cp_store_conn * c, int64_t tenant_id, const char *phone, struct cp_arena *arena,
      struct cp_consent **out_items, size_t *out_n),
     (c, tenant_id, phone, arena, out_items, out_n))
WRAP(consent_revoke,
     (struct cp_store_conn * c, int64_t tenant_id, const char *phone, const char *calling_entity,
      int64_t revoked_ms, const char *revocation_id),
     (c, tenant_id, phone, calling_entity, revoked_ms, revocation_id))
WRAP(revocation_insert, (struct cp_store_conn * c, const struct cp_revocation *rev), (c, rev))
WRAP(revocation_list,
     (struct cp_store_conn * c, int64_t tenant_id, const char *phone, struct cp_arena *arena,
      struct cp_revocation **out_items, size_t *out_n),
     (c, tenant_id, phone, arena, out_items, out_n))
WRAP(decision_insert, (struct cp_store_conn * c, const struct cp_decision *d), (c, d))
WRAP(bundle_insert, (struct cp_store_conn * c, const struct cp_bundle *b), (c, b))
WRAP(bundle_sign,
     (struct cp_store_conn * c, int64_t leaf_index, const char *id, const char *bytes,
      const char *signature),
     (c, leaf_index, id, bytes, signature))
WRAP(bundle_get,
     (struct cp_store_conn * c, const char *id, struct cp_arena *arena, struct cp_bundle *out),
     (c, id, arena, out))
WRAP(bundle_latest_for_call,
     (struct cp_store_conn * c, int64_t tenant_id, const char *call_id, struct cp_arena *arena,
      struct cp_bundle *out),
     (c, tenant_id, call_id, arena, out))
WRAP(bundle_superseded_by,
     (struct cp_store_conn * c, const char *id, struct cp_arena *arena, const char **out_id),
     (c, id, arena, out_id))
WRAP(bundle_retention_for_call,
     (struct cp_store_conn * c, int64_t tenant_id, const char *call_id, int64_t *out_ms),
     (c, tenant_id, call_id, out_ms))
WRAP(bundle_delete, (struct cp_store_conn * c, int64_t tenant_id, const char *id),
     (c, tenant_id, id))
WRAP(call_delete, (struct cp_store_conn * c, int64_t tenant_id, const char *call_id),
     (c, tenant_id, call_id))
WRAP(log_size, (struct cp_store_conn * c, int64_t *out_size), (c, out_size))
WRAP(log_node_get, (struct cp_store_conn * c, int level, int64_t index, struct cp_sha256 *out),
     (c, level, index, out))
WRAP(log_node_put,
     (struct cp_store_conn * c, int level, int64_t index, const struct cp_sha256 *hash),
     (c, level, index, hash))
WRAP(log_leaf_put, (struct cp_store_conn * c, int64_t index, const char *bundle_id),
     (c, index, bundle_id))
WRAP(checkpoint_put, (struct cp_store_conn * c, const struct cp_checkpoint *cp), (c, cp))
WRAP(checkpoint_latest,
     (struct cp_store_conn * c, struct cp_arena *arena, struct cp_checkpoint *out), (c, arena, out))
WRAP(checkpoint_get,
     (struct cp_store_conn * c, int64_t size, struct cp_arena *arena, struct cp_checkpoint *out),
     (c, size, arena, out))

static void
build_table(const struct cp_store_ops *real)
{
    real_ops = real;
    fault_ops = *real;
    fault_ops.begin = f_begin;
    fault_ops.commit = f_commit;
    fault_ops.savepoint = f_savepoint;
    fault_ops.savepoint_release = f_savepoint_release;
    fault_ops.tenant_ensure = f_tenant_ensure;
    fault_ops.key_insert = f_key_insert;
    fault_ops.key_get = f_key_get;
    fault_ops.key_list = f_key_list;
    fault_ops.key_revoke = f_key_revoke;
    fault_ops.key_touch = f_key_touch;
    fault_ops.key_count = f_key_count;
    fault_ops.idem_get = f_idem_get;
    fault_ops.idem_put = f_idem_put;
    fault_ops.idem_purge = f_idem_purge;
    fault_ops.call_insert = f_call_insert;
    fault_ops.call_get = f_call_get;
    fault_ops.call_update = f_call_update;
    fault_ops.call_list = f_call_list;
    fault_ops.recording_get = f_recording_get;
    fault_ops.recording_upsert = f_recording_upsert;
    fault_ops.recording_set_audio = f_recording_set_audio;
    fault_ops.recording_list = f_recording_list;
    fault_ops.consent_insert = f_consent_insert;
    fault_ops.consent_get = f_consent_get;
    fault_ops.consent_list = f_consent_list;
    fault_ops.consent_revoke = f_consent_revoke;
    fault_ops.revocation_insert = f_revocation_insert;
    fault_ops.revocation_list = f_revocation_list;
    fault_ops.decision_insert = f_decision_insert;
    fault_ops.bundle_insert = f_bundle_insert;
    fault_ops.bundle_sign = f_bundle_sign;
    fault_ops.bundle_get = f_bundle_get;
    fault_ops.bundle_latest_for_call = f_bundle_latest_for_call;
    fault_ops.bundle_superseded_by = f_bundle_superseded_by;
    fault_ops.bundle_retention_for_call = f_bundle_retention_for_call;
    fault_ops.bundle_delete = f_bundle_delete;
    fault_ops.call_delete = f_call_delete;
    fault_ops.log_size = f_log_size;
    fault_ops.log_node_get = f_log_node_get;
    fault_ops.log_node_put = f_log_node_put;
    fault_ops.log_leaf_put = f_log_leaf_put;
    fault_ops.checkpoint_put = f_checkpoint_put;
    fault_ops.checkpoint_latest = f_checkpoint_latest;
    fault_ops.checkpoint_get = f_checkpoint_get;
}

void
cp_store_fault_wrap(struct cp_store_conn *c)
{
    if (c->ops == &fault_ops)
        return;
    if (real_ops == NULL)
        build_table(c->ops);
    CP_ASSERT(c->ops == real_ops);
    c->ops = &fault_ops;
}

void
cp_store_fault_unwrap(struct cp_store_conn *c)
{
    if (c->ops == &fault_ops)
        c->ops = real_ops;
}

void
cp_store_fault_arm(enum cp_fault_kind kind, int64_t n)
{
    fail_kind = n > 0 ? kind : CP_FAULT_OFF;
    fail_at = n;
    atomic_store(&calls, 0);
    atomic_store(&fired, false);
    atomic_store(&fired_op, "");
}

void
cp_store_fault_trace(const char **names, size_t cap)
{
    trace = names;
    trace_cap = names != NULL ? cap : 0;
}

int64_t
cp_store_fault_calls(void)
{
    return atomic_load(&calls);
}

bool
cp_store_fault_fired(void)
{
    return atomic_load(&fired);
}

const char *
cp_store_fault_op(void)
{
    return atomic_load(&fired_op);
}
