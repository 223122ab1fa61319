// Package pdp is the proof-of-data-possession scheme of DSP-1: Shacham–Waters homomorphic tags
// whose sector vector is folded by a KZG-style polynomial commitment, on BLS12-381.
//
// An uploader makes a SecretKey (per owner, derived from a seed; or random per file), records the
// PublicKey (v = x*g2, kappa = x*alpha*g2) on the ledger with the file, hands the ProverKey
// (P_j = alpha^j*g1) and one Tag per 256 KiB block to the FS nodes. For every proof round, everyone
// derives the same Challenge from public data (ledger block hash, file hash, prover address); the
// FS node reads only the challenged blocks and their tags and answers with a Proof of exactly 128
// bytes; anyone verifies it from the PublicKey and the Challenge with one pairing check of three
// pairs.
//
// The construction, byte formats and measured costs are described in docs/pdp.md.
package pdp
