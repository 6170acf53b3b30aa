"""HTML uploads become Markdown: headings kept, scripts, styles and menus gone, in linear time."""

from __future__ import annotations

import time

import pytest

from documents.loaders import to_markdown
from tests.document_files import write

UNUSUAL = "Emoji 👩🏽‍💻 🎉, Hebrew שלום עולם, Arabic مرحبا, combining e\u0301 and n\u0303."


def test_html_becomes_markdown_without_scripts_styles_or_menus(tmp_path):
    page = (
        """<!doctype html><html><head><title>Ignored</title><style>p {color: red}</style>
    <script>alert("x")</script></head><body><nav>Home | About</nav>
    <h1>Main  <em>Heading</em></h1><p>Fish &amp; chips &eacute;t&eacute;,
    twice.<br>Second line.</p><ul>
      <li>First item</li>
      <li><p>Second item</p></li>
    </ul>
    <table><tr><th>Name</th><th>Value</th></tr>
      <tr><td>port</td> <td>8443</td></tr></table>
    <h2>Setup<br>notes</h2><div><div>Done.</div></div><noscript>Enable JS</noscript>
    <template><p>hidden</p></template><p dir="rtl">"""
        + UNUSUAL
        + "</p></body></html>"
    )
    result = to_markdown(write(tmp_path, "page.html", page))
    assert result == (
        "# Main Heading\n\nFish & chips été, twice.\nSecond line.\n\n- First item\n\n"
        "- Second item\n\nName | Value\nport | 8443\n\n## Setup notes\n\nDone.\n\n" + UNUSUAL
    )


def test_html_without_h1_takes_its_title_from_the_title_tag(tmp_path):
    page = "<html><head><title>Release &lt;Notes&gt;</title></head><h3>Fixes</h3><p>Many.</p>"
    result = to_markdown(write(tmp_path, "r.htm", page))
    assert result == "# Release <Notes>\n\n### Fixes\n\nMany."


@pytest.mark.parametrize("junk", ["<a", "</", "<!--x>", "<![CDATA[x>"])
def test_html_with_constructs_that_never_end_is_read_in_linear_time(tmp_path, junk):
    # 400,000 characters: seconds to minutes each with html.parser before the gh-135462 fix
    path = write(tmp_path, "junk.html", "<h1>Junk</h1>" + junk * (400_000 // len(junk)))
    started = time.monotonic()
    result = to_markdown(path)
    assert time.monotonic() - started < 3
    assert result.startswith("# Junk\n\n" + junk * 3)
