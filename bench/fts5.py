"""An off-the-shelf lexical baseline for the retrieval bench: SQLite FTS5 with its bm25()
(k1 1.2, b 0.75) over whole emails, in memory, built in the same run from the same article
texts the app searched. The porter tokenizer stems as the app's English configuration does.
A query is the OR of its content terms (those app.search.parse keeps), as the app's
full-text side ORs them: an AND would miss any email lacking one remembered word."""
import sqlite3


class Fts5:
    def __init__(self, emails):
        """`emails`: objects with .id and .text (bench.queries.Email)."""
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE docs USING fts5(body, tokenize='porter unicode61')")
        self.db.executemany("INSERT INTO docs (rowid, body) VALUES (?, ?)",
                            ((e.id, e.text) for e in emails))

    def search(self, terms, limit=10):
        """Article ids, best bm25() first (FTS5's bm25 is lower-is-better)."""
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)  # terms are \\w runs: no quotes inside
        rows = self.db.execute("SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs)"
                               " LIMIT ?", (match, limit))
        return [r[0] for r in rows]

    def close(self):
        self.db.close()
