/*
 * The SQLite schema, as numbered migrations. Times are INTEGER milliseconds since the epoch
 * (UTC); hashes are BLOBs; tables whose primary key is not an integer are WITHOUT ROWID so the
 * key is stored once. Tenant ids lead every index, because every query is tenant-scoped.
 */
#include "store/sqlite/migrations.h"

static const char m001_foundation[] =
    "CREATE TABLE tenants (\n"
    "  id         INTEGER PRIMARY KEY,\n"
    "  name       TEXT NOT NULL UNIQUE,\n"
    "  created_at INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE api_keys (\n"
    "  key_id       TEXT PRIMARY KEY,\n"
    "  tenant_id    INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  scopes       INTEGER NOT NULL,\n"
    "  hash         BLOB NOT NULL,\n"
    "  created_at   INTEGER NOT NULL,\n"
    "  last_used_at INTEGER,\n"
    "  revoked_at   INTEGER\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE idempotency_keys (\n"
    "  tenant_id    INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  idem_key     TEXT NOT NULL,\n"
    "  fingerprint  BLOB NOT NULL,\n"
    "  status       INTEGER NOT NULL,\n"
    "  content_type TEXT NOT NULL,\n"
    "  location     TEXT,\n"
    "  body         BLOB NOT NULL,\n"
    "  created_at   INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, idem_key)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);\n";

/*
 * Calls: the union of the faces' fields. Filterable fields are plain columns; JSON-valued
 * fields (costs, metadata, analysis, latency, transcript turns) are TEXT holding JSON written
 * by callproof. The primary key leads with the tenant, so every lookup is tenant-scoped by
 * construction; ids are UUIDv7, so inserts append at the right edge of the B-tree.
 */
static const char m002_calls[] =
    "CREATE TABLE calls (\n"
    "  tenant_id            INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  id                   TEXT NOT NULL,\n"
    "  external_id          TEXT,\n"
    "  direction            TEXT,\n"
    "  status               TEXT NOT NULL,\n"
    "  outcome              TEXT,\n"
    "  type                 TEXT,\n"
    "  from_number          TEXT,\n"
    "  to_number            TEXT,\n"
    "  user_id              TEXT,\n"
    "  agent_id             TEXT,\n"
    "  phone_number_id      TEXT,\n"
    "  agent_name           TEXT,\n"
    "  campaign_id          TEXT,\n"
    "  started_at           INTEGER,\n"
    "  ended_at             INTEGER,\n"
    "  duration_s           INTEGER,\n"
    "  talk_time_s          INTEGER,\n"
    "  transcript           TEXT,\n"
    "  turns_json           TEXT,\n"
    "  recording_url        TEXT,\n"
    "  recording_available  INTEGER NOT NULL DEFAULT 0,\n"
    "  analysis_json        TEXT,\n"
    "  latency_json         TEXT,\n"
    "  costs_json           TEXT,\n"
    "  metadata_json        TEXT,\n"
    "  telephony_provider   TEXT,\n"
    "  telephony_id         TEXT,\n"
    "  human_detection      TEXT,\n"
    "  do_not_call_result   INTEGER,\n"
    "  hipaa_compliant      INTEGER NOT NULL DEFAULT 0,\n"
    "  on_no_human_answer   TEXT,\n"
    "  error_message        TEXT,\n"
    "  created_at           INTEGER NOT NULL,\n"
    "  updated_at           INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE UNIQUE INDEX calls_external ON calls(tenant_id, external_id)\n"
    "  WHERE external_id IS NOT NULL;\n";

/*
 * The contact-center `state` (derived from status and outcome, see cp_call_state) kept in a
 * column so it can be indexed, post-call survey results, and one index per list filter, each
 * led by the tenant and ending in the start time, so a filtered page is an index range read in
 * the list order.
 */
