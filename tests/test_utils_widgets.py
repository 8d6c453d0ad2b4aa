"""Notebook 00's form without a browser: build the widgets, set values, read the feedback, click Save."""

from __future__ import annotations

import json

import pytest

from utils import config
from utils.validation import InvalidInput
from utils.widgets import ConfigForm

US = [("Nova Micro (profile)", "us.amazon.nova-micro-v1:0"), ("Nova Micro", "amazon.nova-micro-v1:0"),
      ("Nova Lite (profile)", "us.amazon.nova-lite-v1:0")]
EU = [("Nova Micro (EU profile)", "eu.amazon.nova-micro-v1:0"), ("Nova Micro", "amazon.nova-micro-v1:0")]


def models_for(region):
    return US if region.startswith("us-") else EU


@pytest.fixture
def path(tmp_path, monkeypatch):
    p = tmp_path / "workshop_config.json"
    monkeypatch.setenv("WORKSHOP_CONFIG", str(p))
    for var in config.ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
    return p


def make(**initial):
    start = {"target": "sandbox", "region": "us-east-1", "account_id": None, "model_id": None, "prefix": ""}
    start.update(initial)
    return ConfigForm(start, models_for=models_for, sts_account="012345678901")


def test_prefilled_from_sts_with_the_default_model(path):
    form = make()
    assert form.account.value == "012345678901"
    assert form.model.value == "us.amazon.nova-micro-v1:0"
    assert list(form.model.options) == [mid for _, mid in US]
    assert form.problems() == {}
    assert form.save_button.disabled is False
    assert "All values are valid" in form.feedback.value


def test_only_bedrock_regions_are_offered(path):
    form = make()
    assert "us-east-1" in form.region.options
    assert "ap-east-1" not in form.region.options  # no Amazon Bedrock there


@pytest.mark.parametrize("bad", ["12345678901", "1234567890123", "12345678901x", "  ", "1234-5678-901"])
def test_invalid_account_disables_save_and_explains(path, bad):
    form = make()
    form.set(account_id=bad)
    assert form.save_button.disabled is True
    assert "account_id" in form.problems()
    assert "account_id" in form.feedback.value and "color:#b91c1c" in form.feedback.value
    form.save_button.click()  # disabled in the browser; a programmatic click must still write nothing
    assert not path.exists()
    with pytest.raises(InvalidInput):
        form.save()
    assert not path.exists()


def test_console_format_is_normalised_in_the_field(path):
    form = make()
    form.set(account_id="0123-4567-8901")
    assert form.account.value == "012345678901"
    assert form.save_button.disabled is False


def test_account_of_other_credentials_is_flagged(path):
    form = make()
    form.set(account_id="999999999999")
    assert "differs from the account of your credentials" in form.problems()["account_id"]
    assert form.save_button.disabled is True


def test_region_change_refreshes_models_and_keeps_geography_right(path):
    form = make()
    form.set(region="eu-central-1")
    assert list(form.model.options) == [mid for _, mid in EU]
    assert form.model.value == "eu.amazon.nova-micro-v1:0"
    assert form.problems() == {}


def test_model_from_another_geography_is_refused(path):
    form = make()
    form.set(model_id="eu.amazon.nova-micro-v1:0")
    assert "model_id" in form.problems()
    assert form.save_button.disabled is True


def test_end_of_life_model_is_refused(path):
    form = make()
    form.set(model_id="anthropic.claude-instant-v1")
    assert "end of life" in form.problems()["model_id"]
    assert form.save_button.disabled is True


def test_bad_prefix_then_fixed(path):
    form = make()
    form.set(prefix="Team_3")
    assert "prefix" in form.problems() and form.save_button.disabled
    form.set(prefix="team-3")
    assert form.problems() == {} and not form.save_button.disabled


def test_click_save_writes_the_file(path):
    form = make()
    form.set(account_id="0123-4567-8901", region="us-west-2", prefix="alice", target="sandbox")
    form.save_button.click()
    assert "Saved to" in form.status.value
    assert json.loads(path.read_text()) == {"target": "sandbox", "region": "us-west-2", "account_id": "012345678901",
                                            "model_id": "us.amazon.nova-micro-v1:0", "prefix": "alice",
                                            "lang": "en"}  # the language this form ran in (utils.lang)
    assert config.load().stack_name == "alice-Bedrock-GenAI-Stack"
    assert form.saved is not None and form.saved.prefix == "alice"


