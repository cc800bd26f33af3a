"""`simplr import --user`: a mailbox filed under the person importing, nobody mailed,
original senders kept, re-imports deduped, a summary with reasons."""
import mailbox
import re

from app.models import Article, InboundEvent, User
from tests.factories import EMBEDDER_DOWN


def raw(n, sender="stranger{n}@example.org", body="Notes on kelp forests and urchins."):
    return (f"From: Someone <{sender.format(n=n)}>\nTo: me@example.com\n"
            f"Subject: Newsletter {n}\nMessage-ID: <m{n}@example.org>\n"
            f"Content-Type: text/plain; charset=utf-8\n\n{body} Issue {n}.\n").encode()


def mbox(tmp_path, count):
    box = mailbox.mbox(tmp_path / "box.mbox")
    for n in range(count):
        box.add(raw(n))
    box.close()
    return str(tmp_path / "box.mbox")


def test_mbox_eml_and_maildir_go_to_the_importing_user(app, clean, tmp_path, smtp_server):
    eml = tmp_path / "one.eml"
    eml.write_bytes(raw(100))
    maildir = mailbox.Maildir(tmp_path / "Maildir")
    maildir.add(raw(200))
    result = app.test_cli_runner().invoke(args=[
        "import", "--user", "Me <ME@example.com>", mbox(tmp_path, 3), str(eml),
        str(tmp_path / "Maildir")])
    assert result.exit_code == 0, result.output
    assert "imported 5, duplicates 0, failed 0" in result.output
    me = User.get(User.email == "me@example.com")
    assert User.select().count() == 1  # no account per original sender
    articles = list(Article.select().order_by(Article.id))
    assert len(articles) == 5 and {a.user_id for a in articles} == {me.id}
    assert "stranger0@example.org" in articles[0].metadata["from"]
    assert smtp_server.messages == []  # nobody is mailed, the importer included


def test_reimport_is_all_duplicates(app, clean, tmp_path):
    path = mbox(tmp_path, 4)
    runner = app.test_cli_runner()
    runner.invoke(args=["import", "--user", "me@example.com", path])
    again = runner.invoke(args=["import", "--user", "me@example.com", path])
    assert "imported 0, duplicates 4, failed 0" in again.output
    assert Article.select().count() == 4


def test_failures_are_listed_with_reasons_and_kept_for_replay(app, clean, tmp_path, config):
    bad, good = tmp_path / "bad.eml", tmp_path / "good.eml"
    bad.write_bytes(raw(1))
    good.write_bytes(raw(2))
    working = app.extensions["simplr.config"]
    config(**EMBEDDER_DOWN)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "--user", "me@example.com", str(bad)])
    assert "imported 0, duplicates 0, failed 1" in result.output, result.output
    assert f"failed {bad}: app.providers.openai_compat.ProviderError" in result.output
    assert InboundEvent.get().status == "failed"
    assert "failed" in runner.invoke(args=["events", "list", "--status", "failed"]).output
    config(**{name: getattr(working, name) for name in EMBEDDER_DOWN})
    assert "imported 1" in runner.invoke(args=["import", "--user", "me@example.com",
                                               str(good)]).output


def test_unknown_user_address_is_refused(app, clean, tmp_path):
    result = app.test_cli_runner().invoke(args=["import", "--user", "nope", mbox(tmp_path, 1)])
    assert result.exit_code != 0 and "not an email address" in result.output


def test_hostile_files_are_imported_or_reported_never_a_crash(app, clean, tmp_path):
    """Binary junk, NUL and CRLF in headers, an empty file: each ends as an article or a
    reported failure, and the summary accounts for every file."""
    files = {"junk.eml": bytes(range(256)) * 40,
             "nul.eml": b"From: A\x00 <a@example.org>\r\nSubject: x\x00y\r\nMessage-ID: <\x00>\r\n"
                        b"\r\nBody with a NUL \x00 in it about kelp.\r\n",
             "empty.eml": b""}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    result = app.test_cli_runner().invoke(
        args=["import", "--user", "me@example.com", *(str(tmp_path / n) for n in files)])
    assert result.exit_code == 0, result.output
    counts = [int(n) for n in re.findall(r"(?:imported|duplicates|failed) (\d+)", result.output)]
    assert sum(counts) == 3, result.output
    assert InboundEvent.select().count() + counts[1] == 3  # every file stored, or a duplicate
    assert all("\x00" not in (a.title + a.content_text) for a in Article.select())