static const char m003_call_lists[] =
    "ALTER TABLE calls ADD COLUMN epa_json TEXT;\n"
    "ALTER TABLE calls ADD COLUMN state TEXT NOT NULL DEFAULT 'NotStarted';\n"
    "UPDATE calls SET state = CASE status\n"
    "  WHEN 'not_started' THEN 'NotStarted' WHEN 'in_progress' THEN 'InProgress'\n"
    "  ELSE CASE outcome WHEN 'completed' THEN 'Completed' WHEN 'busy' THEN 'Busy'\n"
    "    WHEN 'no_answer' THEN 'NoAnswer' WHEN 'voicemail' THEN 'Voicemail'\n"
    "    WHEN 'failed' THEN 'Failed'\n"
    "    ELSE CASE status WHEN 'error' THEN 'Failed' ELSE 'Completed' END END END;\n"
    "CREATE INDEX calls_started   ON calls(tenant_id, started_at, id);\n"
    "CREATE INDEX calls_state     ON calls(tenant_id, state, started_at);\n"
    "CREATE INDEX calls_campaign  ON calls(tenant_id, campaign_id, started_at);\n"
    "CREATE INDEX calls_direction ON calls(tenant_id, direction, started_at);\n"
    "CREATE INDEX calls_outcome   ON calls(tenant_id, outcome, started_at);\n"
    "CREATE INDEX calls_from      ON calls(tenant_id, from_number, started_at);\n"
    "CREATE INDEX calls_to        ON calls(tenant_id, to_number, started_at);\n";

/*
 * Recordings: the log a platform posts for each recording of a call (seed 003) and, when
 * callproof holds the audio, its content type, size, SHA-256 and file name. The audio facts are
 * written once: recordings are evidence.
 */
static const char m004_recordings[] =
    "CREATE TABLE recordings (\n"
    "  tenant_id            INTEGER NOT NULL,\n"
    "  call_id              TEXT NOT NULL,\n"
    "  recording_id         TEXT NOT NULL,\n"
    "  recording_url        TEXT,\n"
    "  duration_s           INTEGER,\n"
    "  transcription_id     TEXT,\n"
    "  transcription_status TEXT,\n"
    "  started_at           INTEGER,\n"
    "  ended_at             INTEGER,\n"
    "  metadata_json        TEXT,\n"
    "  content_type         TEXT,\n"
    "  size_bytes           INTEGER,\n"
    "  sha256               BLOB,\n"
    "  file_name            TEXT,\n"
    "  created_at           INTEGER NOT NULL,\n"
    "  updated_at           INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, call_id, recording_id),\n"
    "  FOREIGN KEY (tenant_id, call_id) REFERENCES calls(tenant_id, id)\n"
    ") WITHOUT ROWID;\n";

/*
 * Consents (signed, immutable but for the revocation mark), revocations, and the audit record of
 * every precall decision. Looked up by tenant and phone.
 */
static const char m005_consent[] =
    "CREATE TABLE consents (\n"
    "  tenant_id      INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  id             TEXT NOT NULL,\n"
    "  phone          TEXT NOT NULL,\n"
    "  calling_entity TEXT NOT NULL,\n"
    "  type           TEXT NOT NULL,\n"
    "  scope          TEXT NOT NULL,\n"
    "  valid          INTEGER NOT NULL,\n"
    "  captured_at    INTEGER NOT NULL,\n"
    "  record         TEXT NOT NULL,\n"
    "  signature      TEXT NOT NULL,\n"
    "  key_id         TEXT NOT NULL,\n"
    "  revoked_at     INTEGER,\n"
    "  revocation_id  TEXT,\n"
    "  created_at     INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX consents_phone ON consents(tenant_id, phone, captured_at);\n"
    "CREATE TABLE revocations (\n"
    "  tenant_id      INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  id             TEXT NOT NULL,\n"
    "  phone          TEXT NOT NULL,\n"
    "  calling_entity TEXT NOT NULL,\n"
    "  scope_all      INTEGER NOT NULL,\n"
    "  trigger_kind   TEXT NOT NULL,\n"
    "  revoked_at     INTEGER NOT NULL,\n"
    "  honor_by       INTEGER NOT NULL,\n"
    "  call_id        TEXT,\n"
    "  transcript     TEXT,\n"
    "  created_at     INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX revocations_phone ON revocations(tenant_id, phone, revoked_at);\n"
    "CREATE TABLE precall_decisions (\n"
    "  tenant_id      INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  id             TEXT NOT NULL,\n"
    "  phone          TEXT NOT NULL,\n"
    "  allowed        INTEGER NOT NULL,\n"
    "  reason         TEXT,\n"
    "  consent_id     TEXT,\n"
    "  inputs         TEXT NOT NULL,\n"
    "  result         TEXT NOT NULL,\n"
    "  created_at     INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, id)\n"
    ") WITHOUT ROWID;\n";

