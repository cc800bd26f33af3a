"""An answer's markdown as HTML for the chat page: CommonMark with raw HTML off (an
email's text quoted in an answer stays text), then nh3 keeps only the few tags an answer
uses and http(s) links. Block quotes are how the local default quotes an article."""
import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_MD = MarkdownIt("commonmark", {"html": False})
TAGS = {"p", "blockquote", "em", "strong", "code", "pre", "ul", "ol", "li", "a", "br"}


def answer_html(text):
    html = _MD.render(text or "")
    return Markup(nh3.clean(html, tags=TAGS, attributes={"a": {"href"}},
                            url_schemes={"http", "https"}, link_rel="noopener noreferrer"))


def init_app(app):
    app.add_template_filter(answer_html, "answer_html")
