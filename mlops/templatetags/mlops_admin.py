"""Template tags for the MLOps admin pages that Django's admin renders without our context."""

from __future__ import annotations

from typing import Any

from django import template

from mlops import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def mlops_admin_context(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "active": selectors.active_model(),
        "previous": selectors.previous_model(),
        "may_promote": bool(user and user.has_perm("mlops.change_modelversion")),
    }
