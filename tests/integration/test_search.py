"""Hybrid search through the API: scoring parts, scoping, grouping and odd queries."""
import pytest

from app.db import db, execute_prepared
from app.models import Article, User
from app.providers import get_embedder
from app.search import parse, sql
from tests.conftest import login, post_webhook, run_jobs

EMAILS = {
    "Tidal power in Scotland": "Tidal turbines in the Pentland Firth fed renewable energy "
    "into the grid. The tidal stream array is the largest in Europe.",
    "Sourdough baking basics": "A sourdough starter needs flour, water and patience. Bake the "
    "loaf in a hot Dutch oven for a crisp crust.",
    "Rust ownership explained": "The borrow checker enforces ownership: each value has one "
    "owner, and references must not outlive it. <script>alert(1)</script> is just text here.",
}


def deliver(client, sender, subject, text, n):
    payload = {"type": "inbound.message", "data": {
        "id": f"m-{sender}-{n}", "from": {"email": sender}, "subject": subject, "text": text}}
    assert post_webhook(client, payload).status_code == 202


@pytest.fixture
def corpus(app, client):
    for n, (subject, text) in enumerate(EMAILS.items()):
        deliver(client, "ann@example.com", subject, text, n)
    deliver(client, "bob@example.com", "Bob's tidal notes", "Tidal energy secrets of Bob.", 9)
    run_jobs(app)
    ann = User.get(User.email == "ann@example.com")
    login(client, ann)
    return ann


def test_results_carry_the_three_parts_and_total(app, client, corpus):
    """The article fusion (the default): the chunk's cosine and its email's BM25 share."""
    alpha = app.extensions["simplr.config"].SEARCH_ARTICLE_ALPHA
    body = client.get("/api/search?q=tidal+energy").get_json()
    top = body["results"][0]
    assert top["title"] == "Tidal power in Scotland"
    assert top["url"] == f"/articles/{top['article_id']}"
    s = top["score"]
    assert 0 < s["semantic"] <= 1 - alpha and s["keyword"] == 0 and 0 < s["lexical"] <= alpha
    assert s["total"] == pytest.approx(s["semantic"] + s["keyword"] + s["lexical"], abs=1e-3)
    assert "<mark>Tidal</mark>" in top["excerpt"]


def test_the_seed_formula_is_still_there_by_name(client, corpus, config):
    config(SEARCH_FUSION="normalised")
    s = client.get("/api/search?q=tidal+energy").get_json()["results"][0]["score"]
    assert 0 < s["semantic"] <= 1
    assert s["keyword"] == pytest.approx(0.06)  # two query terms matched, 0.03 each
    assert 0 < s["lexical"] <= 0.25
    assert s["total"] == pytest.approx(min(1.0, s["semantic"] + s["keyword"] + s["lexical"]),
                                       abs=1e-3)


def test_search_is_scoped_to_the_user(client, corpus):
    titles = {r["title"] for r in client.get("/api/search?q=tidal&limit=50").get_json()["results"]}
    assert "Bob's tidal notes" not in titles
    bob = User.get(User.email == "bob@example.com")
    assert not Article.owned(corpus.id).where(Article.user == bob).exists()


def test_excerpt_is_html_safe(client, corpus):
    top = client.get("/api/search?q=borrow+checker").get_json()["results"][0]
    assert "<script>" not in top["excerpt"] and "&lt;script&gt;" in top["excerpt"]


def test_modes_order_by_their_own_part(client, corpus):
    for mode, part in (("vector", "semantic"), ("lexical", None)):
        results = client.get(f"/api/search?q=sourdough+loaf&mode={mode}").get_json()["results"]
        assert results[0]["title"] == "Sourdough baking basics"
        if part:
            parts = [r["score"][part] for r in results]
            assert parts == sorted(parts, reverse=True)


@pytest.mark.parametrize("q", ["x", "?!...", "東京の天気", "tidal " * 150, "'\"); DROP --",
                               "a:* & !b | <->", "tidal\r\nX-Injected: 1"])
