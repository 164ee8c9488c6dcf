"""The parts of the notice issue 17 added: date, contents, the DPO, whether data is required,
cookies, automated decisions and directions after death, each from the policy."""

from __future__ import annotations

from datetime import date

import html5lib
import pytest

from gardien.domain.cookies import COOKIES
from gardien.domain.vocabulary import LegalBasis
from gardien.errors import PolicyError
from gardien.i18n import SUPPORTED
from gardien.policy import Policy, load_policy
from gardien.policy.loader import DEFAULT_POLICY_PATH, parse_policy
from gardien.policy.model import Localized, Provision
from gardien.services.notice import build_notice, render_notice
from gardien.store.catalogue import record_catalogue


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(None, catalogue=record_catalogue())


def _html(policy: Policy, lang: str) -> str:
    return render_notice(policy, lang=lang, fmt="html")


def _text(fragment: str) -> str:
    article = html5lib.parseFragment(fragment, treebuilder="etree", namespaceHTMLElements=False)
    return " ".join(" ".join(article.itertext()).split())


@pytest.mark.parametrize(("lang", "shown"), [("fr", "07/12/2026"), ("en", "7 December 2026")])
def test_the_notice_is_dated_by_the_policy_and_keeps_the_version_small(
    policy: Policy, lang: str, shown: str
) -> None:
    assert policy.updated_on == date(2026, 12, 7)
    fragment = _html(policy, lang)
    assert f'<time datetime="2026-12-07">{shown}</time>' in fragment
    first = fragment.split("\n")[2]  # after <article> and <h1>
    assert first.startswith('<p class="muted">') and f"<code>{policy.version}</code>" in first
    later = policy.model_copy(update={"updated_on": date(2026, 9, 15)})
    assert '<time datetime="2026-09-15">' in _html(later, lang)


def test_a_policy_without_a_date_still_shows_its_version(policy: Policy) -> None:
    undated = policy.model_copy(update={"updated_on": None})
    text = _text(_html(undated, "en"))
    assert f"Policy version: {undated.version}" in text
    assert "Last updated" not in text


@pytest.mark.parametrize("lang", SUPPORTED)
def test_the_contents_link_to_every_section_and_only_to_them(policy: Policy, lang: str) -> None:
    fragment = _html(policy, lang)
    article = html5lib.parseFragment(fragment, treebuilder="etree", namespaceHTMLElements=False)
    nav = article.find(".//nav[@class='toc']")
    assert nav is not None
    links = [(a.get("href"), a.text) for a in nav.iter("a")]
    headings = [
        (f"#{h.get('id')}", h.text) for h in article.iter("h2") if h.get("id") != "toc-title"
    ]
    assert links == headings
    assert {"#cookies", "#required", "#automated-decisions", "#after-death"} <= {
        href for href, _ in links
    }
    # Without security measures there is no such section, and no link to it.
    bare = _html(policy.model_copy(update={"security": []}), lang)
    assert 'href="#security"' not in bare and 'id="security"' not in bare


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("fr", "Délégué à la protection des données : Camille Martin, dpo@example.org"),
        ("en", "Data protection officer: Camille Martin, dpo@example.org"),
    ],
)
def test_the_dpo_is_named_once_with_the_role_in_the_page_language(
    policy: Policy, lang: str, line: str
) -> None:
    assert line in _text(_html(policy, lang))


@pytest.mark.parametrize("lang", SUPPORTED)
def test_a_dpo_named_by_its_title_only_is_not_named_twice(policy: Policy, lang: str) -> None:
    # The policy of before: the office's French title as the name, and no role.
    dpo = policy.controller.dpo.model_copy(
        update={"name": "Délégué à la protection des données", "role": None}
    )
    controller = policy.controller.model_copy(update={"dpo": dpo})
    old = policy.model_copy(update={"controller": controller})
    view = build_notice(old, lang=lang).controller
    assert view.dpo_name is None
    expected = {"fr": "Délégué à la protection des données", "en": "Data protection officer"}
    assert view.dpo_role == expected[lang]
    text = _text(_html(old, lang))
    assert f"{expected[lang]}{' :' if lang == 'fr' else ':'} dpo@example.org" in text
    if lang == "en":
        assert "Délégué" not in text


