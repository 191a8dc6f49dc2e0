"""The Open Badges 3.0 target: an `Achievement` for each milestone of a path,
and for teams that report progress, an unsigned credential for each member
who has finished one, for the company's issuer to sign.

A path's milestones are its capstones (modules tagged `capstone`); a path
without one (catalogs written elsewhere have none) is marked by its final
modules, those no other module of the path builds on.

Unsigned on purpose: signing needs the issuer's identity and key, which this
tool never holds. The issuer sets `issuer` (a placeholder here) and adds a
proof (Data Integrity eddsa-rdfc-2022, or a VC-JWT) with a VC library.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence

from ..errors import CurriculumError
from ..model import FINISHED, Member, Module, Plan, Step, TeamPlan
from ..render import md_text, to_json
from ..text import one_line
from . import Publication, team_folders

CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
# RFC 6963's example namespace: no verifier can mistake it for a real issuer.
ISSUER = {"id": "urn:example:issuer", "type": ["Profile"], "name": "Placeholder: the issuer replaces this and signs"}
# Credential ids are UUIDs made from the team, member and module: the same
# credential keeps its id when it is published again.
_CREDENTIAL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:curriculum:open-badges:credential")


def open_badges_pages(publication: Publication) -> Iterator[tuple[str, str]]:
    """`achievements/<module id>.json` for every milestone of any
    path, and `teams/<team folder>/<member>/<module id>.json`
    for every milestone a member has done or tested out."""
    plans = [*publication.plans, *(plan for team in publication.teams for _, plan in team.plans)]
    achievements = {}
    for plan in plans:
        for step in milestones(plan):
            achievements.setdefault(step.module.id, achievement(step.module, plan.activity_base))
    for module_id, document in sorted(achievements.items()):
        yield f"achievements/{module_id}.json", to_json({"@context": CONTEXT, **document})
    for folder, team in zip(team_folders(publication.teams), publication.teams):
        for member, plan in team.plans:
            for step in milestones(plan):
                if step.status in FINISHED:
                    path = f"teams/{folder}/{team.slugs[member.name]}/{step.module.id}.json"
                    yield path, to_json(credential(team, member, plan, step))


def milestones(plan: Plan) -> Sequence[Step]:
    """The path's capstones; without any, the modules no other step needs."""
    capstones = [step for step in plan.steps if step.module.is_milestone]
    if capstones:
        return capstones
    needed = {prerequisite for step in plan.steps for prerequisite in step.module.prerequisites}
    return [step for step in plan.steps if step.module.id not in needed]


def achievement(module: Module, activity_base: str) -> dict:
    """The Achievement for finishing `module`, aligned with its xAPI activity
    id (targetUrl), the id every export and progress report uses."""
    activity = activity_base + module.id
    title = one_line(module.title)
    criteria = module.assessment or module.exercise or f"Finish the module {module.title}."
    return {
        "id": f"{activity}#achievement",
        "type": ["Achievement"],
        "name": title,
        # Short, as wallets show it: the summary, else the description's first paragraph.
        "description": one_line(module.summary or module.description.strip().split("\n\n")[0]) or title,
        # Markdown, as OB 3.0 allows, made safe as on the Markdown syllabi.
        "criteria": {"narrative": md_text(criteria)},
        "alignment": [{
            "type": ["Alignment"],
            "targetName": title,
            "targetUrl": activity,
            "targetCode": module.id,
            "targetType": "ext:xAPIActivity",
        }],
    }


def credential(team_plan: TeamPlan, member: Member, plan: Plan, step: Step) -> dict:
    """An unsigned OpenBadgeCredential (OB 3.0's AchievementCredential) that
    `member` earned `step`'s achievement on the day they reported it done.
    The member is named by a salted SHA-256 of their email, not the address."""
    if not member.email:
        raise CurriculumError(f"{member.name}: no email, which an Open Badges credential needs to identify the "
                              "earner; add 'email' to the member", team_plan.team.source, member.line)
    badge = achievement(step.module, plan.activity_base)
    credential_id = uuid.uuid5(_CREDENTIAL_NAMESPACE, "\x1f".join((team_plan.team.name, member.name, badge["id"])))
    salt = credential_id.hex
    return {
        "@context": CONTEXT,
        "id": credential_id.urn,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": badge["name"],
        "issuer": ISSUER,
        "validFrom": f"{step.done_date.isoformat()}T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityHash": "sha256$" + hashlib.sha256((member.email + salt).encode("utf-8")).hexdigest(),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }],
            "achievement": badge,
        },
    }