/*
 * Evidence: sealed bundles (the exact signed bytes; ids are global because the evidence URL is
 * a capability that works without a tenant), and the transparency log: one row per leaf, the
 * hash of every completed perfect subtree (so any proof is O(log n) reads), and the signed
 * checkpoints. Nothing here is ever updated; the application refuses deletes under retention.
 */
static const char m006_evidence[] =
    "CREATE TABLE bundles (\n"
    "  id              TEXT PRIMARY KEY,\n"
    "  tenant_id       INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  call_id         TEXT NOT NULL,\n"
    "  bytes           TEXT NOT NULL,\n"
    "  signature       TEXT NOT NULL,\n"
    "  key_id          TEXT NOT NULL,\n"
    "  leaf_index      INTEGER NOT NULL UNIQUE,\n"
    "  score           INTEGER NOT NULL,\n"
    "  retention_until INTEGER NOT NULL,\n"
    "  supersedes      TEXT,\n"
    "  sealed_at       INTEGER NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX bundles_call ON bundles(tenant_id, call_id, sealed_at);\n"
    "CREATE INDEX bundles_supersedes ON bundles(supersedes) WHERE supersedes IS NOT NULL;\n"
    "CREATE TABLE log_leaves (\n"
    "  idx       INTEGER PRIMARY KEY,\n"
    "  bundle_id TEXT NOT NULL UNIQUE\n"
    ");\n"
    "CREATE TABLE log_nodes (\n"
    "  level INTEGER NOT NULL,\n"
    "  idx   INTEGER NOT NULL,\n"
    "  hash  BLOB NOT NULL,\n"
    "  PRIMARY KEY (level, idx)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE log_checkpoints (\n"
    "  size       INTEGER PRIMARY KEY,\n"
    "  root       BLOB NOT NULL,\n"
    "  note       TEXT NOT NULL,\n"
    "  created_at INTEGER NOT NULL\n"
    ");\n";

/* The calls columns in their order since migration 3 (migration 2's, then epa_json, state). */
#define CALLS_V7_COLS                                                                              \
    "tenant_id, id, external_id, direction, status, outcome, type, from_number, to_number, "       \
    "user_id, agent_id, phone_number_id, agent_name, campaign_id, started_at, ended_at, "          \
    "duration_s, talk_time_s, transcript, turns_json, recording_url, recording_available, "        \
    "analysis_json, latency_json, costs_json, metadata_json, telephony_provider, telephony_id, "   \
    "human_detection, do_not_call_result, hipaa_compliant, on_no_human_answer, error_message, "    \
    "created_at, updated_at, epa_json, state"

/*
 * Calls and bundles become rowid tables. As WITHOUT ROWID tables, rows over ~1 KB (a call with
 * its transcript, a bundle's signed bytes) spilled into overflow pages that were mostly empty:
 * 100,000 calls took 322 MB, 214 MB of it unused, and every insert wrote extra pages. A rowid
 * table keeps up to ~4 KB per row on its leaf page; (tenant_id, id) stays unique through an
 * index. Also an index for the contact-center list's state + direction filter. Runs with
 * foreign keys off (migrate() checks them after).
 */
