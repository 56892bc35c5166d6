"""HTML views for reviewers, practice admins and ML staff.

Every practice page goes through `practice_view`: the practice comes from the URL, the user
must be a member (404 otherwise, so another practice's slugs and ids reveal nothing) and hold
one of the page's roles (403 otherwise). Objects are then looked up within that practice only.
Views validate, call one service and render.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, Concatenate, ParamSpec

from django.contrib import messages as flash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clarioscope.errors import ApplicationError
from clarioscope.taxonomy import CHANNELS, DESTINATIONS, INTENTS
from intake.models import Membership, Message, ReviewItem, ReviewStatus, Role
from intake.routing import destination_for
from review import charts, exports, selectors, services
from review.forms import (
    DateRangeForm,
    DecisionForm,
    EscalateForm,
    ExportForm,
    LockoutAuthenticationForm,
    PracticeSettingsForm,
)
from review.models import ExportStatus

SESSION_PRACTICE = "practice_id"
SKIPPED_KEY = "skipped:{practice_id}"
MAX_SKIPPED = 500

P = ParamSpec("P")
PracticeView = Callable[Concatenate[HttpRequest, Membership, P], HttpResponseBase]


def practice_view(
    roles: frozenset[str],
) -> Callable[[PracticeView[P]], Callable[..., HttpResponseBase]]:
    def decorate(view: PracticeView[P]) -> Callable[..., HttpResponseBase]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            membership = selectors.membership_for(user=request.user, slug=slug)
            if membership is None:
                raise Http404("No such practice.")
            if membership.role not in roles:
                raise PermissionDenied("Your role in this practice does not allow this page.")
            if request.session.get(SESSION_PRACTICE) != membership.practice_id:
                request.session[SESSION_PRACTICE] = membership.practice_id
            return view(request, membership, *args, **kwargs)

        return wrapped

    return decorate


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # practice_view requires a signed-in user
    return user


def _error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return render(request, "review/_error.html", {"message": exc.message}, status=exc.status_code)


# --- sign-in and landing -----------------------------------------------------------------


class LoginView(auth_views.LoginView):
    form_class = LockoutAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> HttpResponse:
        username = str(self.request.POST.get("username", ""))
        # A refused attempt while locked does not extend the lock: the window runs from the
        # failures that caused it.
        if username and not form.locked:
            services.login_failure_record(username=username)
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        services.login_failures_clear(username=form.get_user().get_username())
        return super().form_valid(form)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each user where their work is; a member of several practices picks one first."""
    memberships = selectors.user_memberships(user=request.user)
    if not memberships:
        return render(request, "review/no_access.html", status=403)
    if len(memberships) == 1:
        return redirect("review:practice_home", slug=memberships[0].practice.slug)
    current = request.session.get(SESSION_PRACTICE)
    for membership in memberships:
        if membership.practice_id == current:
            return redirect("review:practice_home", slug=membership.practice.slug)
    return redirect("review:practice_choose")


@login_required
def practice_choose(request: HttpRequest) -> HttpResponse:
    memberships = selectors.user_memberships(user=request.user)
    if not memberships:
        return render(request, "review/no_access.html", status=403)
    return render(request, "review/practice_choose.html", {"memberships": memberships})


ROLE_HOME = {
    Role.REVIEWER: "review:queue",
    Role.PRACTICE_ADMIN: "review:dashboard",
    Role.ML_STAFF: "review:exports",
}


@practice_view(frozenset(Role.values))
def practice_home(request: HttpRequest, membership: Membership) -> HttpResponse:
    return redirect(ROLE_HOME[Role(membership.role)], slug=membership.practice.slug)


# --- reviewer: queue and work page ------------------------------------------------------


def _skipped(request: HttpRequest, membership: Membership) -> list[int]:
    return list(request.session.get(SKIPPED_KEY.format(practice_id=membership.practice_id), []))