def test_odd_queries_never_fail(client, corpus, q):
    resp = client.get("/api/search", query_string={"q": q})
    assert resp.status_code == 200
    assert isinstance(resp.get_json()["results"], list)


@pytest.mark.parametrize("q", ["", "   ", "word " * 250, "tidal\x00energy"])
def test_empty_or_long_query_is_a_clear_400(client, corpus, q):
    resp = client.get("/api/search", query_string={"q": q})
    assert resp.status_code == 400
    assert resp.get_json()["error"]


def test_bad_limit_or_mode_is_400_and_anonymous_is_401(app, client, corpus):
    assert client.get("/api/search?q=tidal&limit=abc").status_code == 400
    assert client.get("/api/search?q=tidal&mode=magic").status_code == 400
    assert app.test_client().get("/api/search?q=tidal").status_code == 401


def test_one_article_does_not_fill_the_page(client, corpus):
    long = " ".join(f"Tidal fact {i}: the tidal range at site {i} is {i} metres." for i in
                    range(200))
    deliver(client, "ann@example.com", "Tidal almanac", long, 20)
    run_jobs(client.application)
    results = client.get("/api/search?q=tidal+range&limit=20").get_json()["results"]
    per_article = {}
    for r in results:
        per_article[r["article_id"]] = per_article.get(r["article_id"], 0) + 1
    assert max(per_article.values()) <= client.application.config["SEARCH_PER_ARTICLE"]


# (statistics tables, counted table): the chunks' (migration 0002) and the emails' (0006)
LEVELS = {"chunks": ("lexeme_stats", "user_chunk_stats"),
          "articles": ("article_lexeme_stats", "user_article_stats")}


def _stats(user_id, table="chunks"):
    """(the triggers' statistics, the same recounted from `table`) for a user."""
    terms, totals = LEVELS[table]
    kept = db.execute_sql(
        f"SELECT lexeme, df FROM {terms} WHERE user_id = %s AND df <> 0 UNION ALL "
        f"SELECT '', {table} FROM {totals} WHERE user_id = %s AND {table} <> 0 "
        "ORDER BY 1", (user_id, user_id)).fetchall()
    recount = db.execute_sql(
        f"SELECT u.lexeme, count(*) FROM {table} c, unnest(c.tsv) u WHERE c.user_id = %s "
        f"GROUP BY 1 UNION ALL SELECT '', count(*) FROM {table} WHERE user_id = %s "
        "HAVING count(*) > 0 ORDER BY 1", (user_id, user_id)).fetchall()
    return kept, recount


def test_term_statistics_follow_insert_reindex_and_delete(app, client, corpus):
    from app.ingest.reindex import reindex_article
    kept, recount = _stats(corpus.id)
    assert kept == recount and ("tidal", 1) in kept
    article = Article.get(Article.title == "Tidal power in Scotland")
    Article.update(content_text="Tidal lagoons and tidal barrages.").where(
        Article.id == article.id).execute()
    with app.app_context():
        reindex_article(article.id)
    kept, recount = _stats(corpus.id)
    assert kept == recount and ("lagoon", 1) in kept and ("pentland", 1) not in kept
    db.execute_sql("UPDATE chunks SET content = 'grid' WHERE article_id = %s", (article.id,))
    assert _stats(corpus.id)[0] == _stats(corpus.id)[1]
    Article.delete().where(Article.user == corpus).execute()  # cascades to the chunks
    assert _stats(corpus.id) == ([], [])
    bob = User.get(User.email == "bob@example.com")
    assert ("tidal", 1) in _stats(bob.id)[0]