static const char m007_rowid_tables[] =
    "CREATE TABLE calls_v7 (\n"
    "  tenant_id            INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  id                   TEXT NOT NULL,\n"
    "  external_id          TEXT,\n"
    "  direction            TEXT,\n"
    "  status               TEXT NOT NULL,\n"
    "  outcome              TEXT,\n"
    "  type                 TEXT,\n"
    "  from_number          TEXT,\n"
    "  to_number            TEXT,\n"
    "  user_id              TEXT,\n"
    "  agent_id             TEXT,\n"
    "  phone_number_id      TEXT,\n"
    "  agent_name           TEXT,\n"
    "  campaign_id          TEXT,\n"
    "  started_at           INTEGER,\n"
    "  ended_at             INTEGER,\n"
    "  duration_s           INTEGER,\n"
    "  talk_time_s          INTEGER,\n"
    "  transcript           TEXT,\n"
    "  turns_json           TEXT,\n"
    "  recording_url        TEXT,\n"
    "  recording_available  INTEGER NOT NULL DEFAULT 0,\n"
    "  analysis_json        TEXT,\n"
    "  latency_json         TEXT,\n"
    "  costs_json           TEXT,\n"
    "  metadata_json        TEXT,\n"
    "  telephony_provider   TEXT,\n"
    "  telephony_id         TEXT,\n"
    "  human_detection      TEXT,\n"
    "  do_not_call_result   INTEGER,\n"
    "  hipaa_compliant      INTEGER NOT NULL DEFAULT 0,\n"
    "  on_no_human_answer   TEXT,\n"
    "  error_message        TEXT,\n"
    "  created_at           INTEGER NOT NULL,\n"
    "  updated_at           INTEGER NOT NULL,\n"
    "  epa_json             TEXT,\n"
    "  state                TEXT NOT NULL DEFAULT 'NotStarted',\n"
    "  UNIQUE (tenant_id, id)\n"
    ");\n"
    "INSERT INTO calls_v7 (" CALLS_V7_COLS ") SELECT " CALLS_V7_COLS " FROM calls\n"
    "  ORDER BY tenant_id, id;\n"
    "DROP TABLE calls;\n"
    "ALTER TABLE calls_v7 RENAME TO calls;\n"
    "CREATE UNIQUE INDEX calls_external ON calls(tenant_id, external_id)\n"
    "  WHERE external_id IS NOT NULL;\n"
    "CREATE INDEX calls_started   ON calls(tenant_id, started_at, id);\n"
    "CREATE INDEX calls_state     ON calls(tenant_id, state, started_at);\n"
    "CREATE INDEX calls_state_dir ON calls(tenant_id, state, direction, started_at);\n"
    "CREATE INDEX calls_campaign  ON calls(tenant_id, campaign_id, started_at);\n"
    "CREATE INDEX calls_direction ON calls(tenant_id, direction, started_at);\n"
    "CREATE INDEX calls_outcome   ON calls(tenant_id, outcome, started_at);\n"
    "CREATE INDEX calls_from      ON calls(tenant_id, from_number, started_at);\n"
    "CREATE INDEX calls_to        ON calls(tenant_id, to_number, started_at);\n"
    "CREATE TABLE bundles_v7 (\n"
    "  id              TEXT NOT NULL UNIQUE,\n"
    "  tenant_id       INTEGER NOT NULL REFERENCES tenants(id),\n"
    "  call_id         TEXT NOT NULL,\n"
    "  bytes           TEXT NOT NULL,\n"
    "  signature       TEXT NOT NULL,\n"
    "  key_id          TEXT NOT NULL,\n"
    "  leaf_index      INTEGER NOT NULL UNIQUE,\n"
    "  score           INTEGER NOT NULL,\n"
    "  retention_until INTEGER NOT NULL,\n"
    "  supersedes      TEXT,\n"
    "  sealed_at       INTEGER NOT NULL\n"
    ");\n"
    "INSERT INTO bundles_v7 SELECT id, tenant_id, call_id, bytes, signature, key_id, leaf_index,\n"
    "  score, retention_until, supersedes, sealed_at FROM bundles ORDER BY leaf_index;\n"
    "DROP TABLE bundles;\n"
    "ALTER TABLE bundles_v7 RENAME TO bundles;\n"
    "CREATE INDEX bundles_call ON bundles(tenant_id, call_id, sealed_at);\n"
    "CREATE INDEX bundles_supersedes ON bundles(supersedes) WHERE supersedes IS NOT NULL;\n";

/*
 * Matching calls per tenant and value of the list filters that are equalities, kept by
 * triggers in the same transaction as the call: a list's total without a date or phone filter
 * is a sum over a handful of rows instead of a count over every match (a count of 30,000
 * matches per request held the contact-center list to a few hundred pages a second). NULL is
 * stored as '' (filters never ask for it).
 */