def test_whether_data_is_required_follows_each_purpose(policy: Policy) -> None:
    kinds = {pid: p.provision_kind for pid, p in policy.purposes.items()}
    assert kinds["pedagogical_support"] == "contractual"
    assert kinds["billing"] == "statutory"
    assert kinds["newsletter"] == "optional"
    assert kinds["security"] == "automatic"
    view = build_notice(policy, lang="en")
    by_purpose = {p.purpose: p for p in view.provisions}
    assert by_purpose["Billing"].kind == "required by law."
    newsletter = by_purpose[policy.purposes["newsletter"].label.en]
    assert newsletter.kind == "optional."
    assert newsletter.without == "Without it, you simply do not receive the newsletter."
    fr = _text(_html(policy, "fr"))
    assert "Facturation : obligatoire, la loi l'exige. Sans elles" in fr


@pytest.mark.parametrize(
    ("basis", "kind"),
    [
        (LegalBasis.CONTRACT, "contractual"),
        (LegalBasis.LEGAL_OBLIGATION, "statutory"),
        (LegalBasis.CONSENT, "optional"),
        (LegalBasis.LEGITIMATE_INTERESTS, "optional"),
    ],
)
def test_without_a_provision_the_legal_basis_decides(
    policy: Policy, basis: LegalBasis, kind: str
) -> None:
    purpose = policy.purposes["newsletter"].model_copy(
        update={"legal_basis": basis, "provision": None}
    )
    assert purpose.provision_kind == kind
    stated = purpose.model_copy(update={"provision": Provision(kind="automatic")})
    assert stated.provision_kind == "automatic"


@pytest.mark.parametrize("lang", SUPPORTED)
def test_the_cookies_listed_are_the_ones_the_site_sets(policy: Policy, lang: str) -> None:
    view = build_notice(policy, lang=lang)
    assert [c.name for c in view.cookies] == [f"__Host-{c.name}" for c in COOKIES]
    assert all(c.purpose and c.lifetime for c in view.cookies)
    lifetimes = {c.name: c.lifetime for c in view.cookies}
    assert (
        lifetimes["__Host-gardien_device"]
        == {"fr": "pendant 180 jours", "en": "for 180 days"}[lang]
    )
    closed = {
        "fr": "jusqu'à la fermeture de votre navigateur",
        "en": "until you close your browser",
    }
    assert lifetimes["__Host-gardien_session"] == closed[lang]
    text = _text(_html(policy, lang))
    assert all(f"{c.name}" in text for c in view.cookies)
    assert {"fr": "art. 82", "en": "art. 82"}[lang] in text


@pytest.mark.parametrize("lang", SUPPORTED)
def test_automated_decisions_none_or_each_one_listed(policy: Policy, lang: str) -> None:
    assert policy.automated_decisions == []
    none = {"fr": "aucune décision fondée exclusivement", "en": "We take no decision"}[lang]
    assert none in _text(_html(policy, lang))
    decision = Localized(
        fr="Refus automatique d'une inscription sans prérequis validé.",
        en="Automatic refusal of an enrolment without a passed prerequisite.",
    )
    some = _text(_html(policy.model_copy(update={"automated_decisions": [decision]}), lang))
    assert none not in some
    assert decision.in_(lang) in some


@pytest.mark.parametrize(("lang", "law"), [("fr", "art. 85"), ("en", "art. 85")])
def test_directions_after_death_say_where_to_send_them(policy: Policy, lang: str, law: str) -> None:
    fragment = _html(policy, lang)
    section = fragment.split('id="after-death"')[1]
    assert law in section
    assert f'href="mailto:{policy.controller.dpo.email}"' in section


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-02-30", "'2026-02-30' is not a valid value (day is out of range for month)"),
        ("'2026-12-07'", None),
        ("20260601", "a day is written YYYY-MM-DD, e.g. 2026-06-01 (got 20260601)"),
    ],
)
def test_the_update_day_is_checked_on_its_line(value: str, message: str | None) -> None:
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    assert "updated_on: 2026-12-07\n" in text
    broken = text.replace("updated_on: 2026-12-07\n", f"updated_on: {value}\n")
    line = broken.splitlines().index(f"updated_on: {value}") + 1
    if message is None:  # quoted, the day is text: read all the same
        parsed = parse_policy(broken, source="policy.yaml", catalogue=record_catalogue())
        assert parsed.updated_on == date(2026, 12, 7)
        return
    with pytest.raises(PolicyError) as caught:
        parse_policy(broken, source="policy.yaml", catalogue=record_catalogue())
    assert str(caught.value) == f"policy.yaml:{line}: updated_on: {message}"