def test_article_statistics_follow_insert_edit_and_delete(client, corpus):
    kept, recount = _stats(corpus.id, "articles")
    assert kept == recount and ("tidal", 1) in kept
    article = Article.get(Article.title == "Tidal power in Scotland")
    Article.update(content_text="Tidal lagoons and tidal barrages.").where(
        Article.id == article.id).execute()
    kept, recount = _stats(corpus.id, "articles")
    assert kept == recount and ("lagoon", 1) in kept and ("pentland", 1) not in kept
    Article.update(summary="only the summary").where(Article.id == article.id).execute()
    assert _stats(corpus.id, "articles")[0] == kept  # no text change, no recount
    Article.delete().where(Article.user == corpus).execute()
    assert _stats(corpus.id, "articles") == ([], [])


def _postings(user_id):
    """(the triggers' postings and position total, the same recounted from articles.tsv)."""
    kept = db.execute_sql(
        "SELECT article_id, lexeme, tf, dl FROM article_postings WHERE user_id = %s UNION ALL "
        "SELECT 0, '', positions, 0 FROM user_article_stats WHERE user_id = %s "
        "AND positions <> 0 ORDER BY 1, 2", (user_id, user_id)).fetchall()
    recount = db.execute_sql(
        "WITH t AS (SELECT a.id, u.lexeme, cardinality(u.positions) AS tf "
        "           FROM articles a, unnest(a.tsv) u WHERE a.user_id = %s) "
        "SELECT id, lexeme, tf, (sum(tf) OVER (PARTITION BY id))::int FROM t UNION ALL "
        "SELECT 0, '', sum(tf), 0 FROM t HAVING count(*) > 0 ORDER BY 1, 2",
        (user_id,)).fetchall()
    return kept, recount


def test_article_postings_follow_insert_edit_and_delete(client, corpus):
    """Migration 0007's postings (tf, email length in positions) and the users' position
    totals stay what articles.tsv says; a deleted email's rows go with it."""
    kept, recount = _postings(corpus.id)
    assert kept == recount and any(row[1] == "tidal" for row in kept)
    article = Article.get(Article.title == "Tidal power in Scotland")
    Article.update(content_text="Tidal lagoons and tidal barrages.").where(
        Article.id == article.id).execute()
    kept, recount = _postings(corpus.id)
    assert kept == recount and (article.id, "tidal", 2, 4) in kept  # "and" is a stop word
    Article.update(summary="only the summary").where(Article.id == article.id).execute()
    assert _postings(corpus.id)[0] == kept  # no text change, no recount
    Article.delete().where(Article.user == corpus).execute()
    assert _postings(corpus.id) == ([], [])
    bob = User.get(User.email == "bob@example.com")
    assert _postings(bob.id)[0] == _postings(bob.id)[1] != []


@pytest.mark.parametrize("fusion, best", [("article", None), ("normalised", 0.25)])
def test_a_rare_term_outranks_a_common_one(client, corpus, config, fusion, best):
    config(SEARCH_FUSION=fusion)
    for n in range(5):
        deliver(client, "ann@example.com", f"Weekly newsletter {n}",
                f"The newsletter, issue {n}: newsletter news from the newsletter team.", 30 + n)
    deliver(client, "ann@example.com", "Airship trip", "We flew in a zeppelin.", 40)
    run_jobs(client.application)
    results = client.get("/api/search?q=newsletter+zeppelin&mode=lexical").get_json()["results"]
    assert results[0]["title"] == "Airship trip"
    top = results[0]["score"]["lexical"]
    assert top == pytest.approx(best) if best else top > 0
    assert all(r["score"]["lexical"] < top for r in results[1:])


def test_every_candidate_email_is_scored_on_all_query_words(client, corpus, config):
    """The best postings of each query word only choose the lexical candidates; each
    candidate's BM25 counts every query word it holds. Here the long email is outside
    "newsletter"'s two best postings (five short emails hold it more densely), and still
    scores exactly what it scores when every posting is read."""
    for n in range(5):
        deliver(client, "ann@example.com", f"Weekly newsletter {n}",
                f"Newsletter {n}: the newsletter.", 30 + n)
    long_text = "A long trip report. " * 40 + "The newsletter mentioned our zeppelin flight."
    deliver(client, "ann@example.com", "Airship trip", long_text, 40)
    run_jobs(client.application)

    def airship(**shape):
        config(**shape)
        results = client.get("/api/search?q=newsletter+zeppelin").get_json()["results"]
        return next(r for r in results if r["title"] == "Airship trip")
    exact = airship(SEARCH_TERM_POSTINGS=100)
    cut = airship(SEARCH_TERM_POSTINGS=2)
    assert cut["matched"] == exact["matched"] == 2
    assert cut["score"]["lexical"] == pytest.approx(exact["score"]["lexical"])


