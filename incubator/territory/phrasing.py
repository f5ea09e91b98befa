"""The territory's key figures written the way the pole presents them ("319 établissements
– 3 042 emplois, soit 12,7 % des effectifs salariés du territoire", "282 associations, soit
88 % des établissements employeurs de l’ESS du territoire"): plurals by ngettext, numbers
and percentages in the reader's format. As in the pole's presentation, the families'
shares are whole percents and the share of salaried jobs has one decimal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import format_percent, get_locale, ngettext
from flask_babel import gettext as _

from ..models import OrganisationFamily, TerritoryEmployment
from ..numbers import local_number
from ..tables import ratio
from .queries import FAMILY_LABELS, Summary


def percent(value: Decimal | None, decimals: int = 0) -> str:
    """A ratio as a percentage in the reader's format ("12,7 %" with a narrow no-break
    space in French, "12.7%" in English), with at most ``decimals`` decimals."""
    if value is None:
        return ""
    pattern = get_locale().percent_formats[None].pattern
    if decimals:
        pattern = pattern.replace("#,##0", "#,##0." + "#" * decimals, 1)
    return format_percent(value, format=pattern).replace("\xa0%", "\u202f%")


def number(value: int | Decimal) -> str:
    """A count or a number of jobs: "3 042", "1,5"."""
    return local_number(value)


def _family_sentence(family: str, count: int, share: str) -> str:
    values = {"count": number(count), "share": share}
    if family == OrganisationFamily.ASSOCIATION:
        return ngettext("%(count)s association, i.e. %(share)s of the territory's ESS employer "
                        "establishments.",
                        "%(count)s associations, i.e. %(share)s of the territory's ESS employer "
                        "establishments.", count, **values)
    if family == OrganisationFamily.COOPERATIVE:
        return ngettext("%(count)s cooperative, i.e. %(share)s of the territory's ESS employer "
                        "establishments.",
                        "%(count)s cooperatives, i.e. %(share)s of the territory's ESS employer "
                        "establishments.", count, **values)
    if family == OrganisationFamily.MUTUAL:
        return ngettext("%(count)s mutual, i.e. %(share)s of the territory's ESS employer "
                        "establishments.",
                        "%(count)s mutuals, i.e. %(share)s of the territory's ESS employer "
                        "establishments.", count, **values)
    if family == OrganisationFamily.FOUNDATION:
        return ngettext("%(count)s foundation, i.e. %(share)s of the territory's ESS employer "
                        "establishments.",
                        "%(count)s foundations, i.e. %(share)s of the territory's ESS employer "
                        "establishments.", count, **values)
    return ngettext("%(count)s ESUS company, i.e. %(share)s of the territory's ESS "
                    "employer establishments.",
                    "%(count)s ESUS companies, i.e. %(share)s of the territory's ESS "
                    "employer establishments.", count, **values)


@dataclass(frozen=True)
class KeySentences:
    """What the page says, in order: the headline, the families, the members, how the jobs
    were counted, and which salaried jobs of the territory the share uses."""

    headline: str
    families: list[str]
    members: list[str]
    jobs_notes: list[str]
    employment: str
    share: Decimal | None


def key_sentences(summary: Summary, counts: dict[str, tuple[int, int, int, Decimal]],
                  employment: TerritoryEmployment | None) -> KeySentences:
    """The sentences of ``summary``'s year, with the family ``counts`` and the territory's
    salaried jobs ``employment`` (of that year or the latest before it, or None)."""
    jobs = summary.whole_jobs
    establishments = ngettext("%(count)s establishment", "%(count)s establishments",
                              summary.establishments, count=number(summary.establishments))
    share = ratio(summary.jobs, employment.salaried_jobs) if employment else None
    if share is not None:
        jobs_text = ngettext("%(count)s job, i.e. %(share)s of the territory's salaried jobs.",
                             "%(count)s jobs, i.e. %(share)s of the territory's salaried jobs.",
                             jobs, count=number(jobs), share=percent(share, 1))
    else:
        jobs_text = ngettext("%(count)s job.", "%(count)s jobs.", jobs, count=number(jobs))
    headline = _("%(establishments)s – %(jobs)s", establishments=establishments,
                 jobs=jobs_text)

    families = []
    for family in FAMILY_LABELS:
        employers = counts.get(family, (0, 0, 0, 0))[1]
        if employers:
            part = ratio(employers, summary.employers)
            # A share below 1 % keeps a decimal, so that it never reads as 0 %.
            families.append(_family_sentence(family, employers,
                                             percent(part, 1 if part < Decimal("0.005")
                                                     else 0)))

    members = [ngettext("Among them, %(count)s member of the pole.",
                        "Among them, %(count)s members of the pole.", summary.members,
                        count=number(summary.members))]
    if summary.members:
        members.append(ngettext("%(count)s member of the pole is an employer.",
                                "%(count)s members of the pole are employers.",
                                summary.member_employers, count=number(summary.member_employers)))

    notes = []
    if summary.estimated:
        notes.append(ngettext(
            "The jobs of %(count)s establishment are estimated (%(jobs)s in all): the middle of "
            "its INSEE size band, its exact headcount being unknown.",
            "The jobs of %(count)s establishments are estimated (%(jobs)s in all): the middle "
            "of their INSEE size band, their exact headcount being unknown.",
            summary.estimated, count=number(summary.estimated),
            jobs=number(summary.estimated_jobs)))
    else:
        notes.append(_("Every job counted is an exact headcount."))
    outside = counts.get(OrganisationFamily.OTHER.value, (0, 0, 0, 0))[0]
    if outside:
        notes.append(ngettext(
            "%(count)s organisation of the directory is of no ESS family (“Other”): it is "
            "not counted.",
            "%(count)s organisations of the directory are of no ESS family (“Other”): they "
            "are not counted.", outside, count=number(outside)))
    if summary.unknown:
        notes.append(ngettext(
            "%(count)s employer establishment has neither a headcount nor a size band: it "
            "counts no job.",
            "%(count)s employer establishments have neither a headcount nor a size band: they "
            "count no job.", summary.unknown, count=number(summary.unknown)))

    if employment is None:
        source = _("The territory's salaried jobs are entered neither for %(year)s nor for "
                   "any year before: the ESS share of jobs cannot be computed.",
                   year=summary.year)
    else:
        where = employment.source or _("not given")
        if employment.year == summary.year:
            source = _("Salaried jobs of the territory in %(year)s: %(jobs)s (source: "
                       "%(source)s).", year=employment.year,
                       jobs=number(employment.salaried_jobs), source=where)
        else:
            source = _("No salaried jobs of the territory entered for %(year)s: the share "
                       "uses the latest year before it, %(used)s: %(jobs)s (source: "
                       "%(source)s).", year=summary.year, used=employment.year,
                       jobs=number(employment.salaried_jobs), source=where)
    return KeySentences(headline=headline, families=families, members=members,
                        jobs_notes=notes, employment=source, share=share)
