// Independent transparency-log arithmetic for the evidence suites (node:crypto only): RFC 6962
// hashing and tree head, RFC 9162 inclusion and consistency verification, Ed25519 public keys.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

export const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
export const edPublic = (raw) => crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
export const sha256 = (...parts) => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? Buffer.from(p, 'utf8') : p);
  return h.digest();
};
export const leafHash = (leaf) => sha256(Buffer.from([0]), leaf);
export const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r);
const isPow2 = (n) => n > 0 && (n & (n - 1)) === 0;
const half = (n) => Math.floor(n / 2);

/** MTH(D[n]) by RFC 6962 §2.1. */
export function mth(leaves) {
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** RFC 9162 §2.1.3.2. */
export function verifyInclusion(index, size, leaf, proof, root) {
  if (!(index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) { fn = half(fn); sn = half(sn); }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2 (first == second: an empty proof and equal roots). */
export function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (!(first > 0 && first < second) || proof.length === 0) return false;
  const path = isPow2(first) ? [firstRoot, ...proof] : proof;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) { fn = half(fn); sn = half(sn); }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) { fn = half(fn); sn = half(sn); }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

/**
 * Parse a C2SP checkpoint note of the log `origin` and verify its signature by the Ed25519
 * public key pk (32 raw bytes); throws (an assertion) on any defect: not a signed note, not
 * three lines, another origin, a size with leading zeros, a root not in canonical base64, a
 * malformed signature line, no signature line by (origin, pk), or one that does not verify.
 * Returns {origin, size, root, text, note}.
 */
export function openCheckpoint(note, origin, pk) {
  assert.ok(note.endsWith('\n'), 'a note ends with a newline');
  const cut = note.lastIndexOf('\n\n');
  assert.ok(cut > 0, 'the note has a blank line before its signatures');
  const text = note.slice(0, cut + 1);
  const lines = text.slice(0, -1).split('\n');
  assert.equal(lines.length, 3, `a checkpoint of three lines, no extensions: ${JSON.stringify(text)}`);
  const [o, sizeText, rootB64] = lines;
  assert.equal(o, origin, 'checkpoint origin');
  assert.match(sizeText, /^(0|[1-9]\d*)$/, 'size: decimal, no leading zeros');
  const root = Buffer.from(rootB64, 'base64');
  assert.equal(root.length, 32);
  assert.equal(root.toString('base64'), rootB64, 'root in canonical base64');
  const keyId = sha256(origin, Buffer.from([0x0a, 0x01]), pk).subarray(0, 4);
  let verified = 0;
  for (const l of note.slice(cut + 2, -1).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(l);
    assert.ok(m, `signature line: ${JSON.stringify(l)}`);
    const blob = Buffer.from(m[2], 'base64');
    if (m[1] !== origin || !blob.subarray(0, 4).equals(keyId)) continue;
    assert.equal(blob.length, 68);
    assert.ok(crypto.verify(null, Buffer.from(text, 'utf8'), edPublic(pk), blob.subarray(4)), 'checkpoint signature verifies');
    verified++;
  }
  assert.equal(verified, 1, 'one signature by the log key');
  return { origin, size: Number(sizeText), root, text, note };
}