def _explain_prepared(app, user_id, q):
    """EXPLAIN of the prepared hybrid statement, on a fresh connection so that its plan
    is made now, for the table as it is."""
    cfg = app.extensions["simplr.config"]  # as the `config` fixture left it
    query = parse(q)
    vector = get_embedder(cfg).embed([query.text])[0]
    db.close_all()
    with app.app_context():
        name, statement = sql.statement(cfg, "hybrid", 10)  # as run() prepares it
        rows = execute_prepared(name, statement,
                                sql.params(cfg, user_id, query, vector, "hybrid", 10),
                                prefix=sql.SETTINGS, explain="COSTS ON")
        return "\n".join(r[0] for r in rows.fetchall())


def _bulk_insert(statement, params):
    """Run an INSERT of many chunks with the HNSW index dropped (a bulk build beats tens of
    thousands of inserts), then rebuild it and analyze what the planner will read."""
    hnsw = db.execute_sql("SELECT indexdef FROM pg_indexes "
                          "WHERE indexname = 'chunks_embedding_hnsw'").fetchone()[0]
    db.execute_sql("DROP INDEX chunks_embedding_hnsw")
    db.execute_sql(statement, params)
    db.execute_sql(f"{hnsw}; ANALYZE chunks; ANALYZE lexeme_stats; ANALYZE articles; "
                   "ANALYZE article_lexeme_stats")


def test_the_chunk_statement_uses_the_hnsw_and_gin_indexes(app, corpus, config):
    """The chunk fusions (the seed's among them). On a few chunks the planner rightly scans
    the table. At 30,000 (50 words each from a 5,000-word vocabulary, random embeddings) it
    must reach for both indexes, which it can only do if the statement's ORDER BY and
    full-text match are ones they answer."""
    config(SEARCH_FUSION="normalised")
    article = Article.select().where(Article.user == corpus).first()
    _bulk_insert(
        "INSERT INTO chunks (article_id, user_id, idx, content, embedding) "
        "SELECT %s, %s, 100 + g, (SELECT string_agg('w' || floor(random() * 5000), ' ') "
        "                         FROM generate_series(1, 50 + 0 * g)), "
        "  (SELECT array_agg(random() - 0.5)::vector FROM generate_series(1, 384 + 0 * g)) "
        "FROM generate_series(1, 30000) g", (article.id, corpus.id))
    plan = _explain_prepared(app, corpus.id, "w17 w4242")
    assert "Index Scan using chunks_embedding_hnsw" in plan
    assert "Bitmap Index Scan on chunks_tsv_gin" in plan
    # df per query lexeme by key, not a scan of the user's 5,000 lexeme_stats rows
    assert "Index Scan using lexeme_stats_pkey" in plan and "Seq Scan on lexeme_stats" not in plan
    assert "Bitmap Heap Scan on lexeme_stats" not in plan


