/*
 * The transparency log glue (see evidence_log.h). The Merkle arithmetic is domain/merkle.c;
 * this file only connects it to the store: the stored hash of every completed perfect subtree
 * answers any root or proof in O(log n) reads.
 */
#include "handlers/evidence_log.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"
#include "core/util.h"
#include "domain/merkle.h"
#include "domain/note.h"

void
cp_evidence_log_origin(const struct cp_req *req, char out[64])
{
    snprintf(out, 64, "callproof/%s", req->app->signer->key_id);
}

void
cp_evidence_leaf(const char *bundle_bytes, const char *signature_hex, struct cp_buf *out_leaf,
                 struct cp_sha256 *out_leaf_hash)
{
    struct cp_sha256 h;
    cp_crypto_sha256(bundle_bytes, strlen(bundle_bytes), &h);
    char hex[65];
    cp_hex_encode(h.b, sizeof(h.b), hex);
    cp_buf_puts(out_leaf, CP_LEAF_DOMAIN);
    cp_buf_puts(out_leaf, hex);
    cp_buf_putc(out_leaf, '\n');
    cp_buf_puts(out_leaf, signature_hex);
    cp_buf_putc(out_leaf, '\n');
    cp_merkle_leaf_hash(out_leaf->data, out_leaf->len, out_leaf_hash);
}

/* The store as domain/merkle.c asks for it; a store failure is remembered for the caller. */
struct node_src {
    struct cp_store_conn *c;
    enum cp_qs failed; /* 0 = fine */
};

static bool
get_node(void *cls, int level, uint64_t index, struct cp_sha256 *out)
{
    struct node_src *s = cls;
    enum cp_qs qs = s->c->ops->log_node_get(s->c, level, (int64_t)index, out);
    if (qs == CP_QS_ONE)
        return true;
    s->failed = qs == CP_QS_NONE ? CP_QS_HARD : qs; /* a missing node is corruption */
    if (qs == CP_QS_NONE)
        cp_log(CP_LOG_ERROR, "log: missing stored hash (level %d, index %llu)", level,
               (unsigned long long)index);
    return false;
}

static void
put_node(void *cls, int level, uint64_t index, const struct cp_sha256 *h)
{
    struct node_src *s = cls;
    if (s->failed != 0)
        return;
    enum cp_qs qs = s->c->ops->log_node_put(s->c, level, (int64_t)index, h);
    if (qs < 0)
        s->failed = qs;
}

enum cp_qs
cp_evidence_log_append(struct cp_store_conn *c, struct cp_req *req,
                       const struct cp_sha256 *leaf_hash, const char *bundle_id, int64_t *out_index)
{
    int64_t size = 0;
    enum cp_qs qs = c->ops->log_size(c, &size);
    if (qs < 0)
        return qs;
    struct node_src src = {.c = c};
    struct cp_merkle_frontier f;
    if (!cp_merkle_frontier_load(&f, (uint64_t)size, get_node, &src))
        return src.failed ? src.failed : CP_QS_HARD;
    if (!cp_merkle_append(&f, leaf_hash, put_node, &src) || src.failed)
        return src.failed ? src.failed : CP_QS_HARD;
    if ((qs = c->ops->log_leaf_put(c, size, bundle_id)) < 0)
        return qs;
    struct cp_checkpoint cp = {.size = size + 1, .created_ms = cp_time_now_ms()};
    cp_merkle_frontier_root(&f, &cp.root);
    char origin[64];
    cp_evidence_log_origin(req, origin);
    struct cp_buf text = CP_BUF_INIT, note = CP_BUF_INIT;
    bool ok = cp_checkpoint_format(origin, (uint64_t)cp.size, &cp.root, &text) &&
              cp_note_sign(text.data, origin, req->app->signer, &note);
    if (ok) {
        cp.note = cp_arena_strndup(&req->arena, note.data, note.len);
        qs = c->ops->checkpoint_put(c, &cp);
    }
    cp_buf_free(&text);
    cp_buf_free(&note);
    if (!ok)
        return CP_QS_HARD;
    if (qs <= 0)
        return qs == CP_QS_NONE ? CP_QS_HARD : qs; /* never two checkpoints for one size */
    *out_index = size;
    return CP_QS_ONE;
}

enum cp_qs
cp_evidence_log_inclusion(struct cp_store_conn *c, int64_t index, int64_t size,
                          struct cp_sha256 *out_path, size_t *out_n)
{
    struct node_src src = {.c = c};
    if (!cp_merkle_inclusion_proof((uint64_t)index, (uint64_t)size, get_node, &src, out_path,
                                   out_n))
        return src.failed ? src.failed : CP_QS_HARD;
    return CP_QS_ONE;
}

enum cp_qs
cp_evidence_log_consistency(struct cp_store_conn *c, int64_t first, int64_t second,
                            struct cp_sha256 *out_path, size_t *out_n)
{
    struct node_src src = {.c = c};
    if (!cp_merkle_consistency_proof((uint64_t)first, (uint64_t)second, get_node, &src, out_path,
                                     out_n))
        return src.failed ? src.failed : CP_QS_HARD;
    return CP_QS_ONE;
}
