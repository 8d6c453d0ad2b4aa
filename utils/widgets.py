"""The configuration form of notebook 00 (ipywidgets), with inline validation.

The form validates with the same functions as `utils.config` (so the widgets and a
headless run accept exactly the same values). Save stays disabled while any field is
invalid; clicking it writes `workshop_config.json`. Everything is also reachable from
code (`form.set(...)`, `form.save()`), which the tests use without a browser.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from . import config, validation
from .lang import _, current


def geography_note(region: str) -> str:
    """In Tokyo and Osaka, a short note on choosing between the jp., apac. and global. inference profiles (HTML).

    The jp. profiles route only between ap-northeast-1 and ap-northeast-3, so inference stays in Japan; apac.
    profiles route among Asia Pacific Regions; global. profiles to any commercial Region (Amazon Bedrock User Guide,
    "Supported Regions and models for inference profiles"; AWS blog, "日本国内クロスリージョン推論のご紹介").
    The Regions come from awsfacts; the form lists the profiles the Region offers.
    """
    from awsfacts import bedrock as facts

    if region not in facts.JP:  # the Regions the jp. profiles route between
        return ""
    return "<small>" + html.escape(_(
        "Inference profiles here: jp. routes only between Tokyo (ap-northeast-1) and Osaka (ap-northeast-3), so "
        "inference stays in Japan; apac. routes among Asia Pacific Regions, outside Japan too; global. routes to "
        "any commercial Region (the most throughput, no geographic limit). Choose a jp. profile when data must stay "
        "in Japan.")) + "</small>"


class ConfigForm:
    """Target, account ID, region, model and prefix, with feedback and a Save button.

    - `initial`: starting values (utils.config.resolve()).
    - `models_for(region)`: the (label, id) choices a region offers; called when the region changes.
    - `sts_account`: the account the credentials belong to (prefill, and a mismatch check).
    """

    def __init__(self, initial: dict, *, models_for: Callable[[str], list[tuple[str, str]]] | None = None,
                 regions: list[str] | None = None, sts_account: str | None = None, path: Path | None = None):
        import ipywidgets as w

        self._w = w
        self.path = path
        self.sts_account = sts_account
        self.models_for = models_for
        self.saved: config.WorkshopConfig | None = None
        # The language this notebook runs in (utils.lang), saved with the rest: every helper speaks it afterwards.
        self.lang = validation.language(initial.get("lang") or current())
        self._auto_model = False
        self._setting_default = False
        self.active_target = initial.get("target") or "sandbox"
        self._offered: list[str] | None = None
        style = {"description_width": "110px"}
        layout = w.Layout(width="520px")
        # Wide enough buttons: JupyterLab's default width cuts "Sandbox (local, offline)" short.
        self.target = w.ToggleButtons(options=[(_("Sandbox (local, offline)"), "sandbox"), (_("AWS account"), "aws")],
                                      value=initial.get("target") or "sandbox", description=_("Target"),
                                      style={**style, "button_width": "200px"})
        self.account = w.Text(value=str(initial.get("account_id") or sts_account or ""), description=_("Account ID"),
                              placeholder=_("12 digits, e.g. from the console's account menu"),
                              continuous_update=False, style=style, layout=layout)
        region_list = regions or validation.bedrock_regions()
        start_region = str(initial.get("region") or config.DEFAULT_REGION).strip()  # a pasted " eu-west-1 " too
        options = list(region_list) if start_region in region_list else [start_region, *region_list]
        self.region = w.Dropdown(options=options, value=start_region, description=_("Region"), style=style,
                                 layout=layout)
        self.model = w.Combobox(value=str(initial.get("model_id") or ""), options=[], description=_("Model"),
                                placeholder=_("model or inference-profile ID"), ensure_option=False, style=style,
                                layout=layout)
        self.model_label = w.HTML(layout=w.Layout(margin="0 0 4px 118px"))  # under the field, not the label
        self.geo_note = w.HTML(layout=w.Layout(margin="0 0 4px 118px", max_width="600px"))  # jp./apac./global.
        self.prefix = w.Text(value=str(initial.get("prefix") or ""), description=_("Prefix"),
                             placeholder=_("optional, for shared accounts: e.g. alice"), style=style, layout=layout)
        self.feedback = w.HTML()
        self.save_button = w.Button(description=_("Save"), button_style="success", icon="save")
        self.status = w.HTML()
        self.save_button.on_click(lambda _b: self._on_save())
        for widget in (self.target, self.account, self.model, self.prefix):
            widget.observe(self._on_change, names="value")
        self.region.observe(self._on_region, names="value")
        self._refresh_models(start_region, keep=initial.get("model_id"))
        self._on_change()

    # ---- state
    def values(self) -> dict:
        return {"target": self.target.value, "account_id": self.account.value, "region": self.region.value,
                "model_id": self.model.value, "prefix": self.prefix.value, "lang": self.lang}

    def problems(self) -> dict[str, str]:
        found = config.errors(self.values(), self._offered)
        if "account_id" not in found and self.sts_account:
            account = validation.account_id(self.account.value)
            if account != self.sts_account:
                found["account_id"] = (_("The account ID {account} differs from the account of your credentials "
                                         "({sts_account}). Use that one, or switch credentials.").format(
                                           account=account, sts_account=self.sts_account))
        return found

    @property
    def valid(self) -> bool:
        return not self.problems()

    def set(self, **values) -> None:
        """Set fields from code, e.g. form.set(account_id="1234-5678-9012", region="eu-west-1")."""
        mapping = {"target": self.target, "account_id": self.account, "region": self.region, "model_id": self.model,
                   "prefix": self.prefix}
        for key, value in values.items():
            mapping[key].value = value

    # ---- events
    def _refresh_models(self, region: str, keep: str | None = None) -> None:
        """List the Region's models. An explicit choice is never replaced: if the Region cannot serve it, it stays
        in the field with the reason (problems() -> Save disabled). Only a value the form filled in itself (the
        default) follows the Region."""
        from .models import default_model_id

        choices: list[tuple[str, str]] = []
        if self.models_for:
            try:
                choices = self.models_for(region)
            except Exception as exc:  # shown, not raised: the learner can still type an ID
                self.model_label.value = ("<span style='color:#b45309'>"
                                          + html.escape(_("Could not list models: {error}").format(error=exc)))
                choices = []
        self.geo_note.value = geography_note(region)
        self._choices = dict((mid, label) for label, mid in choices)
        ids = [mid for _, mid in choices]
        offer = getattr(choices, "offer", None)  # utils.models.Choices carries the Region's Offer (may be empty)
        self._offered = offer if offer is not None else (ids or None)
        self.model.options = ids
        current = (keep if keep is not None else self.model.value) or ""
        if not current.strip() or getattr(self, "_auto_model", False):
            current = default_model_id(region, ids or None)
            self._auto_model = True
        self._setting_default = True
        try:
            self.model.value = current
        finally:
            self._setting_default = False

    def _on_region(self, change) -> None:
        self._refresh_models(change["new"])
        self._on_change()

    def _on_change(self, change=None) -> None:
        if change is not None and change.get("owner") is self.model and not getattr(self, "_setting_default", False):
            self._auto_model = False  # the learner typed or picked a model: from now on it is their choice
        # Normalise the account ID in place once it is valid (e.g. 1234-5678-9012 -> 123456789012).
        if change is not None and change.get("owner") is self.account:
            try:
                normal = validation.account_id(self.account.value)
                if normal != self.account.value:
                    self.account.value = normal
                    return  # the assignment fires _on_change again
            except validation.InvalidInput:
                pass
        problems = self.problems()
        if self._offered is not None and self.model.value in getattr(self, "_choices", {}):
            self.model_label.value = f"<small>{html.escape(self._choices[self.model.value])}</small>"
        elif "model_id" in problems:
            self.model_label.value = f"<span style='color:#b91c1c'>{html.escape(problems['model_id'])}</span>"
        elif self.model_label.value.startswith("<span style='color:#b91c1c'>"):
            self.model_label.value = ""  # the model's earlier problem is fixed
        self.save_button.disabled = bool(problems)
        if problems:
            items = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in problems.items())
            self.feedback.value = f"<div style='color:#b91c1c'><ul>{items}</ul></div>"
        else:
            valid = html.escape(_("All values are valid. Click Save."))
            self.feedback.value = f"<div style='color:#15803d'>{valid}</div>"
        if self.target.value != self.active_target:
            note = html.escape(_("This kernel runs against {target}. After saving, restart the kernel and run this "
                                 "notebook again to switch.").format(target=self.active_target))
            self.feedback.value += f"<div style='color:#b45309'>{note}</div>"
        self.status.value = ""

    def _on_save(self) -> None:
        try:
            cfg = self.save()
        except (validation.InvalidInput, config.ConfigError) as exc:
            not_saved = html.escape(_("Not saved: {error}").format(error=exc))
            self.status.value = f"<span style='color:#b91c1c'>{not_saved}</span>"
            return
        where = config.config_path() if self.path is None else self.path
        saved = _("Saved to {path}: {region}, {model}, target {target}.").format(
            path=where, region=cfg.region, model=cfg.model_id, target=cfg.target)
        self.status.value = f"<span style='color:#15803d'>{html.escape(saved)}</span>"

    def save(self) -> config.WorkshopConfig:
        """Validate and write the file (what the Save button does). Raises on invalid input; writes nothing then."""
        problems = self.problems()
        if problems:
            field, message = next(iter(problems.items()))
            raise validation.InvalidInput(f"{field}: {message}", _("Fix the field and save again."))
        cfg = config.validate(self.values(), self._offered)
        config.save(cfg, self.path)
        self.saved = cfg
        return cfg

    # ---- display
    @property
    def widget(self):
        w = self._w
        return w.VBox([self.target, self.account, self.region, self.model, self.model_label, self.geo_note, self.prefix,
                       self.feedback, w.HBox([self.save_button, self.status])])

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