def test_the_article_statement_uses_the_hnsw_and_postings_indexes(app, corpus):
    """The article fusion: nearest chunks by HNSW, each query lexeme's best postings from
    the impact index, each candidate's postings and df per query lexeme by key, on 20,000
    emails of 50 words from a 5,000-word vocabulary (one chunk each, random embeddings).
    No scan of the user's emails, postings or statistics."""
    _bulk_insert(
        "WITH a AS (INSERT INTO articles (user_id, title, content_text) "
        "  SELECT %s, 'Email ' || g, (SELECT string_agg('w' || floor(random() * 5000), ' ') "
        "                             FROM generate_series(1, 50 + 0 * g)) "
        "  FROM generate_series(1, 20000) g RETURNING id, content_text) "
        "INSERT INTO chunks (article_id, user_id, idx, content, embedding) "
        "SELECT id, %s, 0, content_text, "
        "  (SELECT array_agg(random() - 0.5)::vector FROM generate_series(1, 384 + 0 * id)) "
        "FROM a", (corpus.id, corpus.id))
    db.execute_sql("ANALYZE article_postings")
    plan = _explain_prepared(app, corpus.id, "w17 w4242")
    assert "Index Scan using chunks_embedding_hnsw" in plan
    assert "Scan using article_postings_impact" in plan  # index-only once vacuumed
    assert "Index Scan using article_postings_pkey" in plan  # each candidate's exact BM25
    assert "Index Scan using article_lexeme_stats_pkey" in plan
    for table in ("article_lexeme_stats", "articles", "article_postings"):
        assert f"Seq Scan on {table}" not in plan and f"Bitmap Heap Scan on {table}" not in plan


def test_search_still_works_on_a_new_connection(app, client, corpus):
    """The statement is prepared per connection: a new connection (a new server session,
    which knows no prepared statements) must prepare it again, not fail."""
    assert client.get("/api/search?q=sourdough").get_json()["results"]
    db.close_all()  # the pool forgets its connections; the next request opens a new one
    results = client.get("/api/search?q=sourdough").get_json()["results"]
    assert results[0]["title"] == "Sourdough baking basics"


def test_chunk_rows_are_stored_whole_not_in_toast(client, corpus):
    """Search reads every candidate's embedding and tsvector: out in TOAST, each cost two
    more lookups. A full-size chunk (~3 kB with its embedding) must stay in the heap."""
    text = " ".join(f"Sentence {n} about tidal turbines, grids and storage." for n in range(200))
    deliver(client, "ann@example.com", "A long tidal report", text, 50)
    run_jobs(client.application)
    rows = db.execute_sql("SELECT count(*), min(octet_length(content) + octet_length(c.tsv::text)"
                          " + 1540) FROM chunks c "
                          "JOIN articles a ON a.id = c.article_id "
                          "WHERE a.title = 'A long tidal report'").fetchone()
    assert rows[0] > 3 and rows[1] > 2100  # over the 2 kB where TOAST starts by default
    toast = db.execute_sql("SELECT pg_relation_size(reltoastrelid) FROM pg_class "
                           "WHERE relname = 'chunks'").fetchone()[0]
    assert toast == 0


def test_the_query_vector_literal_keeps_its_cosine_distances(app, corpus):
    vector = get_embedder(app.extensions["simplr.config"]).embed(["tidal energy"])[0]
    floats = "[" + ",".join(f"{x:.9f}" for x in vector) + "]"
    worst, n = db.execute_sql(
        "SELECT max(abs((embedding <=> %s::vector) - (embedding <=> %s::vector))), count(*) "
        "FROM chunks", (floats, sql.vector_literal(vector))).fetchone()
    assert n >= 4 and worst < 1e-5


def test_words_joined_by_punctuation_are_found_one_by_one(app, client, corpus):
    """`e-mail`, `www.example.org` and `v2.14` were single tokens to PostgreSQL's parser, so
    "mail" or "example" never matched them (migration 0005 splits at punctuation)."""
    deliver(client, "ann@example.com", "Release notes", "Send e-mail to the helpdesk at "
            "www.kelpwatch.org before upgrading to v2.14 of the urchin-tracker.", 20)
    run_jobs(app)
    for q in ("mail helpdesk", "kelpwatch", "urchin tracker"):
        hits = client.get("/api/search", query_string={"q": q, "mode": "lexical"}).get_json()
        assert [r["title"] for r in hits["results"]][:1] == ["Release notes"], q
    kept, recount = _stats(corpus.id)
    assert kept == recount and ("kelpwatch", 1) in kept
