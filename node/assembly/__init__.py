"""Votes of the general assembly: members only, never federated, open or secret ballots, proxies.

`models.py` (votes, voters, proxies, ballots), `inputs.py` (what makes a vote, checked), `votes.py`
(draft, edit, open with the snapshot of eligible members, close and count, the jobs), `ballots.py`
(casting, receipts), `proxies.py`, `tally.py` (turnout, quorum, majority rules), `pages_vote.py`
(/votes), `pages_admin.py` (/admin/votes); the command is node/cli/vote.py.

Nothing here is federated: no activity, no actor, no AS2 document, no feed, search or sitemap entry;
/votes/<id> answers the site's plain 404 to visitors and to every ActivityPub client.

Secret ballots, and what is left to trust. The ballot row holds a random 128-bit key, the vote, the
choice and the salted hash of the receipt code: no voter, no proxy holder, no time. The voter row holds
that the member has voted (by themselves or by proxy), no time. On SQLite the ballots table has no
rowid (WITHOUT ROWID, migration 0013), so rows are stored in the order of their random keys, not in the
order they were cast; when the vote closes every ballot is rewritten with a new key in a shuffled order
(PostgreSQL's heap order no longer follows the casting order either). What remains:
- someone who watches the database (or its WAL, its query log, a replica) while the vote runs sees
  which voter row and which ballot row change in the same transaction; so does someone who reads the
  web server's access log next to a copy of the database taken between two ballots. The node's
  operators are trusted for that, as with any server-side secret ballot.
- deleted rows may stay in free database pages (SQLite without secure_delete, PostgreSQL until VACUUM)
  after the rewrite at close, with their old keys but still without a voter.
- the receipt shows the choice to whoever holds the code: a member can prove their vote to someone
  (selling or coercion). The code is shown once and only its hash is kept; a member who throws it away
  cannot be made to prove anything.
- proxies are not secret (the giver, the holder and the times are in the audit log, as statutes
  usually require); the holder knows the ballots they cast for their givers.
- with very few voters, or a unanimous result, the tally itself tells who voted what.
A ballot cannot be changed once cast (for open ballots too): changing a secret ballot would need a way
to find it again from the voter, which is what the design removes."""
