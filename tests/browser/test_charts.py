"""Charts in Chromium (templates/macros/charts.html, static/js/charts.js): the partner page
draws its amounts by year under the CSP (the conftest fails on any CSP or script error),
with French numbers, without animation for who asks for less motion, drawn again after an
htmx swap, and the page passes axe."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from incubator.extensions import db
from incubator.models import Support, SupportStatusChange
from incubator.partners.services import create_partner

from .. import factories
from .conftest import axe_violations, log_in


def _partner_with_two_years(live_app) -> int:
    with live_app.app_context():
        factories.user(role="advisor", email="yann@cades.example", name="Yann Le Goff")
        partner = create_partner(None, name="Région Bretagne", kind="region")
        project = factories.project(title="Épicerie vrac")
        db.session.flush()
        for year, cents in ((2025, 1200000), (2026, 800000)):
            support = Support(project_id=project.id, partner_id=partner.id, kind="grant",
                              status="granted", status_on=date(year, 3, 1), amount_cents=cents)
            db.session.add(support)
            db.session.flush()
            for to_status, day in (("requested", date(year, 1, 5)),
                                   ("granted", date(year, 3, 1))):
                db.session.add(SupportStatusChange(support_id=support.id, to_status=to_status,
                                                   changed_on=day, amount_cents=cents))
        db.session.commit()
        return partner.id


def test_the_chart_is_drawn_beside_its_table_and_passes_axe(page, live_server, live_app):
    partner_id = _partner_with_two_years(live_app)
    page.emulate_media(reduced_motion="reduce")
    log_in(page, live_server, "yann@cades.example")
    page.goto(live_server + f"/partners/{partner_id}")
    page.wait_for_load_state("load")
    canvas = page.locator("figure.chart canvas")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    chart = page.evaluate("""() => {
        const chart = Chart.getChart(document.querySelector('figure.chart canvas'));
        return {labels: chart.data.labels, granted: chart.data.datasets[1].data,
                animation: chart.options.animation,
                tick: chart.scales.y.ticks.map(t => t.label).pop(),
                dashes: chart.data.datasets.length};
    }""")
    assert chart["labels"] == ["2025", "2026"]
    assert chart["granted"] == [12000, 8000]
    assert chart["animation"] is False
    assert chart["tick"].endswith("€") and "\u202f" in chart["tick"]  # « 12 000 € »
    expect(page.locator("figure.chart table")).to_contain_text("20\u202f000\xa0€")  # total
    assert axe_violations(page) == []


def test_a_chart_swapped_in_by_htmx_is_drawn_again(page, live_server, live_app):
    partner_id = _partner_with_two_years(live_app)
    log_in(page, live_server, "yann@cades.example")
    page.goto(live_server + f"/partners/{partner_id}")
    page.wait_for_load_state("load")
    figure_id = page.locator("figure.chart").get_attribute("id")
    old = page.evaluate_handle("() => document.querySelector('figure.chart canvas')")
    page.evaluate(f"""() => htmx.ajax('GET', location.pathname,
        {{target: '#{figure_id}', select: '#{figure_id}', swap: 'outerHTML'}})""")
    page.wait_for_function("""(old) => {
        const canvas = document.querySelector('figure.chart canvas');
        return canvas !== old && Chart.getChart(canvas) !== undefined;
    }""", arg=old)
    assert page.evaluate("(old) => Chart.getChart(old) === undefined", old)
    page.emulate_media(media="print")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("figure.chart canvas").bounding_box()["width"] > 100


def test_a_chart_of_a_few_projects_has_whole_ticks_each_once(page, live_server, live_app):
    """Two projects in a stage: Chart.js put ticks every 0.5, which the count format wrote
    as whole numbers, so the axis read « 0 1 1 2 2 »."""
    with live_app.app_context():
        factories.user(role="manager", email="claire@cades.example", name="Claire Rouxel")
        factories.project(title="Épicerie vrac")
        factories.project(title="Ressourcerie")
        db.session.commit()
    log_in(page, live_server, "claire@cades.example")
    page.goto(live_server + "/pipeline")
    page.wait_for_load_state("load")
    expect(page.locator("#chart-stages_now canvas")).to_be_visible()
    ticks = page.evaluate("""() => Chart.getChart(
        document.querySelector('#chart-stages_now canvas')).scales.y.ticks.map(t => t.value)""")
    assert len(ticks) > 1
    assert all(value == int(value) for value in ticks), ticks
