"""The Confluence target: pages in Confluence storage format (XHTML with
Confluence macros) and a manifest of the page tree."""

from __future__ import annotations

import json
from collections.abc import Iterator

from markupsafe import Markup

from ..render import _render, _team_overview, index_grid, make_environment, member_view, sessions_by_id
from . import Publication, SITE_NAME, team_folders, unique_name

# A taken title gets a number, as people title pages.
_TITLE = "{base} ({number})"


def confluence_pages(publication: Publication) -> Iterator[tuple[str, str]]:
    """One file per page in Confluence storage format (XHTML with Confluence
    macros) under `pages/`, and `manifest.json`: the page tree (title, file,
    parent title), ready for an importer or the REST API. Confluence links
    pages by title and wants each title once in a space (in any case): a
    title already taken gets ` (2)`, ` (3)`, ... in the order given."""
    plans, teams = publication.plans, publication.teams
    env = make_environment(publication.templates)
    env.filters["storage"] = storage_format
    env.globals["page_link"] = _confluence_link
    taken: set[str] = set()
    home = unique_name(SITE_NAME, taken)
    titles = {plan.slug: unique_name(f"{plan.role.title} at a {plan.size.title.lower()}", taken, _TITLE)
              for plan in plans}
    team_titles = [unique_name(team.team.name, taken, _TITLE) for team in teams]
    tree = [{"title": home, "file": "pages/index.xml", "parent": None}]
    yield "pages/index.xml", _render(env, "confluence/index.xml.j2", titles=titles, **index_grid(plans))
    for plan in plans:
        yield f"pages/{plan.slug}.xml", _render(env, "confluence/syllabus.xml.j2", plan=plan, team_member=None)
        tree.append({"title": titles[plan.slug], "file": f"pages/{plan.slug}.xml", "parent": home})
    for team, folder, title in zip(teams, team_folders(teams), team_titles):
        members = {member.name: unique_name(f"{title}: {member.name}", taken, _TITLE) for member, _ in team.plans}
        overview = _team_overview(team)
        sessions = sessions_by_id(overview)
        yield f"pages/teams/{folder}/index.xml", _render(
            env, "confluence/team.xml.j2", team=team, titles=members, **overview)
        tree.append({"title": title, "file": f"pages/teams/{folder}/index.xml", "parent": home})
        for member, plan in team.plans:
            file = f"pages/teams/{folder}/{team.slugs[member.name]}.xml"
            yield file, _render(env, "confluence/syllabus.xml.j2", plan=plan,
                                team_member=member_view(team, sessions, member, plan))
            tree.append({"title": members[member.name], "file": file, "parent": title})
    yield "manifest.json", json.dumps({"root": home, "pages": tree}, indent=2, ensure_ascii=False) + "\n"


def _confluence_link(title: str, text: str) -> Markup:
    """A link to another page of the space, by its title."""
    return Markup('<ac:link><ri:page ri:content-title="{}"/><ac:plain-text-link-body>{}'
                  "</ac:plain-text-link-body></ac:link>").format(title, Markup(_cdata(text)))


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


_VOID = {"br", "hr", "img"}


def storage_format(text: str) -> Markup:
    """Untrusted Markdown -> Confluence storage format: the sanitised HTML of
    the other outputs, made well-formed XML, with code blocks as the code macro."""
    from html.parser import HTMLParser

    from markupsafe import escape

    from ..render import markdown_html

    out: list[str] = []
    code: list[str] | None = None

    class Storage(HTMLParser):
        def handle_starttag(self, tag, attrs):
            nonlocal code
            if code is not None:
                return
            if tag == "code" and out and out[-1] == "<pre>":
                out.pop()
                code = []
                return
            rendered = "".join(f' {name}="{escape(value or "")}"' for name, value in attrs)
            out.append(f"<{tag}{rendered}{' /' if tag in _VOID else ''}>")

        def handle_endtag(self, tag):
            nonlocal code
            if code is not None:
                if tag == "pre":
                    out.append('<ac:structured-macro ac:name="code"><ac:plain-text-body>'
                               + _cdata("".join(code)) + "</ac:plain-text-body></ac:structured-macro>")
                    code = None
                return
            if tag not in _VOID:
                out.append(f"</{tag}>")

        def handle_data(self, data):
            if code is not None:
                code.append(data)
            else:
                out.append(str(escape(data)))

    parser = Storage(convert_charrefs=True)
    parser.feed(str(markdown_html(text)))
    parser.close()
    return Markup("".join(out))