def test_save_method_is_what_headless_runs_use(path):
    form = make(account_id="012345678901", model_id="us.amazon.nova-lite-v1:0")
    cfg = form.save()
    assert cfg.model_id == "us.amazon.nova-lite-v1:0"
    assert config.load() == cfg


def test_model_listing_failure_is_shown_not_raised(path):
    def broken(region):
        raise RuntimeError("bedrock unreachable")

    form = ConfigForm({"target": "sandbox", "region": "us-east-1"}, models_for=broken, sts_account=None)
    assert "Could not list models" in form.model_label.value
    assert form.model.value == "us.amazon.nova-micro-v1:0"  # the default still applies


def test_widget_tree_builds(path):
    form = make()
    box = form.widget
    assert form.save_button in box.children[-1].children


def test_switching_target_says_to_rerun(path):
    form = make()
    form.set(target="aws")
    assert "run this notebook again" in form.feedback.value
    assert form.problems() == {}  # a valid choice: saved, then applied by re-running 00


# ---------------------------------------------------------------- a choice is never silently replaced (issue 12)


def test_an_explicit_model_the_region_does_not_offer_stays_and_is_explained(path):
    form = make(model_id="eu.amazon.nova-micro-v1:0")  # e.g. from WORKSHOP_MODEL_ID
    assert form.model.value == "eu.amazon.nova-micro-v1:0"  # not swapped for the default
    assert "geography" in form.problems()["model_id"]
    assert "geography" in form.model_label.value and "color:#b91c1c" in form.model_label.value
    assert form.save_button.disabled is True
    with pytest.raises(InvalidInput):
        form.save()
    assert not path.exists()


def test_a_chosen_model_survives_a_region_change_and_is_flagged(path):
    form = make()
    form.set(model_id="us.amazon.nova-lite-v1:0")
    form.set(region="eu-central-1")
    assert form.model.value == "us.amazon.nova-lite-v1:0"
    assert "model_id" in form.problems() and form.save_button.disabled


def test_the_default_follows_the_region_until_the_learner_chooses(path):
    form = make()
    form.set(region="eu-central-1")
    assert form.model.value == "eu.amazon.nova-micro-v1:0"
    form.set(region="us-west-2")
    assert form.model.value == "us.amazon.nova-micro-v1:0"


def test_a_region_pasted_with_blanks_is_trimmed(path):
    form = make(region=" eu-central-1 ")
    assert form.region.value == "eu-central-1"
    assert form.problems() == {}


@pytest.fixture
def live_form(aws, path):
    """The form as notebook 00 builds it, on the sandbox's live lists (models.choices carries the Offer)."""
    from utils import models

    def models_for(region):
        return models.choices(models.catalog(aws("bedrock", region)), region)

    def build(**initial):
        start = {"target": "sandbox", "region": "us-east-1", "account_id": "012345678901", "model_id": None,
                 "prefix": ""}
        start.update(initial)
        return ConfigForm(start, models_for=models_for, sts_account="012345678901")

    return build


@pytest.mark.parametrize(("model_id", "words", "alternative"), [
    ("anthropic.claude-3-haiku-20240307-v1:0", "end of life", "us.amazon.nova-micro-v1:0"),
    ("eu.amazon.nova-micro-v1:0", "geography", "us.amazon.nova-micro-v1:0"),
    ("anthropic.claude-haiku-4-5-20251001-v1:0", "only through inference profiles",
     "us.anthropic.claude-haiku-4-5-20251001-v1:0"),
    ("amazon.titan-embed-text-v2:0", "not a text model", "us.amazon.nova-micro-v1:0"),
    ("us.amazon.nova-premier-v1:0", "LEGACY", "us.amazon.nova-micro-v1:0"),
])
def test_the_field_says_why_a_model_cannot_work_and_what_the_region_offers(live_form, model_id, words, alternative):
    form = live_form(model_id=model_id)
    assert form.model.value == model_id
    message = form.problems()["model_id"]
    assert words in message and alternative in message, message
    assert html_escape(message) in form.model_label.value
    assert form.save_button.disabled is True