def _intent_rows(message: Message) -> list[dict[str, Any]]:
    probabilities = message.probabilities or {}
    ranked = [label for label, _ in selectors.top_intents(message, limit=3)]
    return [
        {
            "key": number,
            "intent": intent,
            "name": intent.replace("_", " "),
            "probability": probabilities.get(intent),
            "percent": round(100 * float(probabilities.get(intent) or 0.0), 1),
            "rank": ranked.index(intent) + 1 if intent in ranked else None,
            "predicted": intent == message.label,
        }
        for number, intent in enumerate(INTENTS, start=1)
    ]


def _item_context(
    request: HttpRequest, membership: Membership, message: Message, item: ReviewItem | None
) -> dict[str, Any]:
    slug = membership.practice.slug
    return {
        "membership": membership,
        "practice": membership.practice,
        "item": item,
        "message": message,
        "intent_rows": _intent_rows(message),
        "decide_url": reverse("review:decide", kwargs={"slug": slug, "message_id": message.pk}),
        "raw_url": reverse("review:raw", kwargs={"slug": slug, "message_id": message.pk}),
        "skip_url": reverse("review:skip", kwargs={"slug": slug, "item_id": item.pk})
        if item
        else "",
        "escalate_url": reverse("review:escalate", kwargs={"slug": slug, "item_id": item.pk})
        if item and item.status == ReviewStatus.OPEN
        else "",
        "message_url": reverse("review:message", kwargs={"slug": slug, "message_id": message.pk}),
    }


def _show_item(
    request: HttpRequest, membership: Membership, item: ReviewItem, via: str
) -> dict[str, Any]:
    services.message_view_record(
        user=_user(request),
        practice=membership.practice,
        message_id=item.message_id,
        item=item,
        via=via,
    )
    return _item_context(request, membership, item.message, item)


def _render_item(
    request: HttpRequest, membership: Membership, item: ReviewItem | None, via: str
) -> str:
    if item is None:
        return ""
    return render_to_string(
        "review/_item.html", _show_item(request, membership, item, via), request=request
    )


@practice_view(selectors.REVIEW_ROLES)
@require_GET
def queue(request: HttpRequest, membership: Membership) -> HttpResponse:
    practice = membership.practice
    filters = selectors.QueueFilters.from_query(request.GET)
    items, total = selectors.queue_page(practice=practice, filters=filters)
    context = {
        "membership": membership,
        "practice": practice,
        "filters": filters,
        "filter_query": urlencode(filters.as_query()),
        "items": items,
        "total": total,
        "escalated": selectors.escalated_items(practice=practice)
        if membership.role == Role.PRACTICE_ADMIN
        else [],
        "channels": CHANNELS,
        "intents": [*INTENTS, selectors.UNCLASSIFIED],
        "destinations": DESTINATIONS,
    }
    return render(request, "review/queue.html", context)


