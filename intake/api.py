"""The REST API: validate with a serializer, call one service, respond.

Every view is scoped to the caller's practice, which the API key decides; an id of another
practice's message answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clarioscope.errors import ApplicationError
from intake.auth import ApiKeyPrincipal
from intake.models import ApiKey, Practice
from intake.selectors import message_get, message_list
from intake.serializers import (
    BatchResultSerializer,
    ErrorSerializer,
    MessageBatchSerializer,
    MessageCreateSerializer,
    MessageDetailSerializer,
    MessageListFilterSerializer,
    MessageResultSerializer,
    message_result,
)
from intake.services import audit_record, message_submit, messages_ingest_and_enqueue


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "intake.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`; create a key with "
            "`python manage.py create_api_key --practice SLUG`.",
        }


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


AUTH_ERRORS = {401: _error("Missing, unknown or revoked API key.")}
SUBMIT_RESPONSES = {
    201: OpenApiResponse(MessageResultSerializer, description="Stored and classified."),
    200: OpenApiResponse(
        MessageResultSerializer, description="A repeat (Idempotency-Key or external_id)."
    ),
    400: _error("Invalid input; `detail` names the fields."),
    **AUTH_ERRORS,
    413: _error("The body is over the size limit."),
    415: _error("Wrong content type."),
}
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string (1-255 printable ASCII characters). A request repeating a "
    "key returns the message stored by the first one (200) instead of storing a copy.",
)
_IDEMPOTENCY_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")


def api_caller(request: Request) -> tuple[Practice, ApiKey]:
    principal = request.user
    assert isinstance(principal, ApiKeyPrincipal)
    return principal.practice, principal.api_key


def idempotency_key_of(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if key and not _IDEMPOTENCY_KEY.match(key):
        raise ApplicationError(
            "Idempotency-Key must be 1-255 printable ASCII characters.",
            code="invalid_idempotency_key",
        )
    return key


def submit_response(request: Request, **fields: Any) -> Response:
    """Store and classify one message for the caller's practice; 201 when new, 200 on a repeat."""
    practice, _ = api_caller(request)
    result = message_submit(
        practice=practice, idempotency_key=idempotency_key_of(request), **fields
    )
    return Response(
        message_result(result.message),
        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
    )


class MessagePagination(LimitOffsetPagination):
    """limit/offset that refuse nonsense with 400 (DRF would quietly use the defaults)."""

    default_limit = 50
    max_limit = 200

    def _number(self, request: Request, name: str, default: int, minimum: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise ValidationError({name: [f"Must be a whole number, at least {minimum}."]})
        return value

    def get_limit(self, request: Request) -> int:
        limit = self._number(request, self.limit_query_param, self.default_limit, 1)
        return min(limit, self.max_limit)

    def get_offset(self, request: Request) -> int:
        return self._number(request, self.offset_query_param, 0, 0)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Results per page, {self.default_limit} by default; values over "
                    f"{self.max_limit} are capped at {self.max_limit}."
                )
            else:
                parameter["schema"]["minimum"] = 0
        return parameters


class MessagesApi(APIView):
    parser_classes = [JSONParser]
    pagination_class = MessagePagination

    @extend_schema(
        operation_id="messages_list",
        summary="List the practice's messages, newest first",
        parameters=[MessageListFilterSerializer],
        responses={
            200: MessageDetailSerializer(many=True),
            400: _error("An unknown filter value."),
            **AUTH_ERRORS,
        },
        tags=["messages"],
    )
    def get(self, request: Request) -> Response:
        practice, api_key = api_caller(request)
        filters = MessageListFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            message_list(practice=practice, filters=filters.validated_data), request, view=self
        )
        messages = list(page or [])
        if messages:
            audit_record(
                action="api.message.list",
                object_type="message",
                object_ids=[m.pk for m in messages],
                practice=practice,
                api_key=api_key,
            )
        return paginator.get_paginated_response(MessageDetailSerializer(messages, many=True).data)

    @extend_schema(
        operation_id="messages_create",
        summary="Submit one message; classified before the answer",
        description="Stores the message and its raw payload, classifies it in-process and routes "
        "it. A repeated `external_id` (same channel) or Idempotency-Key returns the stored "
        "message with 200 and stores nothing.",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=MessageCreateSerializer,
        responses=SUBMIT_RESPONSES,
        tags=["messages"],
    )
    def post(self, request: Request) -> Response:
        raw = bytes(request.body)  # kept as the raw payload; read before DRF parses the stream
        payload = MessageCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return submit_response(
            request,
            raw_payload=raw,
            raw_content_type=request.content_type,
            **payload.validated_data,
        )


class MessageBatchApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="messages_batch_create",
        summary="Submit up to 500 messages; classified in the background",
        description="All or nothing: one invalid message refuses the whole batch (400) and "
        "stores none. Repeats of stored messages (same channel and external_id) are not stored "
        "again; their ids are returned.",
        request=MessageBatchSerializer,
        responses={
            202: OpenApiResponse(
                BatchResultSerializer, description="Stored; classification queued"
            ),
            400: _error("Invalid input, or more than 500 messages."),
            **AUTH_ERRORS,
            413: _error("The body is over the size limit."),
            415: _error("Wrong content type."),
        },
        tags=["messages"],
    )
    def post(self, request: Request) -> Response:
        practice, _ = api_caller(request)
        payload = MessageBatchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        items = [
            {**item, "raw_payload": raw, "raw_content_type": "application/json"}
            for item, raw in zip(
                payload.validated_data["messages"],
                _item_payloads(cast(dict[str, Any], request.data)["messages"]),
                strict=True,
            )
        ]
        results = messages_ingest_and_enqueue(items=items, practice=practice)
        created = sum(r.created for r in results)
        return Response(
            {
                "ids": [r.message.pk for r in results],
                "created": created,
                "duplicates": len(results) - created,
                "messages": [
                    {"id": r.message.pk, "created": r.created, "status": r.message.status}
                    for r in results
                ],
            },
            status=status.HTTP_202_ACCEPTED,
        )


def _item_payloads(items: list[Any]) -> list[str]:
    # Each message keeps its own item as it arrived, not the whole batch.
    return [json.dumps(item, ensure_ascii=False) for item in items]


class MessageDetailApi(APIView):
    @extend_schema(
        operation_id="messages_retrieve",
        summary="One message of the practice",
        responses={
            200: MessageDetailSerializer,
            **AUTH_ERRORS,
            404: _error("No such message in this practice."),
        },
        tags=["messages"],
    )
    def get(self, request: Request, message_id: int) -> Response:
        practice, api_key = api_caller(request)
        message = message_get(practice=practice, message_id=message_id)
        audit_record(
            action="api.message.read",
            object_type="message",
            object_ids=[message.pk],
            practice=practice,
            api_key=api_key,
        )
        return Response(MessageDetailSerializer(message).data)
