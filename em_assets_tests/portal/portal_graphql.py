"""A GraphQL portal built from the schema the installed client ships, answering from fixture tables."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cryoet_data_portal
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    graphql_sync,
)

from em_assets_tests.portal.loopback_http import LoopbackServer

SCHEMA_FILE = Path(cryoet_data_portal.__file__).parent / "data" / "schema.graphql"
ROOT_FIELDS = {
    "datasets": "Dataset",
    "runs": "Run",
    "tomogramVoxelSpacings": "TomogramVoxelSpacing",
    "tomograms": "Tomogram",
}
RELATIONSHIPS = {
    ("Tomogram", "run"): ("Run", "runId"),
    ("Tomogram", "tomogramVoxelSpacing"): ("TomogramVoxelSpacing", "tomogramVoxelSpacingId"),
    ("TomogramVoxelSpacing", "run"): ("Run", "runId"),
    ("Run", "dataset"): ("Dataset", "datasetId"),
}
SCALAR_DEFAULTS = {
    "Int": 1,
    "Float": 1.0,
    "String": "fixture",
    "Boolean": False,
    "DateTime": "2024-01-01T00:00:00+00:00",
}


def client_schema() -> GraphQLSchema:
    """The portal schema exactly as the installed `cryoet-data-portal` package ships it."""
    return build_schema(SCHEMA_FILE.read_text())


def complete_record(schema: GraphQLSchema, type_name: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """`record` with every non-null field it lacks filled with a valid value of the field's type."""
    filled = dict(record)
    object_type = schema.get_type(type_name)
    assert isinstance(object_type, GraphQLObjectType)
    for name, field in object_type.fields.items():
        if isinstance(field.type, GraphQLNonNull) and filled.get(name) is None:
            filled[name] = _value_of(schema, field.type.of_type, f"{type_name}:{record.get('id')}")
    return filled


def _value_of(schema: GraphQLSchema, field_type: Any, identity: str) -> Any:
    if isinstance(field_type, GraphQLList):
        return []
    named = get_named_type(field_type)
    if named.name == "ID":
        return identity
    if isinstance(named, GraphQLEnumType):
        return next(iter(named.values))
    if isinstance(named, GraphQLObjectType):
        return complete_record(schema, named.name, {})
    return SCALAR_DEFAULTS[named.name]


class FixturePortal:
    """Answers the client's queries (where, orderBy, limitOffset) from in-memory tables."""

    def __init__(self, tables: Mapping[str, list[dict[str, Any]]]) -> None:
        self.schema = client_schema()
        self.tables = {name: [complete_record(self.schema, name, row) for row in rows] for name, rows in tables.items()}
        for root, type_name in ROOT_FIELDS.items():
            self.schema.query_type.fields[root].resolve = self._resolver(type_name)

    def _resolver(self, type_name: str):
        def resolve(_root: object, _info: object, where=None, orderBy=None, limitOffset=None):  # noqa: N803
            rows = [row for row in self.tables.get(type_name, []) if self.matches(type_name, row, where or {})]
            for order in reversed(orderBy or []):
                for key, direction in order.items():
                    rows.sort(key=lambda row: row[key], reverse=direction.startswith("desc"))
            offset = (limitOffset or {}).get("offset") or 0
            limit = (limitOffset or {}).get("limit")
            return rows[offset : None if limit is None else offset + limit]

        return resolve

    def matches(self, type_name: str, row: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
        """True if `row` satisfies the `where` clause, following relationships into other tables."""
        for key, condition in where.items():
            if (type_name, key) in RELATIONSHIPS:
                related_type, foreign_key = RELATIONSHIPS[(type_name, key)]
                related = [r for r in self.tables[related_type] if r["id"] == row[foreign_key]]
                if not related or not self.matches(related_type, related[0], condition):
                    return False
            elif key not in row:
                raise ValueError(f"the fixture portal cannot filter {type_name} on {key!r}")
            elif not all(_compare(row[key], op, value) for op, value in condition.items()):
                return False
        return True

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        """Execute a POSTed GraphQL request and answer with its JSON result."""
        if method != "POST" or not path.startswith("/graphql"):
            return 404, "text/plain", b"not found"
        request = json.loads(body)
        result = graphql_sync(self.schema, request["query"], variable_values=request.get("variables"))
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        return 200, "application/json", json.dumps(payload).encode()

    def serve(self) -> LoopbackServer:
        """Start a loopback server answering at /graphql."""
        return LoopbackServer(self.answer).start()


def _compare(actual: Any, op: str, value: Any) -> bool:
    tests = {
        "_eq": lambda: actual == value,
        "_neq": lambda: actual != value,
        "_in": lambda: actual in value,
        "_nin": lambda: actual not in value,
        "_gt": lambda: actual > value,
        "_gte": lambda: actual >= value,
        "_lt": lambda: actual < value,
        "_lte": lambda: actual <= value,
        "_is_null": lambda: (actual is None) == value,
        "_like": lambda: fnmatch.fnmatchcase(str(actual), value.replace("%", "*")),
        "_ilike": lambda: fnmatch.fnmatchcase(str(actual).lower(), value.lower().replace("%", "*")),
    }
    if op not in tests:
        raise ValueError(f"the fixture portal does not implement the comparator {op}")
    return tests[op]()
