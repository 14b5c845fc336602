"""Two repairs to Material's and pymdownx's markup, found by axe-core
(tests/accessibility/).

Task lists (`- [ ]`, pymdownx.tasklist) are printable checklists: the boxes
are disabled, to be ticked on paper.  pymdownx puts each box in a label of its
own, without the item's text, so screen readers announce a row of unnamed,
unavailable checkboxes.  The boxes are hidden from assistive technology (they
are drawn, never focusable); the items read as a plain list.

"Skip to content" points at the page's first heading.  The report endpoint
replaces the whole article on its confirmation and error pages, and that
heading with it, so the link would go nowhere there.  It points at the
article instead, which every page keeps.
"""

from __future__ import annotations

import re

TASK_BOX = '<label class="task-list-control">'
SKIP_LINK = re.compile(r'<a href="#[^"]*" class="md-skip">')
ARTICLE = '<article class="md-content__inner md-typeset">'
ARTICLE_ID = "ihc-article"


def on_page_content(html: str, **kwargs) -> str:
    return html.replace(TASK_BOX, '<label class="task-list-control" aria-hidden="true">')


def on_post_page(output: str, page, **kwargs) -> str:
    if not SKIP_LINK.search(output):
        return output  # pages without headings have no skip link
    if output.count(ARTICLE) != 1:
        raise ValueError(f"{page.file.src_uri}: Material's article tag changed; update overrides/hooks/accessibility.py")
    output = output.replace(ARTICLE, ARTICLE[:-1] + f' id="{ARTICLE_ID}">')
    return SKIP_LINK.sub(f'<a href="#{ARTICLE_ID}" class="md-skip">', output, count=1)