static const char m008_list_counts[] =
    "CREATE TABLE call_counts (\n"
    "  tenant_id   INTEGER NOT NULL,\n"
    "  state       TEXT NOT NULL,\n"
    "  direction   TEXT NOT NULL,\n"
    "  outcome     TEXT NOT NULL,\n"
    "  campaign_id TEXT NOT NULL,\n"
    "  n           INTEGER NOT NULL,\n"
    "  PRIMARY KEY (tenant_id, state, direction, outcome, campaign_id)\n"
    ") WITHOUT ROWID;\n"
    "INSERT INTO call_counts SELECT tenant_id, state, coalesce(direction, ''),\n"
    "  coalesce(outcome, ''), coalesce(campaign_id, ''), count(*) FROM calls\n"
    "  GROUP BY 1, 2, 3, 4, 5;\n"
    "CREATE TRIGGER call_counts_insert AFTER INSERT ON calls BEGIN\n"
    "  INSERT INTO call_counts VALUES (NEW.tenant_id, NEW.state, coalesce(NEW.direction, ''),\n"
    "    coalesce(NEW.outcome, ''), coalesce(NEW.campaign_id, ''), 1)\n"
    "    ON CONFLICT DO UPDATE SET n = n + 1;\n"
    "END;\n"
    "CREATE TRIGGER call_counts_delete AFTER DELETE ON calls BEGIN\n"
    "  UPDATE call_counts SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND state = OLD.state\n"
    "    AND direction = coalesce(OLD.direction, '') AND outcome = coalesce(OLD.outcome, '')\n"
    "    AND campaign_id = coalesce(OLD.campaign_id, '');\n"
    "END;\n"
    "CREATE TRIGGER call_counts_update AFTER UPDATE OF tenant_id, state, direction, outcome,\n"
    "  campaign_id ON calls BEGIN\n"
    "  UPDATE call_counts SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND state = OLD.state\n"
    "    AND direction = coalesce(OLD.direction, '') AND outcome = coalesce(OLD.outcome, '')\n"
    "    AND campaign_id = coalesce(OLD.campaign_id, '');\n"
    "  INSERT INTO call_counts VALUES (NEW.tenant_id, NEW.state, coalesce(NEW.direction, ''),\n"
    "    coalesce(NEW.outcome, ''), coalesce(NEW.campaign_id, ''), 1)\n"
    "    ON CONFLICT DO UPDATE SET n = n + 1;\n"
    "END;\n";

/* PostgreSQL's migration 9 adds the transparency log's integration lease, which several
 * instances take turns holding. One process owns a SQLite database and integrates its leaves
 * in each group-commit batch, so there is nothing to add; the migration keeps the two
 * backends' version numbers aligned. */
static const char m009_log_lease[] = "-- no SQLite counterpart: one process integrates\n";

/* call_counts without triggers: the store's call insert, update and delete keep the counts
 * with their own statements (sqlite.c, count_call and count_new). A statement that fires a trigger
 * first copies every page it changes into a statement journal (so it can be undone alone); with ten
 * indexes on calls that journal was larger than what the commit itself wrote. */
static const char m010_counts_without_triggers[] = "DROP TRIGGER call_counts_insert;\n"
                                                   "DROP TRIGGER call_counts_delete;\n"
                                                   "DROP TRIGGER call_counts_update;\n";

/* Each consent's record hash, stored when it is captured: a seal names every consent it used
 * with the SHA-256 of its record, and hashed each one again on the store's writer thread. Rows
 * stored before keep NULL (the seal hashes those). */
static const char m011_consent_record_sha256[] =
    "ALTER TABLE consents ADD COLUMN record_sha256 TEXT;\n";

const struct cp_sqlite_migration cp_sqlite_migrations[] = {
    {1, "foundation: tenants, api keys, idempotency", m001_foundation},
    {2, "calls", m002_calls},
    {3, "call state, survey results and list indexes", m003_call_lists},
    {4, "recordings", m004_recordings},
    {5, "consents, revocations, precall decisions", m005_consent},
    {6, "evidence bundles and the transparency log", m006_evidence},
    {7, "calls and bundles as rowid tables; state + direction index", m007_rowid_tables},
    {8, "call counts per list filter", m008_list_counts},
    {9, "the transparency log's integration lease (none on SQLite)", m009_log_lease},
    {10, "call counts kept by the store, not by triggers", m010_counts_without_triggers},
    {11, "consent record hashes", m011_consent_record_sha256},
};

const int cp_sqlite_n_migrations =
    (int)(sizeof(cp_sqlite_migrations) / sizeof(cp_sqlite_migrations[0]));