def test_the_default_is_offered_in_ap_northeast_3(live_form):
    form = live_form(region="ap-northeast-3")
    assert form.model.value in form.model.options
    assert form.problems() == {}


def html_escape(text):
    import html

    return html.escape(text)


def test_the_field_message_goes_when_the_model_is_fixed(path):
    form = make(model_id="eu.amazon.nova-micro-v1:0")
    assert "geography" in form.model_label.value
    form.set(model_id="us.amazon.nova-lite-v1:0")
    assert "geography" not in form.model_label.value and form.problems() == {}
    assert form.save_button.disabled is False


@pytest.mark.parametrize("region", ["ap-northeast-1", "ap-northeast-3"])
def test_tokyo_and_osaka_offer_the_jp_profiles_and_explain_the_choice(live_form, region, monkeypatch):
    """Issue 10, item 6: the form lists the jp. profiles the Region offers, with a note on jp. / apac. / global."""
    form = live_form(region=region)
    jp = [m for m in form.model.options if m.startswith("jp.")]
    assert "jp.anthropic.claude-haiku-4-5-20251001-v1:0" in jp, list(form.model.options)
    note = form.geo_note.value
    for words in ("jp.", "Tokyo (ap-northeast-1)", "Osaka (ap-northeast-3)", "stays in Japan", "apac.", "global."):
        assert words in note, note
    form.set(model_id=jp[0])
    assert form.problems() == {} and form.save_button.disabled is False
    monkeypatch.setenv("WORKSHOP_LANG", "ja")
    assert "推論は日本国内にとどまります" in live_form(region=region).geo_note.value


def test_no_japan_note_outside_japan(live_form):
    assert live_form(region="us-east-1").geo_note.value == ""
    assert live_form(region="ap-southeast-2").geo_note.value == ""


def test_the_form_speaks_japanese_under_workshop_lang_ja(path, monkeypatch):
    """Issue 10, item 5: the validation messages a learner acts on are Japanese (WORKSHOP_LANG=ja, or a kernel
    started in notebooks/ja/); the field values stay as typed."""
    monkeypatch.setenv("WORKSHOP_LANG", "ja")
    form = make()
    assert form.save_button.description == "保存" and form.account.description == "アカウント ID"
    assert "すべての値が有効です。「保存」を選択してください。" in form.feedback.value
    form.set(account_id="12345678901")
    assert form.problems()["account_id"].startswith("アカウント ID '12345678901' は 12 桁ではなく 11 桁です。")
    assert "`aws sts get-caller-identity` からもう一度コピーしてください。" in form.problems()["account_id"]
    assert form.save_button.disabled is True
    form.set(account_id="012345678901", prefix="Alice")
    assert "小文字を使ってください: 'alice'。" in form.problems()["prefix"]
    with pytest.raises(InvalidInput, match="項目を修正して、もう一度保存してください。"):
        form.save()
    assert not path.exists()
    form.set(prefix="alice", account_id="999999999999")
    assert "認証情報のアカウント (012345678901) と異なります" in form.problems()["account_id"]


def test_the_waits_speak_japanese(monkeypatch, capsys):
    from utils import waiting

    monkeypatch.setenv("WORKSHOP_LANG", "ja")
    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")
    with pytest.raises(waiting.WaitTimeout, match=r"待機を打ち切りました: the endpoint \(待機 [0-9.]+ 秒、上限 0 秒\)"):
        waiting.wait_until(lambda: False, what="the endpoint", timeout=0.3, interval=0.05)


def test_the_field_says_in_japanese_why_a_model_cannot_work(live_form, monkeypatch):
    monkeypatch.setenv("WORKSHOP_LANG", "ja")
    form = live_form(region="ap-northeast-1", model_id="anthropic.claude-haiku-4-5-20251001-v1:0")
    message = form.problems()["model_id"]
    assert "は、ap-northeast-1 では推論プロファイル経由でのみ提供されています" in message, message
    assert "jp.anthropic.claude-haiku-4-5-20251001-v1:0" in message, message
    assert html_escape(message) in form.model_label.value and form.save_button.disabled is True
