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
cp_evidence_log_origin(const struct cp_signer *signer, char out[64])
{
    snprintf(out, 64, "callproof/%s", signer->key_id);
}

void
cp_evidence_leaf(const char *bundle_bytes, const char *signature_hex, struct cp_buf *out_leaf,
                 struct cp_sha256 *out_leaf_hash)
{
    char hex[65];
    cp_crypto_sha256_hex(bundle_bytes, strlen(bundle_bytes), hex);
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
cp_evidence_log_append(struct cp_store_conn *c, const struct cp_sha256 *leaf_hash,
                       const char *bundle_id, int64_t *out_index)
{
    int64_t size = 0;
    enum cp_qs qs = c->ops->log_size(c, &size);
    if (qs < 0)
        return qs;
    if ((leaf_hash != NULL && (qs = c->ops->log_node_put(c, 0, size, leaf_hash)) < 0) ||
        (qs = c->ops->log_leaf_put(c, size, bundle_id)) < 0)
        return qs;
    *out_index = size;
    return CP_QS_ONE;
}

/* Integration writes the hashes above the leaves; the leaves' own (level 0) are stored. */
static void
put_inner_node(void *cls, int level, uint64_t index, const struct cp_sha256 *h)
{
    if (level > 0)
        put_node(cls, level, index, h);
}

enum cp_qs
cp_evidence_log_checkpointed_size(struct cp_store_conn *c, int64_t *out_size)
{
    struct cp_arena arena;
    cp_arena_init(&arena);
    struct cp_checkpoint cp = {0};
    enum cp_qs qs = c->ops->checkpoint_latest(c, &arena, &cp);
    *out_size = qs == CP_QS_ONE ? cp.size : 0;
    cp_arena_reset(&arena);
    return qs < 0 ? qs : CP_QS_ONE;
}

enum cp_qs
cp_evidence_log_integrate(struct cp_store_conn *c, const struct cp_signer *signer,
                          int64_t *out_size)
{
    int64_t from = 0, size = 0;
    enum cp_qs qs = cp_evidence_log_checkpointed_size(c, &from);
    if (qs < 0 || (qs = c->ops->log_size(c, &size)) < 0)
        return qs;
    *out_size = from;
    if (size == from)
        return CP_QS_NONE;
    if (size < from) {
        cp_log(CP_LOG_ERROR, "log: %lld leaves under a checkpoint of %lld", (long long)size,
               (long long)from);
        return CP_QS_HARD;
    }
    if (size - from > CP_LOG_INTEGRATE_MAX)
        size = from + CP_LOG_INTEGRATE_MAX;

    struct node_src src = {.c = c};
    struct cp_merkle_frontier f;
    if (!cp_merkle_frontier_load(&f, (uint64_t)from, get_node, &src))
        return src.failed ? src.failed : CP_QS_HARD;
    for (int64_t i = from; i < size; i++) {
        struct cp_sha256 leaf;
        if (!get_node(&src, 0, (uint64_t)i, &leaf) ||
            !cp_merkle_append(&f, &leaf, put_inner_node, &src) || src.failed)
            return src.failed ? src.failed : CP_QS_HARD;
    }
    struct cp_checkpoint next = {.size = size, .created_ms = cp_time_now_ms()};
    cp_merkle_frontier_root(&f, &next.root);
    char origin[64];
    cp_evidence_log_origin(signer, origin);
    struct cp_buf text = CP_BUF_INIT, note = CP_BUF_INIT;
    bool ok = cp_checkpoint_format(origin, (uint64_t)next.size, &next.root, &text) &&
              cp_note_sign(text.data, origin, signer, &note);
    if (ok) {
        next.note = note.data;
        qs = c->ops->checkpoint_put(c, &next);
    }
    cp_buf_free(&text);
    cp_buf_free(&note);
    if (!ok)
        return CP_QS_HARD;
    if (qs <= 0)
        return qs == CP_QS_NONE ? CP_QS_HARD : qs; /* never two checkpoints for one size */
    *out_size = size;
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
