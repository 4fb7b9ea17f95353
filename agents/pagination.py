"""Keyset pagination for the API, in the queue's order, with a capped count."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from warehouse.selectors import QueuePage, QueuePosition, complaint_capped_count, complaint_queue_page


class QueueKeysetPagination(BasePagination):
    page_size = 50
    max_page_size = 200

    def _position(self, request: Any, name: str) -> QueuePosition | None:
        token = request.query_params.get(name)
        if not token:
            return None
        try:
            return QueuePosition.decode(token)
        except ValueError:
            raise ValidationError({name: "Invalid cursor; use the next/previous links as given."}) from None

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any]:
        try:
            size = int(request.query_params.get("page_size", self.page_size))
        except ValueError:
            raise ValidationError({"page_size": "A whole number."}) from None
        if size < 1:  # clamping 0 or -5 to 1 would hand back a page nobody asked for
            raise ValidationError({"page_size": f"From 1 to {self.max_page_size}."})
        self.size = min(size, self.max_page_size)  # larger asks get the largest page, as documented
        self.request = request
        self.page: QueuePage = complaint_queue_page(
            queryset,
            after=self._position(request, "after"),
            before=self._position(request, "before"),
            size=self.size,
        )
        self.count = complaint_capped_count(queryset)
        return self.page.items

    def _link(self, name: str, position: QueuePosition | None) -> str | None:
        if position is None:
            return None
        url = self.request.build_absolute_uri()
        url = remove_query_param(remove_query_param(url, "after"), "before")
        return replace_query_param(url, name, position.encode())

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.count.value,
                "count_is_capped": self.count.capped,
                "next": self._link("after", self.page.next),
                "previous": self._link("before", self.page.previous),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "count_is_capped", "results"],
            "properties": {
                "count": {"type": "integer", "description": "Matching complaints, counted up to a cap."},
                "count_is_capped": {"type": "boolean", "description": "True: there are more than `count`."},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        def param(name: str, description: str, kind: str = "string") -> dict[str, Any]:
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": kind},
            }

        return [
            param("after", "Cursor from a `next` link."),
            param("before", "Cursor from a `previous` link."),
            param("page_size", f"Rows per page (1 to {self.max_page_size}, default {self.page_size}).", "integer"),
        ]
