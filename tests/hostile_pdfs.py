"""Hostile PDFs written by hand, for the extraction tests and bench/extract.py: the bomb of
issue #10 (pages sharing one deflate stream that inflates to tens of millions of
characters), pages of heavy token streams, and plain text pages."""
import base64
import zlib


def raw_pdf(streams, page_streams):
    """A PDF written by hand: page i shows content stream streams[page_streams[i]] (deflated
    here) in Helvetica. Pages naming one stream share one object, as in the bomb of #10."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", None,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for content in streams:
        packed = zlib.compress(content, 9)
        objs.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
                    % (len(packed), packed))
    first_page = len(objs) + 1
    for s in page_streams:
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                    b"/Resources << /Font << /F1 3 0 R >> >> >>" % (4 + s))
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(len(page_streams)))
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_streams))
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1,
                                                                             xref)
    return bytes(out)


def text_stream(text):
    return b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text.encode()


def heavy_stream(seed):
    """1.8 M tokens: seconds of pypdf parsing and ~300 MB, within pypdf's own limits."""
    return b"BT /F1 12 Tf 72 720 Td " + b"(%d) Tj\n" % seed * 600_000 + b"ET"


def pdf_bomb(pages=4, chars=70_000_000):
    """~70 KB: `pages` pages sharing one stream that inflates to `chars` characters."""
    return raw_pdf([b"BT /F1 12 Tf 72 720 Td (" + b"A" * chars + b") Tj ET"], [0] * pages)


def pdf_pages(texts, heavy=0):
    """One page per text, then `heavy` pages of distinct heavy streams."""
    streams = [text_stream(t) for t in texts] + [heavy_stream(i) for i in range(heavy)]
    return raw_pdf(streams, list(range(len(streams))))


def attachment(name, ctype, data):
    return {"file_name": name, "content_type": ctype, "content": base64.b64encode(data).decode()}
