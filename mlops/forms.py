"""Forms behind the MLOps admin buttons: each validates input for one `<kind>_run_start` service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from mlops import selectors
from mlops.benchmark import BenchmarkOptions
from mlops.models import GenerationRun, ModelStatus, ModelVersion, RunStatus


def _preset_choices() -> list[tuple[str, str]]:
    from mlops.core.train import PRESETS, preset

    choices = []
    for name in PRESETS:
        recipe = preset(name)
        choices.append(
            (
                name,
                f"{name}: {recipe.n_train:,} messages, {recipe.config.epochs:g} epochs, "
                f"up to {recipe.config.max_length} tokens",
            )
        )
    return choices


def _next_seed() -> int:
    last = GenerationRun.objects.order_by("-seed").values_list("seed", flat=True).first()
    return (last or 0) + 1


class GenerationForm(forms.Form):
    n_train = forms.IntegerField(label="Training messages", min_value=7, max_value=200_000)
    n_test = forms.IntegerField(label="Test messages", min_value=7, max_value=50_000)
    seed = forms.IntegerField(min_value=0, help_text="Same seed and sizes, same data.")
    source = forms.ChoiceField(
        choices=[
            ("offline", "offline generator (no API call, $0)"),
            ("llm", "LLM generator (OpenAI-compatible API; needs OPENAI_API_KEY)"),
        ],
        initial="offline",
        label="Training-set source",
        help_text="The test set always comes from the independent offline test generator.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["n_train"].initial = 9000
        self.fields["n_test"].initial = 1200
        self.fields["seed"].initial = _next_seed()


class TrainingForm(forms.Form):
    generation = forms.ModelChoiceField(
        queryset=GenerationRun.objects.none(), label="Dataset (generation run)"
    )
    preset = forms.ChoiceField(choices=_preset_choices, initial="full")
    include_calibration_labels = forms.BooleanField(required=False)
    max_steps = forms.IntegerField(required=False, min_value=1, help_text="Optional cap.")
    epochs = forms.FloatField(required=False, min_value=0.01, help_text="Default: the preset's.")
    base_model = forms.CharField(
        required=False,
        max_length=300,
        help_text="A checkpoint directory (or hub id where the hub is reachable). "
        "Default: the packaged all-MiniLM-L6-v2.",
    )
    seed = forms.IntegerField(min_value=0, initial=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["generation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = GenerationRun.objects.filter(status=RunStatus.SUCCEEDED).order_by(
            "-created_at"
        )
        field.initial = selectors.latest_generation()
        self.fields["include_calibration_labels"].help_text = (
            f"Add reviewers' corrections to the training set "
            f"({selectors.calibration_label_count()} messages labelled so far)."
        )


class BenchmarkForm(forms.Form):
    model_versions = forms.ModelMultipleChoiceField(
        queryset=ModelVersion.objects.none(),
        required=False,
        help_text="Default: the active model and the newest candidate.",
    )
    generation = forms.ModelChoiceField(
        queryset=GenerationRun.objects.none(),
        required=False,
        help_text="Its test set is synthetic_test and its training set trains the TF-IDF "
        "baseline. Default: the latest.",
    )
    deberta = forms.BooleanField(
        required=False,
        initial=True,
        label="DeBERTa-v3-base-sized timing model",
        help_text="The reference's size with random weights, timed here (adds about a minute; "
        "the first run builds a 740 MB checkpoint).",
    )
    tfidf = forms.BooleanField(required=False, initial=True, label="TF-IDF baseline")
    llm = forms.BooleanField(required=False, initial=True, label="LLM baselines")
    speed_runs = forms.IntegerField(min_value=5, max_value=5000, initial=200)
    fresh_process = forms.BooleanField(
        required=False,
        initial=True,
        label="Cold start in a fresh process",
        help_text="Imports, load and first answer, as a new worker pays them (a few seconds per "
        "model); unticked, only the load inside this process is timed.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        versions = self.fields["model_versions"]
        assert isinstance(versions, forms.ModelMultipleChoiceField)
        versions.queryset = ModelVersion.objects.order_by("-created_at")
        versions.initial = [
            mv.pk for mv in (selectors.active_model(), selectors.newest_candidate()) if mv
        ]
        generation = self.fields["generation"]
        assert isinstance(generation, forms.ModelChoiceField)
        generation.queryset = GenerationRun.objects.filter(status=RunStatus.SUCCEEDED)
        generation.initial = selectors.latest_generation()
        keys = [
            name
            for name, key in (
                ("Anthropic", settings.ANTHROPIC_API_KEY),
                ("OpenAI", settings.OPENAI_API_KEY),
            )
            if key
        ]
        self.fields["llm"].help_text = (
            f"Configured: {', '.join(keys)}. Sends synthetic and public texts only, never "
            "reviewers' labels."
            if keys
            else "No ANTHROPIC_API_KEY or OPENAI_API_KEY configured: skipped."
        )

    def options(self) -> BenchmarkOptions:
        data = self.cleaned_data
        return BenchmarkOptions(
            deberta=data["deberta"],
            deberta_int8=data["deberta"],
            tfidf=data["tfidf"],
            llm=data["llm"],
            speed_runs=data["speed_runs"],
            cold_start="process" if data["fresh_process"] else "in_process",
        )


class CalibrationForm(forms.Form):
    model_version = forms.ModelChoiceField(queryset=ModelVersion.objects.none())
    target_precision = forms.FloatField(min_value=0.5, max_value=0.999, initial=0.95)
    source = forms.ChoiceField(
        choices=[
            ("auto", "reviewers' labels when there are enough, else held-out synthetic"),
            ("labels", "reviewers' labels"),
            ("synthetic", "held-out synthetic messages"),
        ],
        initial="auto",
    )
    n_synthetic = forms.IntegerField(
        min_value=50,
        max_value=20_000,
        initial=1000,
        label="Held-out synthetic messages",
        help_text="Used when there are too few reviewer labels.",
    )
    apply = forms.BooleanField(
        required=False,
        initial=True,
        label="Apply the temperature to the model",
        help_text="For the active model this changes the served confidences within a second.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["model_version"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ModelVersion.objects.exclude(status=ModelStatus.RETIRED).order_by(
            "-created_at"
        )
        field.initial = selectors.active_model() or selectors.newest_candidate()


class PipelineForm(forms.Form):
    preset = forms.ChoiceField(choices=_preset_choices, initial="full")
    include_calibration_labels = forms.BooleanField(required=False)
    deberta = forms.BooleanField(
        required=False, initial=True, label="Time the DeBERTa-v3-base-sized model"
    )
    fresh_process = forms.BooleanField(
        required=False, initial=True, label="Cold start in a fresh process"
    )
    speed_runs = forms.IntegerField(
        min_value=5, max_value=5000, initial=200, help_text="Single-message timings per model."
    )
    n_train = forms.IntegerField(
        required=False, min_value=7, max_value=200_000, help_text="Default: the preset's size."
    )
    n_test = forms.IntegerField(min_value=7, max_value=50_000, initial=1200)
    max_steps = forms.IntegerField(
        required=False, min_value=1, help_text="Optional cap on training steps (a quick trial)."
    )
    base_model = forms.CharField(
        required=False, max_length=300, help_text="Default: the packaged all-MiniLM-L6-v2."
    )

    def options(self) -> BenchmarkOptions:
        data = self.cleaned_data
        return BenchmarkOptions(
            deberta=data["deberta"],
            deberta_int8=data["deberta"],
            speed_runs=data["speed_runs"],
            cold_start="process" if data["fresh_process"] else "in_process",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "include_calibration_labels"
        ].help_text = (
            f"{selectors.calibration_label_count()} messages labelled by reviewers so far."
        )