@practice_view(selectors.REVIEW_ROLES)
@require_GET
def work(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The keyboard-first review page: the current item, and the next one already loaded."""
    practice = membership.practice
    user = _user(request)
    filters = selectors.QueueFilters.from_query(request.GET)
    skipped = _skipped(request, membership)
    current: ReviewItem | None = None
    first = request.GET.get("first", "")
    if first.isdigit():
        candidate = selectors.review_item_for(practice=practice, item_id=int(first))
        if candidate is not None and candidate.claimed_by_id == user.pk:
            current = candidate
    if current is None:
        current = services.review_claim_next(
            reviewer=user, practice=practice, filters=filters, exclude_ids=skipped
        )
    following = None
    if current is not None:
        following = services.review_claim_next(
            reviewer=user,
            practice=practice,
            filters=filters,
            exclude_ids=[*skipped, current.pk],
        )
    context: dict[str, Any] = {
        "membership": membership,
        "practice": practice,
        "filters": filters,
        "filter_query": urlencode(filters.as_query()),
        "current": _render_item(request, membership, current, "review"),
        "following": _render_item(request, membership, following, "preload"),
        "next_url": reverse("review:next", kwargs={"slug": practice.slug}),
        "undo_url": reverse("review:undo", kwargs={"slug": practice.slug}),
        "intents": INTENTS,
    }
    return render(request, "review/work.html", context)


@practice_view(selectors.REVIEW_ROLES)
@require_POST
def next_item(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Claim and render the next item (the page preloads it while the reviewer reads)."""
    exclude = [int(i) for i in request.POST.get("exclude", "").split(",") if i.strip().isdigit()]
    filters = selectors.QueueFilters.from_query(request.POST)
    item = services.review_claim_next(
        reviewer=_user(request),
        practice=membership.practice,
        filters=filters,
        exclude_ids=[*_skipped(request, membership), *exclude],
    )
    if item is None:
        return render(request, "review/_empty.html", {"membership": membership})
    context = _show_item(request, membership, item, "preload")
    return render(request, "review/_item.html", context)


@practice_view(selectors.REVIEW_ROLES)
@require_POST
def claim(request: HttpRequest, membership: Membership, item_id: int) -> HttpResponse:
    """Open one item from the queue list: lease it, then review it on the work page."""
    try:
        services.review_claim(
            reviewer=_user(request), practice=membership.practice, item_id=item_id
        )
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404(exc.message) from exc
        flash.error(request, exc.message)
        return redirect("review:queue", slug=membership.practice.slug)
    url = reverse("review:work", kwargs={"slug": membership.practice.slug})
    return redirect(f"{url}?{urlencode({'first': item_id})}")


@practice_view(selectors.REVIEW_ROLES)
@require_POST
def decide(request: HttpRequest, membership: Membership, message_id: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return render(
            request, "review/_error.html", {"message": "Choose one of the 7 intents."}, status=400
        )
    try:
        decision = services.review_submit(
            reviewer=_user(request),
            practice=membership.practice,
            message_id=message_id,
            label=form.cleaned_data["label"],
            seconds_spent=form.cleaned_data["seconds"] or 0.0,
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as exc:
        return _error(request, exc)
    destination = destination_for(membership.practice, decision.reviewer_label)
    response = render(
        request, "review/_decided.html", {"decision": decision, "destination": destination}
    )
    response["X-Calibration-Label"] = str(decision.pk)
    return response


@practice_view(selectors.REVIEW_ROLES)
@require_POST
def skip(request: HttpRequest, membership: Membership, item_id: int) -> HttpResponse:
    try:
        services.review_skip(reviewer=_user(request), practice=membership.practice, item_id=item_id)
    except ApplicationError as exc:
        return _error(request, exc)
    key = SKIPPED_KEY.format(practice_id=membership.practice_id)
    skipped = [i for i in _skipped(request, membership) if i != item_id]
    request.session[key] = [*skipped, item_id][-MAX_SKIPPED:]
    return render(request, "review/_status.html", {"text": f"Skipped item {item_id}."})


@practice_view(selectors.REVIEW_ROLES)
@require_POST
def escalate(request: HttpRequest, membership: Membership, item_id: int) -> HttpResponse:
    form = EscalateForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.review_escalate(
            reviewer=_user(request), practice=membership.practice, item_id=item_id, note=note
        )
    except ApplicationError as exc:
        return _error(request, exc)
    return render(
        request,
        "review/_status.html",
        {"text": f"Escalated item {item_id} to the practice admins."},
    )


@practice_view(selectors.REVIEW_ROLES)
@require_POST
def undo(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Undo the reviewer's last decision; answer with the reopened item, leased to them."""
    try:
        undo_row = services.review_undo(reviewer=_user(request), practice=membership.practice)
    except ApplicationError as exc:
        return _error(request, exc)
    item = (
        selectors.review_item_for(practice=membership.practice, item_id=undo_row.review_item_id)
        if undo_row.review_item_id
        else None
    )
    if item is None:
        return render(request, "review/_status.html", {"text": "Decision undone."})
    response = render(request, "review/_item.html", _show_item(request, membership, item, "undo"))
    response["X-Undone-Message"] = str(undo_row.message_id)
    return response


# --- reviewer: messages, raw originals, spot checks -------------------------------------


@practice_view(selectors.REVIEW_ROLES)
@require_GET
def message_detail(request: HttpRequest, membership: Membership, message_id: int) -> HttpResponse:
    message = selectors.message_for(practice=membership.practice, message_id=message_id)
    if message is None:
        raise Http404("No such message.")
    item = ReviewItem.objects.filter(message=message).first()
    services.message_view_record(
        user=_user(request), practice=membership.practice, message_id=message.pk, via="message"
    )
    context = _item_context(request, membership, message, item)
    context.update(
        {
            "history": selectors.message_history(message=message),
            "spot_check": item is None and message.status == "classified",
            "can_claim": item is not None
            and (
                item.status == ReviewStatus.OPEN
                or (
                    item.status == ReviewStatus.ESCALATED and membership.role == Role.PRACTICE_ADMIN
                )
            ),
            "undo_url": reverse("review:undo", kwargs={"slug": membership.practice.slug}),
        }
    )
    return render(request, "review/message.html", context)


@practice_view(selectors.REVIEW_ROLES)
@require_GET
def raw(request: HttpRequest, membership: Membership, message_id: int) -> HttpResponse:
    """The payload exactly as it arrived, shown as inert text (never rendered as HTML)."""
    message = selectors.message_for(practice=membership.practice, message_id=message_id)
    if message is None:
        raise Http404("No such message.")
    services.message_view_record(
        user=_user(request),
        practice=membership.practice,
        message_id=message.pk,
        action="view_message_raw",
    )
    return render(request, "review/_raw.html", {"message": message})


@practice_view(selectors.REVIEW_ROLES)
@require_GET
def spot_check(request: HttpRequest, membership: Membership) -> HttpResponse:
    filters = selectors.QueueFilters.from_query(request.GET)
    context = {
        "membership": membership,
        "practice": membership.practice,
        "filters": filters,
        "messages_list": selectors.auto_routed_messages(
            practice=membership.practice, filters=filters
        ),
        "channels": CHANNELS,
        "intents": INTENTS,
        "destinations": DESTINATIONS,
    }
    return render(request, "review/spot_check.html", context)


# --- practice admin ---------------------------------------------------------------------


@practice_view(selectors.ADMIN_ROLES)
@require_GET
def dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = DateRangeForm(request.GET or None)
    start, end = form.range()
    stats = selectors.dashboard_stats(practice=membership.practice, start=start, end=end)
    top_cell = max((max(row) for row in stats.confusion if row), default=0)
    confusion = [
        (label, [(value, charts.heat_class(value, top_cell)) for value in row])
        for label, row in zip(stats.confusion_rows, stats.confusion, strict=True)
    ]
    context = {
        "membership": membership,
        "practice": membership.practice,
        "form": form,
        "stats": stats,
        "intents": INTENTS,
        "confusion": confusion,
        "chart_intent": charts.hbars(stats.by_intent, title="Messages by intent"),
        "chart_channel": charts.hbars(stats.by_channel, title="Messages by channel"),
        "chart_day": charts.columns(
            [(d.strftime("%b %d"), n) for d, n in stats.by_day], title="Messages per day"
        ),
        "chart_share": charts.share(
            [
                ("auto-routed", stats.auto_routed, "share-auto"),
                ("reviewed", stats.reviewed, "share-reviewed"),
                ("awaiting review", stats.awaiting_review, "share-waiting"),
                ("being classified", stats.pending_classification, "share-pending"),
            ],
            title="Auto-routed vs reviewed",
        ),
        "chart_backlog": charts.hbars(stats.backlog_ages, title="Review backlog by age"),
        "chart_override": charts.hbars(
            [(row.intent, round(100 * (row.override_rate or 0.0))) for row in stats.agreement],
            title="Override rate per predicted intent (%)",
        ),
        "chart_reviewers": charts.hbars(
            [(row.username, row.decisions) for row in stats.reviewers],
            title="Decisions per reviewer",
        ),
    }
    return render(request, "review/dashboard.html", context)


@practice_view(selectors.ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def practice_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    practice = membership.practice
    form = PracticeSettingsForm(request.POST or None, practice=practice)
    if request.method == "POST" and form.is_valid():
        threshold, thresholds, destinations = form.settings_values()
        try:
            services.practice_settings_update(
                user=_user(request),
                practice=practice,
                review_threshold=threshold,
                intent_thresholds=thresholds,
                destinations=destinations,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            flash.success(request, "Settings saved; they apply to the next message routed.")
            return redirect("review:settings", slug=practice.slug)
    return render(
        request,
        "review/settings.html",
        {"membership": membership, "practice": practice, "form": form},
        status=400 if form.errors else 200,
    )


@practice_view(selectors.ADMIN_ROLES)
@require_GET
def audit_log(request: HttpRequest, membership: Membership) -> HttpResponse:
    action = request.GET.get("action", "")
    paginator = Paginator(selectors.audit_rows(practice=membership.practice, action=action), 100)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "review/audit.html",
        {
            "membership": membership,
            "practice": membership.practice,
            "page": page,
            "action": action,
            "actions": selectors.audit_actions(practice=membership.practice),
        },
    )


# --- ML staff ------------------------------------------------------------------------------


def _export_form(membership: Membership, data: Any = None) -> ExportForm:
    practice = membership.practice
    return ExportForm(
        data,
        reviewers=selectors.practice_reviewers(practice=practice),
        model_versions=selectors.practice_model_versions(practice=practice),
    )


@practice_view(selectors.EXPORT_ROLES)
@require_http_methods(["GET", "POST"])
def exports_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    practice = membership.practice
    form = _export_form(membership, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            export = services.export_request(
                user=_user(request),
                practice=practice,
                fmt=form.cleaned_data["format"],
                filters=form.export_filters(),
                deidentify=form.cleaned_data["deidentify"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            flash.success(request, f"Export {export.pk} started.")
            return redirect("review:exports", slug=practice.slug)
    return render(
        request,
        "review/exports.html",
        {
            "membership": membership,
            "practice": practice,
            "form": form,
            "exports": selectors.practice_exports(practice=practice),
        },
        status=400 if form.errors else 200,
    )


@practice_view(selectors.EXPORT_ROLES)
@require_GET
def export_status(request: HttpRequest, membership: Membership, export_id: int) -> HttpResponse:
    export = selectors.export_for(practice=membership.practice, export_id=export_id)
    if export is None:
        raise Http404("No such export.")
    return render(
        request, "review/_export_row.html", {"export": export, "practice": membership.practice}
    )


@practice_view(selectors.EXPORT_ROLES)
@require_GET
def export_download(
    request: HttpRequest, membership: Membership, export_id: int
) -> HttpResponseBase:
    export = selectors.export_for(practice=membership.practice, export_id=export_id)
    if export is None or export.status != ExportStatus.SUCCEEDED or not export.path:
        raise Http404("No such export, or it is not ready.")
    path = Path(export.path)
    if not path.is_file():
        raise Http404("The export file is gone; start a new export.")
    services.export_download_record(user=_user(request), export=export)
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=path.name,
        content_type=exports.CONTENT_TYPES[export.format],
    )


@practice_view(selectors.EXPORT_ROLES)
@require_GET
def export_manifest(request: HttpRequest, membership: Membership, export_id: int) -> JsonResponse:
    export = selectors.export_for(practice=membership.practice, export_id=export_id)
    if export is None or export.status != ExportStatus.SUCCEEDED:
        raise Http404("No such export, or it is not ready.")
    return JsonResponse(export.manifest, json_dumps_params={"indent": 2})
