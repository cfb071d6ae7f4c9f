"""The sealed ballot box (票箱): encrypted ballots that only the scrutineers can open, in total.

Trust model in five lines:
- Each ballot is exponential ElGamal in ristretto255 under the box key, with zero-knowledge proofs
  that it is well formed (each project 赞成/反对/弃权, 赞成 at most the quota).
- The box secret is split t-of-n (Shamir) among the scrutineers at sealing and never stored.
- Only per-project products of ciphertexts are ever decrypted, by t scrutineers' partial
  decryptions, each proved (Chaum–Pedersen) against its share's public commitment.
- Every proof's challenge hashes the group, key, whole statement and a session/round/purpose tag.
- This package imports neither Flask nor the database: the offline verifier uses it as it is.

The specification, with test vectors, is docs/ballot-box.md.
"""
